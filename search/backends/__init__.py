"""Pick the search backend named by ``settings.ROSTER_SEARCH_BACKEND`` (postgres | meilisearch)."""
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from search.backends.base import SearchBackend


@lru_cache(maxsize=4)
def _backend(name: str) -> SearchBackend:
    if name == "postgres":
        from search.backends.postgres import PostgresBackend

        return PostgresBackend()
    if name == "meilisearch":
        from search.backends.meili import MeilisearchBackend

        return MeilisearchBackend()
    raise ImproperlyConfigured(f"ROSTER_SEARCH_BACKEND must be 'postgres' or 'meilisearch', not {name!r}")


def get_backend() -> SearchBackend:
    """One instance per process and backend name (the Meilisearch client keeps its HTTP session)."""
    return _backend(getattr(settings, "ROSTER_SEARCH_BACKEND", "postgres") or "postgres")
