"""The logs events are read from, and what each row means as webhook events. Notifications only reads them:
catalog's discovery events and retirement holds, and the audit trail (runs queued and finished).

Each source gives its rows after an id (``rows``) and turns rows into events (``events``); the fan-out
(notifications.fanout) keeps one high-water mark per source and workspace. A row belongs to the workspace
of its run; a row without one (a correction) to the default workspace."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from audit.models import AuditEvent
from catalog.choices import EventType as CatalogEvent
from catalog.choices import OwnershipStatus
from catalog.models import DiscoveryEvent, RetirementHold
from discovery.models import Run
from notifications import payloads
from notifications.events import EventType


@dataclass(frozen=True)
class Event:
    workspace_id: object
    type: str
    id: object          # uuid, derived from the source row (payloads.event_id)
    created_at: datetime
    data: dict


@dataclass
class Context:
    schema: str
    base: str                   # the tenant's console origin, for links
    default_workspace_id: object
    events: list[Event] = field(default_factory=list)

    def add(self, source: str, row, workspace_id, event_type: str, data: dict) -> None:
        self.events.append(Event(workspace_id=workspace_id or self.default_workspace_id, type=event_type,
                                 id=payloads.event_id(self.schema, source, row.pk, event_type),
                                 created_at=row.created_at, data=data))


# --- catalog's discovery events ------------------------------------------------------------------------------
RENAME_FIELDS = ("name", "display_name")


def _service(ctx: Context, row: DiscoveryEvent, name: str | None = None) -> dict:
    service = row.service
    if service is None:  # deleted since: what the event itself remembers
        return payloads.service(base=ctx.base, id=row.service_id, name=name or row.service_name)
    owner = service.owner
    return payloads.service(base=ctx.base, id=service.pk, name=name or service.name,
                            owner=payloads.team(owner.slug, owner.name) if owner else None,
                            confidence=service.confidence, ownership_status=service.ownership_status,
                            lifecycle=service.lifecycle)


def _renamed(row: DiscoveryEvent) -> tuple[str, object, object] | None:
    """(field, old, new) when a service_updated event renamed the service; reconcile records several changed
    fields in one event ("name,resources", values as {field: value}), other writers one plain value."""
    changed = [f.strip() for f in (row.field or "").split(",")]
    for name in RENAME_FIELDS:
        if name in changed:
            old, new = row.old_value, row.new_value
            if isinstance(old, dict) or isinstance(new, dict):
                old, new = (old or {}).get(name), (new or {}).get(name)
            if old != new:
                return name, old, new
    return None


def discovery_event_rows(after: int, limit: int) -> list[DiscoveryEvent]:
    return list(DiscoveryEvent.objects.filter(pk__gt=after).order_by("pk")
                .select_related("run", "service__owner", "service__runner_up")[:limit])


def discovery_events(ctx: Context, rows: list[DiscoveryEvent]) -> None:
    source = "discovery_event"
    for row in rows:
        workspace = row.run.workspace_id if row.run_id and row.run else None
        run = payloads.run_ref(base=ctx.base, id=row.run_id)
        if row.event_type == CatalogEvent.SERVICE_CREATED:
            ctx.add(source, row, workspace, EventType.SERVICE_DISCOVERED,
                    {"service": _service(ctx, row), "reason": row.reason, "run": run})
        elif row.event_type == CatalogEvent.SERVICE_REMOVED:
            ctx.add(source, row, workspace, EventType.SERVICE_RETIRED,
                    {"service": _service(ctx, row), "lifecycle": {"from": row.old_value, "to": row.new_value},
                     "reason": row.reason, "run": run})
        elif row.event_type == CatalogEvent.SERVICE_UPDATED and (renamed := _renamed(row)):
            name, old, new = renamed
            ctx.add(source, row, workspace, EventType.SERVICE_RENAMED,
                    {"service": _service(ctx, row, name=row.service_name), "field": name,
                     "old": old, "new": new, "run": run})
        elif row.event_type == CatalogEvent.OWNERSHIP_CHANGED:
            service = _service(ctx, row)
            ctx.add(source, row, workspace, EventType.OWNERSHIP_CHANGED,
                    {"service": service, "old_owner": row.old_value, "new_owner": row.new_value,
                     "confidence": row.confidence, "source": row.reason, "run": run})
            # Ambiguity is read from the service when its owner changes: the runner-up is close behind.
            if row.service is not None and row.service.ownership_status == OwnershipStatus.AMBIGUOUS:
                runner_up = row.service.runner_up
                ctx.add(source, row, workspace, EventType.OWNERSHIP_AMBIGUOUS, {
                    "service": service,
                    "runner_up": ({**payloads.team(runner_up.slug, runner_up.name),
                                   "score": round(row.service.runner_up_score, 3)} if runner_up else None),
                    "candidates": list(row.service.owner_candidates or [])[:5], "run": run})


# --- retirement holds ----------------------------------------------------------------------------------------
def retirement_hold_rows(after: int, limit: int) -> list[RetirementHold]:
    return list(RetirementHold.objects.filter(pk__gt=after).order_by("pk").select_related("run")[:limit])


def retirement_holds(ctx: Context, rows: list[RetirementHold]) -> None:
    for row in rows:
        services = [{"id": s.get("id"), "name": s.get("name"), "to": s.get("to"),
                     "url": payloads.console_link(ctx.base, f"/services/{s.get('id')}")}
                    for s in (row.services or [])[:500]]
        ctx.add("retirement_hold", row, row.run.workspace_id, EventType.RETIREMENT_HELD, {
            "hold": {"id": row.pk, "status": row.status, "total_services": row.total_services,
                     "held": len(row.services or []), "services": services},
            "run": payloads.run_ref(base=ctx.base, id=row.run_id)})


# --- the audit trail -----------------------------------------------------------------------------------------
RUN_ACTIONS = {"run.queued": EventType.RUN_QUEUED, "run.finished": EventType.RUN_FINISHED}


def audit_event_rows(after: int, limit: int) -> list[AuditEvent]:
    # Every row, not only runs': the high-water mark needs to see the ids in between.
    return list(AuditEvent.objects.filter(pk__gt=after).order_by("pk")
                .only("pk", "created_at", "action", "object_id", "workspace_id", "data")[:limit])


def audit_events(ctx: Context, rows: list[AuditEvent]) -> None:
    wanted = [row for row in rows if row.action in RUN_ACTIONS]
    runs = Run.objects.in_bulk([pk for row in wanted if (pk := _uuid(row.object_id))])
    for row in wanted:
        run = runs.get(_uuid(row.object_id))
        facts = row.data or {}
        status = facts.get("status") or ("queued" if row.action == "run.queued" else None)
        described = payloads.run(
            base=ctx.base, id=row.object_id, kind=facts.get("kind") or (run.kind if run else None), status=status,
            connection=facts.get("connection") or (run.connection_id if run else None),
            trigger=facts.get("trigger") or (run.trigger if run else None),
            started_at=run.started_at if run and row.action == "run.finished" else None,
            finished_at=run.finished_at if run and row.action == "run.finished" else None)
        data = {"run": described}
        if row.action == "run.finished":
            data["status"] = status
            data["counts"] = {k: facts[k] for k in ("succeeded", "failed", "facts") if isinstance(facts.get(k), int)}
        ctx.add("audit_event", row, row.workspace_id, RUN_ACTIONS[row.action], data)


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class Source:
    name: str          # the cursor's column is f"{name}_id"
    rows: object       # (after id, limit) -> rows ordered by id
    events: object     # (context, rows) -> None (adds to context.events)


SOURCES = (
    Source("discovery_event", discovery_event_rows, discovery_events),
    Source("retirement_hold", retirement_hold_rows, retirement_holds),
    Source("audit_event", audit_event_rows, audit_events),
)
MODELS = {"discovery_event": DiscoveryEvent, "retirement_hold": RetirementHold, "audit_event": AuditEvent}
