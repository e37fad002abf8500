"""Routing answers cached briefly in Redis, per tenant, dropped on team changes and syncs.

Keys are the Django cache's (its key function puts the tenant's schema in every key), plus the database's name
(two installations, or two test sessions, may share one Redis). Each tenant has a generation: ``bump`` increments
it, and an entry is served only while the generation it was stored under is the current one, so every cached
answer of the tenant becomes unreachable at once (and expires by TTL). An answer computed before a change and
stored after it carries the old generation and is never served.

One round trip per lookup (MGET of the entry and the generation) through the process's redis-py client
(portal.redis_client: Django's cache builds a new client object per call, which costs more here than the lookup),
and the answer's JSON bytes are served as stored. Ownership changes by discovery are not tracked: the short TTL
bounds them. A Redis outage degrades to uncached answers; it never fails one.
"""
from __future__ import annotations

import hashlib
import logging
import time
from typing import Callable

import orjson
import redis
from django.core.cache import cache
from django.db import connection, transaction
from django_tenants.utils import schema_context

from portal import redis_client

log = logging.getLogger(__name__)
TTL_SECONDS = 30


def _scope() -> str:
    return str(connection.settings_dict.get("NAME") or "")


def _generation_key() -> str:
    return cache.make_key(f"oncall:routing:{_scope()}:generation")


def key_for(kind: str, ident: str) -> str:
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:40]
    return cache.make_key(f"oncall:routing:{_scope()}:{kind}:{digest}")


def _clock() -> bytes:
    return str(int(time.time() * 1000)).encode()  # not 1: an evicted counter never brings old entries back


def answer(kind: str, ident: str, compute: Callable[[], dict | None]) -> tuple[bytes | None, bool]:
    """(the answer's JSON, whether it came from the cache). ``compute`` returning None (nothing there) is not
    cached."""
    key, generation_key = key_for(kind, ident), _generation_key()
    try:
        client = redis_client.client()
        stored, generation = client.mget([key, generation_key])
        if generation is None:
            client.set(generation_key, _clock(), nx=True)
            generation = client.get(generation_key)
    except redis.RedisError:
        log.warning("routing cache unavailable", exc_info=True)
        value = compute()
        return (orjson.dumps(value) if value is not None else None), False
    if stored is not None:
        stored_generation, _, body = stored.partition(b"\n")
        if stored_generation == generation:
            return body, True
    value = compute()
    if value is None:
        return None, False
    body = orjson.dumps(value)
    try:
        client.set(key, generation + b"\n" + body, ex=TTL_SECONDS)
    except redis.RedisError:
        log.warning("routing cache unavailable", exc_info=True)
    return body, False


def bump() -> None:
    """Drop every cached routing answer of the current tenant."""
    generation_key = _generation_key()
    try:
        client = redis_client.client()
        if client.incr(generation_key) == 1:  # there was none: start from the clock
            client.set(generation_key, _clock())
    except redis.RedisError:  # entries still expire within TTL_SECONDS
        log.exception("could not drop the cached routing answers of %s", connection.schema_name)


def bump_on_commit() -> None:
    """``bump`` once the current transaction commits (at once outside one), in the tenant it was asked in."""
    schema = connection.schema_name

    def run():
        with schema_context(schema):
            bump()

    transaction.on_commit(run, robust=True)


def team_changed(sender, instance=None, **kwargs) -> None:
    """post_save / post_delete of catalog.Team (connected in OncallConfig.ready)."""
    bump_on_commit()
