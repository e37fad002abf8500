"""Answer a search for the current tenant: the hot-query cache first, then the configured backend.

An answer travels as JSON bytes: the backend's result is encoded once, stored in the cache as is, and
served as is (with a small envelope spliced in front), so neither a miss nor a hit encodes it twice
(orjson: several times faster than the json module on these ~15 KB answers).
The cache write of a miss is handed back to the caller (``Answer.store``): the API runs it after the
response has gone out.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import orjson

from search import cache
from search.backends import get_backend
from search.backends.base import SearchQuery, current_tenant_schema, empty_result
from search.documents import tokens

_EMPTY = orjson.dumps(empty_result())


@dataclass(frozen=True)
class Answer:
    query: SearchQuery
    backend: str
    body: bytes  # a JSON object: hits, teams, repositories, facets, estimatedTotalHits
    cached: bool
    started: float  # perf_counter() when the search began
    store: Callable[[], None] | None = None  # the cache write still to do, if any

    def render(self) -> bytes:
        """The API's JSON: the result with query, limit, backend, cached and processingTimeMs (server side,
        cache included) in front."""
        head = orjson.dumps({"query": self.query.q, "limit": self.query.limit, "backend": self.backend,
                             "cached": self.cached,
                             "processingTimeMs": round((time.perf_counter() - self.started) * 1000, 2)})
        return head[:-1] + b"," + self.body[1:]


def answer(query: SearchQuery, started: float | None = None) -> Answer:
    started = time.perf_counter() if started is None else started
    schema = current_tenant_schema()
    backend = get_backend()
    if not tokens(query.q):
        return Answer(query, backend.name, _EMPTY, False, started)
    key, body = cache.get(schema, backend.name, query.cache_params())
    if body is not None:
        return Answer(query, backend.name, body, True, started)
    body = orjson.dumps(backend.search(query))
    return Answer(query, backend.name, body, False, started, store=partial(cache.put, key, body))


def search(query: SearchQuery) -> dict:
    """The API's result for ``query`` as a dict, the cache written before returning."""
    result = answer(query)
    if result.store is not None:
        result.store()
    return orjson.loads(result.render())
