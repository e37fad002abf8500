"""Answer a search for the current tenant: the hot-query cache first, then the configured backend."""
from __future__ import annotations

import time

from search import cache
from search.backends import get_backend
from search.backends.base import SearchQuery, current_tenant_schema, empty_facets
from search.documents import tokens


def search(query: SearchQuery) -> dict:
    """The API's result for ``query``, with ``processingTimeMs`` (server side, cache included) and ``cached``."""
    started = time.perf_counter()
    schema = current_tenant_schema()
    backend = get_backend()
    if not tokens(query.q):
        result = {"hits": [], "teams": [], "repositories": [], "facets": empty_facets(), "estimatedTotalHits": 0}
        cached = False
    else:
        key, result = cache.get(schema, backend.name, query.cache_params())
        cached = result is not None
        if not cached:
            result = backend.search(query)
            cache.put(key, result)
    return {
        "query": query.q,
        **result,
        "limit": query.limit,
        "backend": backend.name,
        "cached": cached,
        "processingTimeMs": round((time.perf_counter() - started) * 1000, 2),
    }
