"""Hot-query cache in Redis, per tenant, invalidated by a per-tenant generation counter.

Entries are ``search:<schema>:<backend>:<hash of the query>:g<generation>``. Any indexed change of the
tenant increments its generation (``bump``), so every cached answer of that tenant becomes unreachable
at once (and expires by TTL) while other tenants keep theirs. An answer computed before a change and
stored after it lands under the old generation: it can never be served. The schema is in every key,
so isolation does not hang on a cache key function.

One round trip per lookup: a Lua script reads the generation and the entry together. It talks to the
Redis of the default Django cache (its LOCATION) through redis-py directly, because Django's cache
builds a new client object per call, which costs more here than the lookup itself. Values are the
answers' JSON, served as stored (search.query).
A Redis outage degrades to uncached search; it never fails a query.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from functools import lru_cache

import redis

from portal.redis_client import redis_url

log = logging.getLogger(__name__)
TTL_SECONDS = 300  # seed §2.3: 5 minutes

# Start a missing counter from the clock, not 1: if Redis evicts it, old entries' generations are not reused.
_LOOKUP = """
local generation = redis.call('GET', KEYS[1])
if not generation then
    redis.call('SET', KEYS[1], ARGV[2], 'NX')
    generation = redis.call('GET', KEYS[1])
end
return {generation, redis.call('GET', ARGV[1] .. generation)}
"""
_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[1])
return tonumber(ARGV[1])
"""




@lru_cache(maxsize=4)
def _client(url: str):
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return client, client.register_script(_LOOKUP), client.register_script(_BUMP)


def _generation_key(schema: str) -> str:
    return f"search:{schema}:generation"


def _clock() -> int:
    return int(time.time() * 1000)


def generation(schema: str) -> int:
    client, lookup, _ = _client(redis_url())
    return int(lookup(keys=[_generation_key(schema)], args=["search:none:", _clock()])[0])


def bump(schema: str) -> None:
    """Invalidate every cached search of the tenant."""
    try:
        _, _, increment = _client(redis_url())
        increment(keys=[_generation_key(schema)], args=[_clock()])
    except redis.RedisError:  # entries still expire within TTL_SECONDS
        log.exception("could not invalidate the search cache of %s", schema)


def get(schema: str, backend: str, params: dict) -> tuple[str | None, bytes | None]:
    """(key to store the answer under, the cached answer's JSON or None); the key is None when Redis is
    unreachable."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:32]
    prefix = f"search:{schema}:{backend}:{digest}:g"
    try:
        _, lookup, _ = _client(redis_url())
        generation_value, value = lookup(keys=[_generation_key(schema)], args=[prefix, _clock()])
    except redis.RedisError:
        log.warning("search cache unavailable", exc_info=True)
        return None, None
    return prefix + generation_value.decode(), value


def put(key: str | None, body: bytes) -> None:
    """Store an answer's JSON (as ``get`` returns it) under the key ``get`` gave."""
    if key is None:
        return
    try:
        client, _, _ = _client(redis_url())
        client.set(key, body, ex=TTL_SECONDS)
    except redis.RedisError:
        log.warning("search cache unavailable", exc_info=True)
