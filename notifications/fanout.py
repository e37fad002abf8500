"""The outbox's fan-out: new rows of the source logs become Delivery rows, one per matching active subscription.

One cursor per workspace holds a high-water mark per source log (the id below which every row has been
fanned out). A fan-out locks its workspace's cursor, reads the rows after each mark, creates the deliveries
and moves the marks in the same transaction: a worker that dies on the way loses nothing (nothing moved),
and two fan-outs at once take turns on the lock.

Ids are handed out when rows are inserted, not when they commit, so a row may become visible after a row
with a higher id (its transaction was still open). A mark therefore stops below such a gap; the rows above
it are fanned out now and again on the next pass, and the deliveries' unique (subscription, event) keeps the
second pass from creating anything twice. A gap older than the longest transaction that could still fill
it (the task time limit, plus a margin) was a rollback: the mark moves past it.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_tenant_domain_model

from notifications import payloads
from notifications.backoff import Policy
from notifications.models import Delivery, FanOutCursor, Subscription
from notifications.sources import MODELS, SOURCES, Context
from portal.workspaces.models import Workspace

BATCH = 500
MAX_PAGES = 20  # per source and call (10,000 rows); the rest waits for the next trigger or sweep


def settle_time() -> timedelta:
    """How long an id below a visible row may stay missing before it is taken for a rollback."""
    return timedelta(seconds=(settings.CELERY_TASK_TIME_LIMIT or 600) + 60)


def advance(mark: int, seen, now, settle: timedelta) -> int:
    """The new high-water mark after ``seen`` ((id, created_at) in ascending ids): up to the first gap that
    may still be filled."""
    expected = mark + 1
    for pk, created_at in seen:
        if pk != expected and created_at > now - settle:
            break
        mark, expected = pk, pk + 1
    return mark


def heads() -> dict[str, int]:
    """Each log's last id handed out (its sequence, not its largest row: ids of rolled-back rows count too)."""
    found = {}
    with connection.cursor() as cursor:
        for name, model in MODELS.items():
            cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s))",
                           [model._meta.db_table, model._meta.pk.column])
            found[f"{name}_id"] = cursor.fetchone()[0] or 0
    return found


def ensure_cursor(workspace: Workspace, *, to_heads: bool = False) -> FanOutCursor:
    """The workspace's cursor, created at the logs' heads (or moved there: ``to_heads``, when the first
    subscription of the workspace is made), so a new subscription gets what happens from now on, and the
    fan-out does not read through what happened while nobody listened."""
    cursor, created = FanOutCursor.objects.get_or_create(workspace=workspace, defaults=heads())
    if to_heads and not created:
        FanOutCursor.objects.filter(pk=cursor.pk).update(**heads())
    return cursor


def tenant_info() -> dict:
    schema = connection.schema_name
    domain = (get_tenant_domain_model().objects.filter(tenant__schema_name=schema)
              .order_by("-is_primary", "domain").values_list("domain", flat=True).first())
    return {"schema": schema, "host": domain or ""}


def console_base(tenant: dict) -> str:
    return settings.ROSTER_WEBHOOK_CONSOLE_URL.format(host=tenant["host"] or tenant["schema"])


@transaction.atomic
def fan_out(workspace_id) -> list[str]:
    """Fan out what is new for one workspace; returns the ids of the deliveries created (to send)."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return []
    ensure_cursor(workspace)
    cursor = FanOutCursor.objects.select_for_update().get(workspace=workspace)
    subscriptions = list(Subscription.objects.filter(workspace=workspace, active=True))
    if not subscriptions:  # nobody listens: nothing to read
        return []
    tenant = tenant_info()
    default = Workspace.objects.filter(is_default=True).values_list("pk", flat=True).first()
    now, settle, created = timezone.now(), settle_time(), []
    for source in SOURCES:
        column = f"{source.name}_id"
        mark = after = getattr(cursor, column)
        seen = []
        # Page on from the last row read, not from the mark: a gap that holds the mark does not hold the pages.
        for _ in range(MAX_PAGES):
            rows = source.rows(after, BATCH)
            if not rows:
                break
            context = Context(schema=tenant["schema"], base=console_base(tenant), default_workspace_id=default)
            source.events(context, rows)
            created += _deliveries(context.events, workspace, subscriptions, tenant, now)
            seen += [(row.pk, row.created_at) for row in rows]
            after = rows[-1].pk
            if len(rows) < BATCH:
                break
        setattr(cursor, column, advance(mark, seen, now, settle))
    cursor.save()
    return [str(d.pk) for d in created]


def _deliveries(events, workspace, subscriptions, tenant, now) -> list[Delivery]:
    retry_until = now + timedelta(seconds=Policy.from_settings().retry_for)
    wanted = [Delivery(subscription=sub, event_id=event.id, event_type=event.type, next_attempt_at=now,
                       retry_until=retry_until,
                       payload=payloads.envelope(event_id=event.id, event_type=event.type,
                                                 created_at=event.created_at, tenant=tenant,
                                                 workspace=workspace.slug, data=event.data))
              for event in events if event.workspace_id == workspace.pk
              for sub in subscriptions if sub.wants(event.type) and event.created_at >= sub.created_at]
    if not wanted:
        return []
    existing = set(Delivery.objects.filter(event_id__in={d.event_id for d in wanted})
                   .values_list("subscription_id", "event_id"))
    new = [d for d in wanted if (d.subscription_id, d.event_id) not in existing]
    Delivery.objects.bulk_create(new, ignore_conflicts=True)  # the constraint, should anything slip past the lock
    return new
