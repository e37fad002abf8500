"""Optional backend: Meilisearch, through its official Python client.

Isolation model: one index per tenant (``roster-<schema>``), not one shared index with tenant tokens.
Tenant tokens exist so that a browser can query Meilisearch directly with a key scoped by a filter; our
SPA never does (the API proxies every query, seed §2.3), so they would add key management and leave a
shared index in which a single missing filter leaks every tenant. Separate indexes make a query
physically unable to reach another tenant's documents, let a tenant be rebuilt (swap) or dropped on its
own, and keep one tenant's size and settings from affecting another. As defence in depth every document
still carries ``tenant_id`` and every query still sends the mandatory ``tenant_id = '<schema>'`` filter
(seed §3.4), and hits from any other tenant are refused.

Writes are awaited (``wait_for_task``) and a failed or timed-out task raises ``SearchError``, so the
indexing task fails (and retries) instead of reporting a change searchable when it is not.
"""
from __future__ import annotations

import re

import meilisearch
from django.conf import settings
from django_tenants.utils import get_public_schema_name
from meilisearch.errors import MeilisearchError

from search.backends.base import (
    EOL, FACETS, RELATED_LIMIT, SearchBackend, SearchError, SearchQuery, current_tenant_schema, present,
)

# Meilisearch attribute behind each API filter/facet name.
FACET_ATTRIBUTES = {"lifecycle": "lifecycle", "tier": "tier", "team": "team_slug", "language": "tech_stack",
                    "health": "health_status"}
TASK_TIMEOUT_MS = 30_000
BATCH_SIZE = 1000
_INDEX_UID = re.compile(r"^[A-Za-z0-9_-]{1,400}$")


def index_settings() -> dict:
    """Seed §2.3's index configuration. Searchable attributes are in ranking order (the ``attribute`` rule):
    names first, description last, as in the PostgreSQL weights. ``kind`` separates services, teams and
    repositories in one index; ``id`` is filterable so documents can be deleted by filter."""
    return {
        "searchableAttributes": ["name", "aliases", "display_name", "tags", "team_name", "tech_stack",
                                 "repo_name", "services", "description"],
        "filterableAttributes": ["id", "tenant_id", "kind", "lifecycle", "tier", "team_name", "team_slug",
                                 "tech_stack", "health_status", "confidence_score"],
        "sortableAttributes": ["name", "confidence_score", "updated_at"],
        "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 3, "twoTypos": 6}},
    }


def index_uid(tenant_id: str) -> str:
    if not tenant_id or tenant_id == get_public_schema_name():
        raise SearchError("a Meilisearch index belongs to a tenant: no tenant given")
    uid = f"{getattr(settings, 'MEILISEARCH_INDEX_PREFIX', 'roster')}-{tenant_id}"
    if not _INDEX_UID.match(uid):
        raise SearchError(f"invalid Meilisearch index uid {uid!r}")
    return uid


def quote(value: str) -> str:
    """A filter string literal: single-quoted, with backslashes and quotes escaped."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_filter(tenant_id: str, kind: str, query: SearchQuery | None = None) -> list:
    """Meilisearch's array filter (outer AND, inner OR). The tenant clause is always first and cannot be omitted."""
    if not tenant_id or tenant_id == get_public_schema_name():
        raise SearchError("refusing to search without a tenant filter")
    clauses: list = [f"tenant_id = {quote(tenant_id)}", f"kind = {quote(kind)}"]
    if query is not None and kind == "service":
        if query.excludes_eol:
            clauses.append(f"lifecycle != {quote(EOL)}")
        for name, values in query.filters.items():
            clauses.append([f"{FACET_ATTRIBUTES[name]} = {quote(v)}" for v in values])
    return clauses


def search_requests(uid: str, tenant_id: str, query: SearchQuery) -> list[dict]:
    """The multi-search body: services with facets, then the best teams and repositories."""
    common = {"indexUid": uid, "q": query.q, "showMatchesPosition": True}
    return [
        {**common, "limit": query.limit, "filter": build_filter(tenant_id, "service", query),
         "facets": [FACET_ATTRIBUTES[f] for f in FACETS]},
        {**common, "limit": RELATED_LIMIT, "filter": build_filter(tenant_id, "team")},
        {**common, "limit": RELATED_LIMIT, "filter": build_filter(tenant_id, "repository")},
    ]


def _char_span(value: str, start: int, length: int) -> dict:
    """Meilisearch reports byte offsets into the UTF-8 field; the API reports characters."""
    raw = value.encode()
    char_start = len(raw[:start].decode(errors="ignore"))
    return {"start": char_start, "length": len(raw[start:start + length].decode(errors="ignore"))}


def char_matches(doc: dict, matches: dict) -> dict:
    out: dict[str, list] = {}
    for field, spans in (matches or {}).items():
        value = doc.get(field)
        converted = []
        for span in spans:
            indices = span.get("indices")
            text = value[indices[0]] if indices and isinstance(value, list) else value
            if not isinstance(text, str):
                continue
            converted.append({**_char_span(text, span["start"], span["length"]),
                              **({"indices": indices} if indices else {})})
        if converted:
            out[field] = converted
    return out


def to_result(tenant_id: str, responses: list[dict]) -> dict:
    """Turn the three multi-search results into the API's result, refusing documents of another tenant."""
    services, teams, repositories = responses
    for response in responses:
        for hit in response.get("hits", []):
            if hit.get("tenant_id") != tenant_id:
                raise SearchError("Meilisearch returned a document of another tenant")

    def hits(response):
        return [present({k: v for k, v in hit.items() if k != "_matchesPosition"},
                        char_matches(hit, hit.get("_matchesPosition", {}))) for hit in response.get("hits", [])]

    distribution = services.get("facetDistribution", {})
    return {
        "hits": hits(services),
        "teams": hits(teams),
        "repositories": hits(repositories),
        "facets": {name: dict(distribution.get(FACET_ATTRIBUTES[name], {})) for name in FACETS},
        "estimatedTotalHits": services.get("estimatedTotalHits", 0),
    }


class MeilisearchBackend(SearchBackend):
    name = "meilisearch"

    def __init__(self, url: str | None = None, api_key: str | None = None):
        url = url or settings.MEILISEARCH_URL
        if not url:
            raise SearchError("ROSTER_SEARCH_BACKEND is meilisearch but MEILISEARCH_URL is not set")
        self.client = meilisearch.Client(url, api_key or settings.MEILISEARCH_API_KEY or None, timeout=10)
        self._configured: set[str] = set()

    def _wait(self, info, tolerate: tuple[str, ...] = ()) -> None:
        task = self.client.wait_for_task(info.task_uid, timeout_in_ms=TASK_TIMEOUT_MS)
        if task.status != "succeeded" and (task.error or {}).get("code") not in tolerate:
            raise SearchError(f"Meilisearch task {task.uid} ({task.type} on {task.index_uid}) {task.status}: "
                              f"{(task.error or {}).get('message', 'no error message')}")

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MeilisearchError as exc:
            raise SearchError(f"Meilisearch {what} failed: {exc}") from exc

    def _ensure_index(self, uid: str) -> None:
        # Updating settings creates the index when missing; done once per process and index.
        if uid not in self._configured:
            self._call("settings update", lambda: self._wait(self.client.index(uid).update_settings(index_settings())))
            self._configured.add(uid)

    def search(self, query: SearchQuery) -> dict:
        tenant_id = current_tenant_schema()
        uid = index_uid(tenant_id)
        response = self._call("search", self.client.multi_search, search_requests(uid, tenant_id, query))
        return to_result(tenant_id, response["results"])

    def upsert(self, docs: list[dict]) -> None:
        if not docs:
            return
        uid = index_uid(current_tenant_schema())
        self._ensure_index(uid)
        index = self.client.index(uid)
        self._call("document update", lambda: self._wait(index.add_documents(docs, primary_key="id")))

    def delete(self, keys: list[str]) -> None:
        if not keys:
            return
        uid = index_uid(current_tenant_schema())
        self._ensure_index(uid)
        index = self.client.index(uid)
        id_filter = f"id IN [{', '.join(quote(k) for k in keys)}]"
        self._call("document delete", lambda: self._wait(index.delete_documents(filter=id_filter)))

    def drop_tenant(self, schema: str) -> None:
        uid = index_uid(schema)
        for name in (uid, f"{uid}-rebuild"):
            self._call("index delete", lambda: self._wait(self.client.delete_index(name), tolerate=("index_not_found",)))
        self._configured.discard(uid)

    def rebuild(self, docs: list[dict]) -> None:
        """Build a fresh index beside the live one and swap them, so searches never see a half-built index."""
        uid = index_uid(current_tenant_schema())
        staging = f"{uid}-rebuild"

        def run():
            self._wait(self.client.delete_index(staging), tolerate=("index_not_found",))  # left by a failed rebuild
            self._wait(self.client.index(staging).update_settings(index_settings()))
            for info in self.client.index(staging).add_documents_in_batches(docs, BATCH_SIZE, primary_key="id"):
                self._wait(info)
            self._ensure_index(uid)
            self._wait(self.client.swap_indexes([{"indexes": [uid, staging]}]))
            self._wait(self.client.delete_index(staging))

        self._call("rebuild", run)
