"""Celery tasks of the webhooks out: thin wrappers over notifications.fanout and notifications.delivery.

Messages carry ids only (tenant schema, workspace, delivery) and the tenant's schema as their header; each task
re-checks that the schema in its payload is the one it runs in. A wait before a retry of up to half the broker's
visibility timeout is a Celery countdown; a longer one is left to the sweep (a message held longer than the
visibility timeout would be handed to another worker before it is due)."""
import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from notifications import delivery, fanout
from notifications.models import Subscription
from portal.workspaces.models import Workspace

log = logging.getLogger(__name__)


def countdown_max() -> float:
    return settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 600) / 2


def _wrong_schema(schema_name: str, what: str) -> bool:
    if connection.schema_name != schema_name:
        log.error("refused %s: payload names schema %r, task runs in %r", what, schema_name, connection.schema_name)
        return True
    return False


def _send(task, schema_name: str, *args, **options) -> None:
    task.apply_async(args=[schema_name, *args], headers={"_schema_name": schema_name}, **options)


def _tenant_schema() -> str | None:
    schema = connection.schema_name
    return None if not schema or schema == get_public_schema_name() else schema


def deliver_on_commit(delivery_ids) -> None:
    """Queue these deliveries of the current tenant once the transaction commits (robust: if the broker is down
    they stay due, and the sweep sends them)."""
    schema = _tenant_schema()
    for delivery_id in delivery_ids if schema else ():
        transaction.on_commit(partial(_send, deliver, schema, str(delivery_id)), robust=True)


def fan_out_on_commit(workspace_id) -> None:
    """Queue a fan-out of the workspace once the transaction commits, if anyone in this tenant subscribes."""
    schema = _tenant_schema()
    if schema is None:
        return

    def queue():
        # The commit may come after the code has left the tenant's context: ask in the schema captured above.
        with schema_context(schema):
            listened = Subscription.objects.filter(active=True).exists()
        if listened:
            _send(fan_out, schema, str(workspace_id))

    transaction.on_commit(queue, robust=True)


@shared_task(name="notifications.deliver", acks_late=True, reject_on_worker_lost=True)
def deliver(schema_name: str, delivery_id: str) -> str:
    if _wrong_schema(schema_name, f"delivery {delivery_id}"):
        return "refused"
    outcome = delivery.send(delivery_id)
    if outcome is None:
        return "not due"
    if outcome.retry_in is not None and outcome.retry_in <= countdown_max():
        _send(deliver, schema_name, delivery_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.fan_out", acks_late=True, reject_on_worker_lost=True)
def fan_out(schema_name: str, workspace_id: str) -> int:
    if _wrong_schema(schema_name, f"fan-out of workspace {workspace_id}"):
        return 0
    created = fanout.fan_out(workspace_id)
    for delivery_id in created:
        _send(deliver, schema_name, delivery_id)
    return len(created)


@shared_task(name="notifications.sweep")
def sweep() -> dict:
    """Every 15 s in every tenant (beat): fan out what the prompt triggers did not (discovery events, holds, a
    lost trigger), and send again the deliveries whose message was lost or whose wait was long."""
    schema = connection.schema_name
    if schema == get_public_schema_name():
        return {}
    created = []
    listened = Workspace.objects.filter(webhook_subscriptions__active=True).distinct()
    for workspace_id in listened.values_list("pk", flat=True):
        created += fanout.fan_out(workspace_id)
    overdue = delivery.overdue()
    for delivery_id in dict.fromkeys(created + overdue):
        _send(deliver, schema, delivery_id)
    return {"created": len(created), "resent": len(overdue)}
