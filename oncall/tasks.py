"""Celery tasks of on-call: thin wrappers over oncall.sync.

``oncall.sync`` runs every minute in every tenant schema (beat, fanned out like the watchdog) and reads each of the
tenant's enabled connections in turn. ``oncall.sync_connection`` reads one now (the admin's "Read now"); its
payload is ids only and it re-checks that the schema in its payload is the one it runs in. Keys never travel in a
message: the worker decrypts them from the database."""
import logging

from celery import shared_task
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

from oncall import sync as syncing

log = logging.getLogger(__name__)


@shared_task(name="oncall.sync")
def sync() -> dict:
    if connection.schema_name == get_public_schema_name():
        return {}
    return syncing.sync_all()


@shared_task(name="oncall.sync_connection", acks_late=True, reject_on_worker_lost=True)
def sync_connection(schema_name: str, connection_id: str) -> str:
    if connection.schema_name != schema_name:
        log.error("refused on-call sync of %s: payload names schema %r, task runs in %r", connection_id, schema_name,
                  connection.schema_name)
        return "refused"
    return syncing.sync_connection(connection_id)


def sync_on_commit(connection_ids) -> None:
    """Queue a read of these connections of the current tenant once the transaction commits."""
    schema = connection.schema_name
    for connection_id in connection_ids:
        transaction.on_commit(lambda pk=str(connection_id): sync_connection.apply_async(
            args=[schema, pk], headers={"_schema_name": schema}), robust=True)
