"""The Slack peer's WSGI app: Slack's Web API for the methods Roster calls (``web_api``), the OAuth authorize
page, the response_url receiver and the control API (``control``). State: ``app.extensions["slack_peer"]``."""
from __future__ import annotations

import json

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from . import control, web_api
from .state import SlackState


def create_app(signing_secret: str, *, client_id: str = "", client_secret: str = "", app_id: str = "A0ROSTER1",
               workspaces: list[dict] | None = None) -> Flask:
    """A Slack peer signing what it sends with ``signing_secret``; ``client_id``/``client_secret`` enable the
    OAuth flow; ``workspaces``: ``[{"team_id"?, "name"?, "users"?}]`` created at start."""
    if not signing_secret:
        raise ValueError("the Slack peer needs the app's signing secret (what Roster verifies requests with)")
    app = Flask(__name__)
    peer = SlackState(signing_secret, client_id, client_secret, app_id)
    app.extensions["slack_peer"] = peer
    for spec in workspaces or []:
        peer.add_workspace(spec.get("team_id"), spec.get("name", ""), spec.get("domain", ""), spec.get("users"))
    app.register_blueprint(web_api.bp)
    app.register_blueprint(control.bp)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return Response(json.dumps({"ok": False, "error": exc.name.lower().replace(" ", "_")}), status=exc.code or 500,
                        mimetype="application/json")

    return app
