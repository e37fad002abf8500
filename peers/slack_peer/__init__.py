"""A local stand-in for Slack: it sends Roster signed slash commands and events, serves the Web API methods
Roster calls, receives ``response_url`` answers, and records everything Roster sent (README in ``control``).

    from peers.slack_peer import create_app, start_in_thread
    base, stop = start_in_thread(create_app("signing-secret"))

Shapes follow Slack's published types (npm @slack/web-api, @slack/types, @slack/bolt: package.json here);
``peers.slack_peer.typecheck`` checks values against them with TypeScript.
"""
from __future__ import annotations

from peers.serving import serve_in_thread

from .app import create_app

__all__ = ["create_app", "start_in_thread"]


def start_in_thread(app, port: int = 0):
    """Serve ``app`` on 127.0.0.1 in a daemon thread; returns ``(base_url, stop)``."""
    return serve_in_thread(app, port, name="slack-peer")
