"""A GitHub emulator (REST + GraphQL) serving the `github` part of a roster-scenario/1 file.

    from peers.github_emulator import create_app, start_in_thread
    base_url, stop = start_in_thread("scenarios/sample-messy.yaml")

CLI: ``python -m peers.github_emulator --port N [--scenario FILE] [--latency-ms N] [--token T ...]``.

Webhooks: the emulator sends GitHub's webhooks, signed, to loopback receivers. Register one with GitHub's
REST API (``POST /orgs/{org}/hooks``, ``POST /repos/{owner}/{repo}/hooks``, owner token) or without a token
through ``POST /_emulator/hooks`` ``{"url", "secret", "events": ["*"]}`` (``"org"``, ``"repo"`` or
``"app": true`` to narrow or to make it the GitHub App's). Changes made through the control API
(``/_emulator/push``, ``/_emulator/repos/...``, ``/_emulator/orgs/...``,
``/_emulator/installation/repositories``; ``routes/control.py`` and ``routes/control_changes.py`` list
them) then reach every hook GitHub would send them to; ``?wait=1`` or ``POST /_emulator/hooks/flush``
waits for the deliveries, ``GET /_emulator/deliveries`` lists them. ``webhook_schemas.validate_payload``
checks a payload against GitHub's published schemas (npm ``@octokit/webhooks-schemas``).

    requests.post(f"{base}/_emulator/hooks", json={"url": "http://acme.localhost:8000/webhooks/github",
                                                   "secret": "s", "org": "acme"})
    requests.post(f"{base}/_emulator/repos/acme/billing/rename?wait=1", json={"name": "payments"})
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable


from peers.scenario import load_scenario
from peers.serving import serve_in_thread

from .app import Faults, create_app
from .graphql_api import ensure_schema, get_schema

__all__ = ["Faults", "create_app", "ensure_schema", "get_schema", "start_in_thread"]


def start_in_thread(app_or_scenario: Any = None, port: int = 0, **options: Any) -> tuple[str, Callable[[], None]]:
    """Serve an app (or a scenario dict / file path, passed to ``create_app`` with ``options``) on
    127.0.0.1 in a daemon thread. Returns ``(base_url, stop)``."""
    if isinstance(app_or_scenario, (str, Path)):
        app_or_scenario = load_scenario(app_or_scenario)
    app = app_or_scenario if callable(app_or_scenario) else create_app(app_or_scenario, **options)
    return serve_in_thread(app, port, name="github-emulator")
