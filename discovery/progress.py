"""A run's live progress: workers publish "this run changed" on Redis pub/sub, and a Server-Sent Events stream
sends the run's state to whoever watches it (the console's Runs page).

The stream is an async generator: under the ASGI server (portal.serve) it waits on the event loop, so an open
stream holds no thread of the web server; only each snapshot's query runs in a thread, briefly. Pub/sub only
wakes the stream: the state itself is always read from the database, so a lost message costs a
``POLL_SECONDS`` delay, never a wrong answer, and a Redis that is down leaves a stream that polls.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django_tenants.utils import schema_context

from portal import redis_client

log = logging.getLogger(__name__)

POLL_SECONDS = 5        # read the state even without a message: a lost one costs this much delay
KEEPALIVE_SECONDS = 15  # a comment line through proxies that close idle connections
SNAPSHOT_MIN_INTERVAL = 0.5  # a busy run publishes per batch; the stream sends at most twice a second


def channel(schema_name: str, run_id) -> str:
    # Pub/sub channels ignore Redis's database number: the broker's key prefix keeps installations (and test
    # sessions) sharing one Redis apart.
    prefix = (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).get("global_keyprefix", "")
    return f"{prefix}roster:run:{schema_name}:{run_id}"


def publish(schema_name: str, run_id) -> None:
    """Tell the run's watchers it changed; never fails the caller (watchers poll anyway)."""
    try:
        redis_client.client().publish(channel(schema_name, run_id), "1")
    except Exception:
        log.debug("could not publish progress of run %s", run_id, exc_info=True)


def _event(name: str, data) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, cls=DjangoJSONEncoder, separators=(',', ':'))}\n\n".encode()


def once(run_id, snapshot):
    """The stream's answer under a WSGI server (no event loop to wait on): the run as it is now, then ``end``
    (``reconnect`` while it runs: EventSource comes back after its retry delay). Plain iteration, no thread."""
    state = snapshot(run_id)
    yield b"retry: 3000\n\n"
    if state is None:
        yield _event("end", {"reason": "gone"})
        return
    yield _event("run", state)
    over = state.get("status") not in ("queued", "running")
    yield _event("end", {"reason": "finished", "status": state.get("status")} if over else {"reason": "reconnect"})


async def stream(schema_name: str, run_id, snapshot, *, max_seconds: float | None = None):
    """SSE bytes: a ``run`` event with ``snapshot(run_id)`` (a dict, read in ``schema_name``) now and whenever it
    changes, then ``end`` once the run is over, or after ``max_seconds`` (the browser's EventSource reconnects
    by itself). ``snapshot`` returns None when the run is gone."""
    max_seconds = settings.ROSTER_RUN_STREAM_SECONDS if max_seconds is None else max_seconds

    def read():
        with schema_context(schema_name):
            return snapshot(run_id)

    # Thread-sensitive: in the request's own thread (Django's ASGI handler gives each request one), on its
    # connection, which Django closes when the response is over.
    read_async = sync_to_async(read, thread_sensitive=True)
    pubsub = await _subscribe(channel(schema_name, run_id))
    deadline = time.monotonic() + max_seconds
    last, last_sent_at, last_beat = None, 0.0, time.monotonic()
    try:
        yield b"retry: 3000\n\n"
        while True:
            state = await read_async()
            if state is None:
                yield _event("end", {"reason": "gone"})
                return
            if state != last:
                yield _event("run", state)
                last, last_sent_at, last_beat = state, time.monotonic(), time.monotonic()
            if state.get("status") not in ("queued", "running"):
                yield _event("end", {"reason": "finished", "status": state.get("status")})
                return
            if time.monotonic() >= deadline:
                yield _event("end", {"reason": "reconnect"})
                return
            await _wait(pubsub, POLL_SECONDS)
            await asyncio.sleep(max(0.0, SNAPSHOT_MIN_INTERVAL - (time.monotonic() - last_sent_at)))
            if time.monotonic() - last_beat >= KEEPALIVE_SECONDS:
                yield b": keepalive\n\n"
                last_beat = time.monotonic()
    finally:
        if pubsub is not None:
            try:
                await pubsub.aclose()
                await pubsub.owner.aclose()
            except Exception:
                pass


async def _subscribe(name: str):
    try:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(redis_client.redis_url(), socket_timeout=None, socket_connect_timeout=1)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(name)
        pubsub.owner = client  # closed with it
        return pubsub
    except Exception:  # no Redis: the stream polls
        log.warning("run progress: no pub/sub; polling every %s s", POLL_SECONDS)
        return None


async def _wait(pubsub, seconds: float) -> None:
    """Until a message says the run changed, or ``seconds`` pass."""
    if pubsub is None:
        await asyncio.sleep(seconds)
        return
    try:
        await pubsub.get_message(timeout=seconds)
    except Exception:
        await asyncio.sleep(seconds)
