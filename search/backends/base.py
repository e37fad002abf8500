"""What every search backend does, and the query and result shapes they share.

The API builds a ``SearchQuery``; a backend answers it for the tenant of the current connection, and
keeps its own index in step with the document store (``search.models.SearchDocument``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import connection
from django_tenants.utils import get_public_schema_name

from search.documents import fold

FACETS = ("lifecycle", "tier", "team", "language", "health")
EOL = "eol"
RELATED_LIMIT = 5  # teams and repositories shown next to the service hits
MAX_QUERY_CHARS = 200


class SearchError(Exception):
    """The backend failed to answer or to index. Raised to the caller: never swallowed."""


@dataclass(frozen=True)
class SearchQuery:
    q: str
    limit: int = 10
    # facet name -> accepted values: OR within a facet, AND across facets. Values are folded (case-insensitive).
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    include_eol: bool = False

    def __post_init__(self):
        unknown = set(self.filters) - set(FACETS)
        if unknown:
            raise ValueError(f"unknown filters: {sorted(unknown)}")
        object.__setattr__(self, "q", self.q.strip()[:MAX_QUERY_CHARS])
        object.__setattr__(self, "filters", {k: tuple(sorted({fold(v) for v in vals if v}))
                                             for k, vals in sorted(self.filters.items()) if vals})

    @property
    def excludes_eol(self) -> bool:
        """End-of-life services are hidden unless asked for: include_eol, or a lifecycle filter naming eol."""
        return not self.include_eol and EOL not in self.filters.get("lifecycle", ())

    def cache_params(self) -> dict:
        return {"q": fold(self.q), "limit": self.limit, "filters": {k: list(v) for k, v in self.filters.items()},
                "eol": not self.excludes_eol}


def empty_facets() -> dict:
    return {name: {} for name in FACETS}


def empty_result() -> dict:
    """What a backend answers when there is nothing to look for."""
    return {"hits": [], "teams": [], "repositories": [], "facets": empty_facets(), "estimatedTotalHits": 0}


def current_tenant_schema() -> str:
    """The schema of the request's tenant. Searching outside a tenant is a bug, not an empty result."""
    schema = connection.schema_name
    if not schema or schema == get_public_schema_name():
        raise SearchError("search needs a tenant: the connection is on the public schema")
    return schema


def present(doc: dict, matches: dict | None = None) -> dict:
    """A stored document as an API hit: the catalog id as ``id``, internal fields dropped."""
    hit = {k: v for k, v in doc.items() if k not in ("id", "ref", "tenant_id", "kind")}
    hit = {"id": doc["ref"], "type": doc["kind"], **hit}
    hit["_matchesPosition"] = matches or {}
    return hit


class SearchBackend(ABC):
    name: str

    @abstractmethod
    def search(self, query: SearchQuery) -> dict:
        """{"hits", "teams", "repositories", "facets", "estimatedTotalHits"} for the current tenant."""

    def upsert(self, docs: list[dict]) -> None:
        """Make ``docs`` searchable; called inside the transaction that writes their SearchDocument rows."""

    def delete(self, keys: list[str]) -> None:
        """Remove the documents with these ids."""

    def rebuild(self, docs: list[dict]) -> None:
        """Replace the tenant's whole index with ``docs``."""

    def drop_tenant(self, schema: str) -> None:
        """Forget every document of the tenant ``schema`` (its data is being deleted). Nothing to do for a
        backend that keeps its documents in the tenant's own schema."""
