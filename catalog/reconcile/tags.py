"""Resource tags: which keys name a service, a repository or an environment, and reading them."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from catalog import naming

SERVICE_TAG_KEYS = ("service", "servicename", "copilotservice", "app", "application", "appname", "component")
REPO_TAG_KEYS = ("githubrepo", "githubrepository", "repository", "repo", "source", "sourcerepo", "gitrepo",
                 "coderepo", "sourcecode", "gitrepository", "repourl", "git")
ENV_TAG_KEYS = ("env", "environment", "stage")


@lru_cache(maxsize=4096)
def _norm_key(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


def tag_value(tags: dict, keys: Iterable[str]) -> str | None:
    """The first non-blank value among ``keys`` (compared lowercase alphanumeric; ``aws:`` tags ignored)."""
    normalized = {_norm_key(k): v for k, v in (tags or {}).items() if not str(k).startswith("aws:")}
    for key in keys:
        value = normalized.get(key)
        if value and str(value).strip():
            return str(value).strip()
    return None


def service_tag(tags: dict) -> tuple[set[str], str | None]:
    """Name keys and canonical name of a resource's service tag (empty, None without one)."""
    value = tag_value(tags, SERVICE_TAG_KEYS)
    if not value:
        return set(), None
    return naming.name_keys(value), naming.canonical(value)
