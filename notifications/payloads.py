"""What a delivery's body says: the envelope every event shares and the pieces its ``data`` is built from.
Plain functions of plain values (no ORM), documented by ``notifications/schemas/*.json``.

    {"id": <event uuid>, "type": "service.discovered", "created_at": <ISO 8601>,
     "tenant": {"schema": ..., "host": ...}, "workspace": <slug>, "data": {...}}

The event id is derived from the source row (schema, log, row id, type): the same event has the same id in
every subscription's delivery and on every attempt, so receivers can de-duplicate on it."""
from __future__ import annotations

import uuid
from datetime import datetime

NAMESPACE = uuid.UUID("5b0c9a3e-7d0e-4f5e-9a43-3f1b8d7c2a10")  # Roster's webhook events (fixed forever)


def event_id(schema: str, source: str, row_id, event_type: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{schema}/{source}/{row_id}/{event_type}")


def console_link(base: str, path: str) -> str:
    """An absolute console URL: ``base`` is the tenant's origin (e.g. https://acme.roster.example)."""
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def envelope(*, event_id: uuid.UUID | str, event_type: str, created_at: datetime, tenant: dict, workspace: str,
             data: dict) -> dict:
    return {"id": str(event_id), "type": event_type, "created_at": created_at.isoformat(), "tenant": dict(tenant),
            "workspace": workspace, "data": data}


def team(slug: str | None, name: str | None = None) -> dict | None:
    return {"slug": slug, "name": name or slug} if slug else None


def service(*, base: str, id, name: str, owner: dict | None = None, confidence: float | None = None,
            ownership_status: str | None = None, lifecycle: str | None = None) -> dict:
    """A service as every event names it. ``id`` may be None when the service is gone (then no link)."""
    return {
        "id": str(id) if id else None,
        "name": name,
        "url": console_link(base, f"/services/{id}") if id else None,
        "owner": owner,
        "confidence": round(float(confidence), 3) if confidence is not None else None,
        "ownership_status": ownership_status,
        "lifecycle": lifecycle,
    }


def run(*, base: str, id, kind: str | None = None, status: str | None = None, connection=None,
        trigger: str | None = None, started_at: datetime | None = None,
        finished_at: datetime | None = None) -> dict:
    return {
        "id": str(id),
        "url": console_link(base, f"/runs/{id}"),
        "kind": kind,
        "status": status,
        "connection": str(connection) if connection else None,
        "trigger": trigger,
        "started_at": started_at.isoformat() if started_at else None,
        "finished_at": finished_at.isoformat() if finished_at else None,
    }


def run_ref(*, base: str, id) -> dict | None:
    """The run an event came from, when it came from one (a correction does not)."""
    return {"id": str(id), "url": console_link(base, f"/runs/{id}")} if id else None


def ping(*, subscription_id, name: str) -> dict:
    return {"subscription": {"id": str(subscription_id), "name": name},
            "message": "Roster can reach this URL; the signature says it came from Roster."}
