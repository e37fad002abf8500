"""A GitHub emulator (REST + GraphQL) serving the `github` part of a roster-scenario/1 file.

    from peers.github_emulator import create_app, start_in_thread
    base_url, stop = start_in_thread("scenarios/sample-messy.yaml")

CLI: ``python -m peers.github_emulator --port N [--scenario FILE] [--latency-ms N] [--token T ...]``.
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
