"""Audit events for on-call connections: who created, changed or deleted one, and when its key changed. Never the
key, its ciphertext or any digest of it.

Events (object_type "oncallconnection"): ``oncall_connection.created`` (name, provider, region, enabled, key
"set"/"none"), ``oncall_connection.updated`` (``changes``: {field: {"old", "new"}}),
``oncall_connection.key_changed`` (key "replaced"/"set"/"removed"), ``oncall_connection.deleted``; each with the
caller's ``reason``."""
from __future__ import annotations

from audit.events import record
from discovery.audit import secret_change

FIELDS = ("name", "provider", "region", "enabled")


def snapshot(conn) -> dict | None:
    if conn is None:
        return None
    return {**{f: getattr(conn, f) for f in FIELDS}, "_key": bytes(conn.key_ciphertext or b"")}


def saved(conn, before: dict | None, *, actor: str, reason: str = "") -> list:
    after = snapshot(conn)
    common = {"actor": actor, "obj": conn, "workspace_id": conn.workspace_id, "name": conn.name, "reason": reason}
    if before is None:
        return [record("oncall_connection.created", provider=conn.provider, region=conn.region, enabled=conn.enabled,
                       key="set" if after["_key"] else "none", **common)]
    changes = {f: {"old": before[f], "new": after[f]} for f in FIELDS if before[f] != after[f]}
    found = [record("oncall_connection.updated", changes=changes, **common)]
    key = secret_change(before["_key"], after["_key"])
    if key:
        found.append(record("oncall_connection.key_changed", key=key, **common))
    return found


def deleted(conn, *, actor: str, reason: str = ""):
    return record("oncall_connection.deleted", actor=actor, obj=conn, workspace_id=conn.workspace_id, name=conn.name,
                  provider=conn.provider, had_key=conn.has_key, reason=reason)
