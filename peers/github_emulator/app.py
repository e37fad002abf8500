"""The emulator's WSGI app: one Flask app per ``create_app`` call, wiring the shared state and the
blueprints together.

Every API route is served at the root (api.github.com style) and under ``/api/v3`` (GitHub
Enterprise Server style); GraphQL answers at ``/graphql`` and ``/api/graphql``. Control routes live
under ``/_emulator/`` and need no auth (the server binds to 127.0.0.1 only).

Where things live: ``state`` (the ``Emulator``: store, credentials, budgets, faults, stats),
``web`` (JSON responses, pagination, ETags, the auth / rate-limit / fault decorators), ``routes``
(one blueprint per area: orgs and teams, repos, contents, GitHub App, GraphQL, control), ``oauth``
(the OAuth web flow and ``/user/*``), ``rest`` and ``graphql_api`` (payloads and the query engine).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from . import graphql_api, oauth
from .rest import DOCS, error
from .routes import BLUEPRINTS
from .webhooks import EXTENSION as WEBHOOKS, Webhooks
from .state import (
    EXTENSION, JWT_MAX_LIFETIME, RATE_DOCS, SECONDARY_MESSAGE, Budget, Emulator, Faults, GitHubApp, Identity,
)
# oauth.py imports these helpers from here under their old names
from .web import json_response as _json
from .web import loopback as _loopback  # noqa: F401
from .web import paginate as _paginate  # noqa: F401
from .web import urls as _urls  # noqa: F401

__all__ = ["Budget", "Emulator", "Faults", "GitHubApp", "Identity", "JWT_MAX_LIFETIME", "RATE_DOCS",
           "SECONDARY_MESSAGE", "create_app"]


class _EnterprisePaths:
    """Serve ``/api/v3/...`` and ``/api/graphql`` (GitHub Enterprise Server paths) by moving the
    prefix into SCRIPT_NAME, so URLs in payloads keep it."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        for prefix in ("/api/v3", "/api"):
            if path == prefix or path.startswith(prefix + "/"):
                if prefix == "/api" and path != "/api/graphql":
                    continue
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix):] or "/"
                break
        return self.app(environ, start_response)


def _http_error(exc: HTTPException) -> Response:
    if exc.code in (404, 405):  # GitHub answers unknown paths and methods with a JSON 404
        return _json(error("Not Found", DOCS, 404), 404)
    return _json({"message": exc.name}, exc.code or 500)


def create_app(scenario: dict[str, Any] | None = None, *, tokens: Any = None, rate_limit: int = 5000,
               graphql_rate_limit: int = 5000, rate_window_s: int = 3600, faults: Faults | dict | None = None,
               app_id: int | None = None, app_public_key: str | None = None, app_slug: str = "roster-emulator",
               app_installed_on: list[str] | None = None, viewer: str | None = None,
               warm_schema: bool = True) -> Flask:
    """A WSGI app serving ``scenario`` (a parsed roster-scenario/1 dict) as GitHub's REST and GraphQL APIs.

    ``tokens``: None accepts any credential; otherwise a list of valid tokens or {token: login}.
    ``viewer``: the login a token belongs to when ``tokens`` names none for it (default: the scenario's first
    org admin); GraphQL ``viewer`` and ``GET /user`` answer that user.
    The Emulator state is at ``app.extensions["github_emulator"]``.
    """
    if isinstance(faults, dict):
        faults = Faults(**faults)
    github_app = GitHubApp(app_id, app_public_key, app_slug, app_installed_on) if app_id and app_public_key else None
    emu = Emulator(scenario, tokens, rate_limit, graphql_rate_limit, rate_window_s, faults or Faults(), github_app,
                   viewer)
    app = Flask(__name__)
    app.url_map.strict_slashes = False  # GitHub serves "/contents/" like "/contents"
    app.extensions[EXTENSION] = emu
    app.extensions[WEBHOOKS] = Webhooks()  # registered hooks and the deliveries sent to them
    app.wsgi_app = _EnterprisePaths(app.wsgi_app)  # type: ignore[method-assign]
    if warm_schema:  # building GitHub's schema takes seconds; do it before the first query needs it
        threading.Thread(target=graphql_api.get_schema, daemon=True).start()
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_error)
    oauth.register(app)  # GitHub's OAuth web flow and the /user/* endpoints sign-in calls
    return app
