"""GitHub's published webhook payload schemas (npm ``@octokit/webhooks-schemas``) as the emulator and
Roster's tests read them: ``validate_payload(event, payload)`` checks one delivery's body against the
schema of that event and action, e.g. ``push`` -> ``push$event``, ``repository`` with action
``renamed`` -> ``repository$renamed``.

    from peers.github_emulator.webhook_schemas import validate_payload
    validate_payload(request.headers["X-GitHub-Event"], json.loads(body))  # raises PayloadInvalid
"""
from __future__ import annotations

import json
import subprocess
import threading
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import best_match

from .graphql_api import PACKAGE_DIR

SCHEMA_PATH = PACKAGE_DIR / "node_modules" / "@octokit" / "webhooks-schemas" / "schema.json"

_lock = threading.Lock()
_document: dict[str, Any] | None = None
_validators: dict[str, Draft7Validator] = {}


class PayloadInvalid(ValueError):
    """A payload that does not match GitHub's schema for its event (or an event the schemas do not know)."""


def document() -> dict[str, Any]:
    """The whole schema document, read once per process (installing the npm packages if missing)."""
    global _document
    with _lock:
        if _document is None:
            if not SCHEMA_PATH.exists():  # node_modules from before the package was added
                subprocess.run(["npm", "ci", "--prefix", str(PACKAGE_DIR), "--no-audit", "--no-fund"], check=True,
                               stdout=subprocess.DEVNULL)
            _document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        return _document


def event_names() -> frozenset[str]:
    """Every event GitHub delivers (``push``, ``repository``, ``installation_repositories``, ...)."""
    names = set()
    for option in document()["oneOf"]:
        definition = option["$ref"].rsplit("/", 1)[1]
        names.add(definition.removesuffix("$event").removesuffix("_event"))
    return frozenset(names)


def definition_for(event: str, payload: dict[str, Any]) -> str:
    """The name of the definition a payload of ``event`` must match."""
    definitions = document()["definitions"]
    if f"{event}$event" in definitions:  # events without actions (push, team_add, ping)
        return f"{event}$event"
    action = payload.get("action") if isinstance(payload, dict) else None
    if action is not None and f"{event}${action}" in definitions:
        return f"{event}${action}"
    if f"{event}_event" in definitions:
        raise PayloadInvalid(f"{event}: no schema for action {action!r}")
    raise PayloadInvalid(f"unknown webhook event {event!r}")


def _validator(name: str) -> Draft7Validator:
    with _lock:
        validator = _validators.get(name)
    if validator is None:
        doc = document()
        schema = {"$ref": f"#/definitions/{name}", "definitions": doc["definitions"]}
        validator = Draft7Validator(schema, format_checker=FormatChecker())
        with _lock:
            _validators[name] = validator
    return validator


def validate_payload(event: str, payload: dict[str, Any]) -> None:
    """Raise ``PayloadInvalid`` naming the first problem (its JSON path) unless ``payload`` is a valid
    ``event`` delivery according to GitHub's schemas."""
    name = definition_for(event, payload)
    problem = best_match(_validator(name).iter_errors(payload))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "(top level)"
        raise PayloadInvalid(f"{name}: {problem.message[:300]} at {where}")
