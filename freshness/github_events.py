"""What a GitHub webhook delivery means for the catalog: verify it, check it, and plan the smallest refresh.

Plain Python (no Django): the receiver verifies and plans here, the task carries the plan out. A plan names
the repositories to read again, those GitHub says are gone under that name (deleted, renamed away,
transferred out, archived when archived ones are not catalogued, removed from the App's installation), and
whether the teams must be read again. Payload shapes follow GitHub's published webhook schemas
(@octokit/webhooks-schemas); only the fields Roster reads are checked, each with a clear message.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

# Events Roster subscribes to; anything else is answered 204 and ignored.
EVENTS = ("push", "repository", "team", "membership", "team_add", "member", "installation_repositories")
REPO_ACTIONS_GONE = {"deleted"}
TEAM_EVENTS = {"team", "membership", "team_add"}


class Malformed(ValueError):
    """Signed, but not the payload GitHub documents for this event."""


@dataclass
class Plan:
    repos: set[str] = field(default_factory=set)    # read these repositories again
    forget: set[str] = field(default_factory=set)   # GitHub says these names are gone
    teams: bool = False                             # read the org's teams (and members) again
    ignored: str = ""                               # why nothing is done, when nothing is

    @property
    def empty(self) -> bool:
        return not (self.repos or self.forget or self.teams)

    def as_json(self) -> dict:
        return {"repos": sorted(self.repos), "forget": sorted(self.forget), "teams": self.teams}


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256 of the raw body; compared in constant time."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def plan(event: str, payload: Any, *, org: str, include_archived: bool = False) -> Plan:
    """The refresh a delivery asks for. Raises Malformed when a field Roster reads is missing or mistyped."""
    if not isinstance(payload, dict):
        raise Malformed("the payload is not a JSON object")
    owner = _org_of(payload)
    if event == "repository" and payload.get("action") == "transferred" and _moved_from(payload, org):
        return Plan(forget={_text(payload, "repository", "name")})  # transferred out of this org
    if owner and org and owner.lower() != org.lower():
        return Plan(ignored=f"for organization {owner}, not {org}")
    action = payload.get("action", "")
    if event == "push":
        return _push(payload)
    if event == "repository":
        return _repository(payload, action, include_archived)
    if event in TEAM_EVENTS:
        _text(payload, "team", "slug") if event != "team_add" else _text(payload, "repository", "name")
        return Plan(teams=True)
    if event == "member":  # a repository's collaborators changed
        return Plan(repos={_text(payload, "repository", "name")})
    if event == "installation_repositories":
        added = {_text(r, "name") for r in _list(payload, "repositories_added")}
        removed = {_text(r, "name") for r in _list(payload, "repositories_removed")}
        return Plan(repos=added, forget=removed, ignored="" if added or removed else "no repositories changed")
    return Plan(ignored=f"event {event} is not one Roster reads")


def _push(payload: dict) -> Plan:
    ref = _text(payload, "ref")
    name = _text(payload, "repository", "name")
    default = _text(payload, "repository", "default_branch")
    if ref != f"refs/heads/{default}":
        return Plan(ignored=f"push to {ref}, not the default branch {default}")
    if payload.get("deleted"):
        return Plan(ignored="the default branch was deleted")
    return Plan(repos={name})


def _repository(payload: dict, action: str, include_archived: bool) -> Plan:
    name = _text(payload, "repository", "name")
    if not isinstance(action, str) or not action:
        raise Malformed("repository events carry an action")
    if action in REPO_ACTIONS_GONE:
        return Plan(forget={name})
    if action == "renamed":
        return Plan(repos={name}, forget={_text(payload, "changes", "repository", "name", "from")})
    if action == "transferred":
        # Into this org (the payload's owner is us): read it; the org-check above dropped transfers away.
        return Plan(repos={name})
    if action == "archived" and not include_archived:
        return Plan(forget={name})
    return Plan(repos={name})  # created, unarchived, edited, publicized, privatized, archived (kept)


def _moved_from(payload: dict, org: str) -> bool:
    previous = _get(payload, "changes", "owner", "from")
    login = _get(previous, "organization", "login") or _get(previous, "user", "login")
    return isinstance(login, str) and bool(org) and login.lower() == org.lower() and \
        _org_of(payload).lower() != org.lower()


def _get(value: Any, *path: str) -> Any:
    """The value at path, or None where any step is missing or not an object (hostile payloads included)."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _org_of(payload: dict) -> str:
    login = _get(payload, "organization", "login") or _get(payload, "repository", "owner", "login")
    return login if isinstance(login, str) else ""


def _text(payload: Any, *path: str) -> str:
    value = payload
    for i, key in enumerate(path):
        if not isinstance(value, dict) or key not in value:
            raise Malformed(f"missing {'.'.join(path[:i + 1])}")
        value = value[key]
    if not isinstance(value, str) or not value:
        raise Malformed(f"{'.'.join(path)} is not a non-empty string")
    return value


def _list(payload: dict, key: str) -> list:
    value = payload.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Malformed(f"{key} is not a list of repositories")
    return value
