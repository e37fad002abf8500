"""Audit events for changes to discovery connections: who, when, what changed and why. Never a secret.

Plain functions, for the API and the admin alike::

    before = snapshot(conn)                 # None when creating
    ...save...
    connection_saved(conn, before, actor=username, reason=reason)
    connection_deleted(conn, actor=username, reason=reason)   # before deleting

Events (object_type "connection", object_id the connection's id):

* ``connection.created``: name, provider, enabled, config, ``secret`` "set" or "none";
* ``connection.updated``: ``changes``: {"name"|"enabled": {"old", "new"}, "config": {key: {"old", "new"}}}
  (a key that was added has no "old", one that was removed no "new"); recorded for every update, even one
  that changed nothing;
* ``connection.secret_changed``: ``secret`` "replaced", "set" (there was none) or "removed". The secret's
  value, ciphertext or any digest of it is never recorded;
* ``connection.deleted``: name, provider, enabled, config, ``had_secret``.

Each carries ``reason`` (the caller's, may be empty). Config holds no secrets by design; a key whose name
looks like one (token, password, private_key, ...) is recorded as "[redacted]" all the same.
"""
from __future__ import annotations

import copy
import re

from audit.events import record

REDACTED = "[redacted]"
SECRET_LIKE_KEY = re.compile(r"secret|token|passw|passphrase|private|credential|access_key|api_?key|signing",
                             re.IGNORECASE)
FIELDS = ("name", "enabled")
_MISSING = object()


def snapshot(conn) -> dict | None:
    """What a change is compared with, taken before it (in memory only: the secret is compared, not kept)."""
    if conn is None:
        return None
    return {
        "name": conn.name,
        "provider": conn.provider,
        "enabled": conn.enabled,
        "config": copy.deepcopy(conn.config or {}),
        "_secret": _ciphertext(conn),
    }


def connection_saved(conn, before: dict | None, *, actor: str, reason: str = "") -> list:
    """Record a create (``before`` None) or an update (``before`` = snapshot taken before it)."""
    if before is None:
        return [record("connection.created", actor=actor, obj=conn, workspace_id=conn.workspace_id,
                       name=conn.name, provider=conn.provider, enabled=conn.enabled, config=redact(conn.config),
                       secret="set" if _ciphertext(conn) else "none", reason=reason)]
    after = snapshot(conn)
    events = [record("connection.updated", actor=actor, obj=conn, workspace_id=conn.workspace_id,
                     name=conn.name, changes=changes(before, after), reason=reason)]
    secret = secret_change(before["_secret"], after["_secret"])
    if secret:
        events.append(record("connection.secret_changed", actor=actor, obj=conn, workspace_id=conn.workspace_id,
                             name=conn.name, secret=secret, reason=reason))
    return events


def connection_deleted(conn, *, actor: str, reason: str = ""):
    """Record a deletion; call it before ``conn.delete()`` (the event names the connection's id)."""
    return record("connection.deleted", actor=actor, obj=conn, workspace_id=conn.workspace_id, name=conn.name,
                  provider=conn.provider, enabled=conn.enabled, config=redact(conn.config),
                  had_secret=bool(_ciphertext(conn)), reason=reason)


def changes(before: dict, after: dict) -> dict:
    found = {field: {"old": before[field], "new": after[field]} for field in FIELDS if before[field] != after[field]}
    config = config_changes(before["config"], after["config"])
    if config:
        found["config"] = config
    return found


def config_changes(old: dict, new: dict) -> dict:
    old, new = old or {}, new or {}
    found = {}
    for key in sorted(set(old) | set(new), key=str):
        was, now = old.get(key, _MISSING), new.get(key, _MISSING)
        if was == now:
            continue
        secret_like = bool(SECRET_LIKE_KEY.search(str(key)))
        entry = {}
        if was is not _MISSING:
            entry["old"] = REDACTED if secret_like else _redacted(was)
        if now is not _MISSING:
            entry["new"] = REDACTED if secret_like else _redacted(now)
        found[str(key)] = entry
    return found


def redact(config: dict | None) -> dict:
    return _redacted(config or {})


def _redacted(value):
    """``value`` with the value of every secret-looking key, at any depth, replaced by REDACTED."""
    if isinstance(value, dict):
        return {str(key): REDACTED if SECRET_LIKE_KEY.search(str(key)) else _redacted(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def secret_change(old: bytes, new: bytes) -> str:
    """"replaced", "set", "removed" or "" (unchanged). Each encryption gives a new ciphertext, so a secret
    sent again counts as replaced even when it is the same value (which nobody here can read to compare)."""
    if old == new:
        return ""
    if not new:
        return "removed"
    return "replaced" if old else "set"


def _ciphertext(conn) -> bytes:
    value = conn.secret_ciphertext
    return bytes(value) if value else b""
