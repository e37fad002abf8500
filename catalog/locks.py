"""One reconcile at a time per tenant: a PostgreSQL advisory lock keyed on the tenant's schema.

Two discoveries triggered together each end with a reconcile run; reconcile reads every fact and service,
decides, then writes. Two of them at once would both decide from the catalog as it was before either wrote
(and create every new service twice). ``reconcile_lock`` makes the second wait for the first.

The lock is session-level (held across the commits of the run's status and of the write phase, released in
``finally`` or, if the worker dies, when its database connection closes) and lives in the database, not in
a schema: the key is derived from the schema name, so tenants never wait for each other (a hash collision
would only make two tenants take turns). Waiting is bounded: past ``wait_seconds`` it raises
``ReconcileBusy`` and the task puts the run back on the queue with a countdown instead of holding a worker.
"""
from __future__ import annotations

import hashlib
import logging
import time
from contextlib import contextmanager

from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.transaction import TransactionManagementError

log = logging.getLogger(__name__)

NAMESPACE = "roster.catalog.reconcile:"
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout expired


class ReconcileBusy(Exception):
    """Another reconcile of the tenant held the lock for longer than the wait allowed."""


def lock_key(schema_name: str) -> int:
    """The advisory lock's key for a schema: a stable signed 64-bit number (what pg_advisory_lock takes)."""
    digest = hashlib.sha256((NAMESPACE + schema_name).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _acquire(key: int, wait_seconds: float) -> None:
    timeout_ms = max(1, int(wait_seconds * 1000))
    try:
        # SET LOCAL needs a transaction; a savepoint when the caller has one open. Its timeout lasts as long as
        # the lock request only: a failure rolls it back, success resets it.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{timeout_ms}ms"])
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise ReconcileBusy(f"another reconcile held the lock for more than {wait_seconds:g} s") from None
        raise


def _release(key: int) -> None:
    if connection.connection is None:
        return  # the connection is gone, and with it the lock
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    except (DatabaseError, TransactionManagementError):
        log.exception("could not release the reconcile lock; closing the connection releases it")
        if not connection.in_atomic_block:
            connection.close()


@contextmanager
def reconcile_lock(schema_name: str | None = None, *, wait_seconds: float = 60.0):
    """Hold the reconcile lock of ``schema_name`` (default: the schema the connection is in) for the block.

    Waits at most ``wait_seconds`` for another holder, then raises ``ReconcileBusy``. Yields how long it
    waited, in seconds."""
    key = lock_key(schema_name or connection.schema_name)
    started = time.monotonic()
    _acquire(key, wait_seconds)
    try:
        yield time.monotonic() - started
    finally:
        _release(key)
