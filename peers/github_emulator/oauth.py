"""GitHub's OAuth web application flow, and the authenticated-user endpoints a sign-in calls.

As GitHub documents them (docs.github.com: "Authorizing OAuth apps", "Troubleshooting OAuth app access
token request errors", REST "users/emails", "orgs/orgs", "orgs/members", "teams/teams"):

- ``GET /login/oauth/authorize``: ``client_id`` (required), ``redirect_uri``, ``login``, ``scope``, ``state``,
  ``code_challenge`` / ``code_challenge_method`` (S256). There is no one to click "Authorize", so the user who
  authorizes is ``login`` (GitHub's own parameter, which on github.com only suggests an account), else the
  default user set with ``POST /_emulator/oauth/user {"login": "..."}``, else a page lists the scenario's
  users to choose from. ``emulator_action=deny`` plays a user clicking "Cancel" (``error=access_denied``).
  A redirect_uri must follow GitHub's rules against the app's callback URL: same scheme, same host or a
  sub-domain of it, same port (any port for a loopback callback), a path at or below the callback's. A
  mismatch goes back to the registered callback URL with ``error=redirect_uri_mismatch``.
- ``POST /login/oauth/access_token``: ``client_id``, ``client_secret``, ``code``, ``redirect_uri``,
  ``code_verifier``, as a form, JSON or query string. Answers form-encoded by default, JSON for
  ``Accept: application/json``, XML for ``Accept: application/xml``. Errors come back with status 200 and
  ``error`` = ``incorrect_client_credentials`` | ``redirect_uri_mismatch`` | ``bad_verification_code``, as on
  GitHub. Codes expire after 10 minutes and are single-use: presenting a used code again also revokes the
  token it was exchanged for (RFC 6749 section 4.1.2).
- ``GET /user/emails``, ``/user/orgs``, ``/user/memberships/orgs[/<org>]``, ``/user/teams`` for the token's
  owner (``/user`` itself is app.py's). Tokens issued here carry their scopes (``X-OAuth-Scopes``); as on
  GitHub, ``/user/orgs`` and ``/user/teams`` need ``read:org`` (or ``user``, ``repo`` for teams) and answer
  403 without, ``/user/emails`` needs ``user:email`` or ``user`` and answers 404 without. Other tokens
  (the emulator's ``--token`` ones) are treated as classic tokens with every scope.

OAuth apps: ``POST /_emulator/oauth/apps {"client_id", "client_secret", "callback_url"}`` (loopback only),
``GET`` lists them. Every emulator starts with one: ``ROSTER_GITHUB_OAUTH_CLIENT_ID`` /
``ROSTER_GITHUB_OAUTH_SECRET`` from the environment (the variables Roster's settings read, so exporting them
configures both sides), else the development app ``roster-local-dev`` / ``roster-local-dev-secret`` that
Roster uses in local-peers mode; its callback URL is ``ROSTER_GITHUB_OAUTH_CALLBACK_URL``, default
``http://localhost:$PORT/accounts/github/login/callback/`` (PORT 8000), which every
``<tenant>.localhost:$PORT`` host matches.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from functools import wraps
from html import escape
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

from flask import Blueprint, Flask, Response, current_app, redirect, request

from . import rest
from .store import stable_id

# The development OAuth app every emulator has unless the environment names one (Roster uses the same
# credentials in local-peers mode: accounts/signin/config.py).
LOCAL_CLIENT_ID = "roster-local-dev"
LOCAL_SECRET = "roster-local-dev-secret"
CODE_TTL_S = 600  # GitHub: "The code will expire after 10 minutes"
DOCS_AUTHZ = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/"
TOKEN_ERRORS = "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
# The scopes GitHub knows (docs: "Scopes for OAuth apps"); unknown ones are dropped from a grant.
KNOWN_SCOPES = {
    "repo", "repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events", "admin:repo_hook",
    "write:repo_hook", "read:repo_hook", "admin:org", "write:org", "read:org", "admin:public_key",
    "write:public_key", "read:public_key", "admin:org_hook", "gist", "notifications", "user", "read:user",
    "user:email", "user:follow", "project", "read:project", "delete_repo", "write:packages", "read:packages",
    "delete:packages", "admin:gpg_key", "write:gpg_key", "read:gpg_key", "codespace", "workflow",
    "admin:enterprise", "manage_runners:enterprise", "manage_billing:enterprise", "read:enterprise",
    "audit_log", "read:audit_log",
}
ORG_READ = {"read:org", "write:org", "admin:org", "user"}  # GET /user/orgs: "at least user or read:org"
TEAMS_READ = ORG_READ | {"repo"}  # GET /user/teams: "user, repo, or read:org"
EMAILS_READ = {"user", "user:email"}

bp = Blueprint("github_oauth", __name__)


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str
    callback_url: str
    name: str = "Roster"


@dataclass
class Grant:
    client_id: str
    login: str
    scopes: tuple[str, ...]
    redirect_uri: str | None  # as given to /authorize (None: the app's callback URL was used)
    expires: float
    code_challenge: str | None = None


@dataclass(frozen=True)
class UserToken:
    login: str
    scopes: tuple[str, ...]
    client_id: str


@dataclass
class OAuthState:
    apps: dict[str, OAuthApp] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)  # code -> grant, until exchanged or expired
    used_codes: dict[str, str | None] = field(default_factory=dict)  # code -> token it was exchanged for
    tokens: dict[str, UserToken] = field(default_factory=dict)
    default_login: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_app(self, client_id: str, client_secret: str, callback_url: str, name: str = "Roster") -> OAuthApp:
        bits = urlsplit(callback_url)
        if bits.scheme not in ("http", "https") or not bits.hostname:
            raise ValueError(f"callback_url must be an absolute http(s) URL, not {callback_url!r}")
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required")
        app = OAuthApp(client_id, client_secret, callback_url, name)
        with self.lock:
            self.apps[client_id] = app
        return app


def register(app: Flask) -> None:
    """Serve the OAuth flow and /user/* endpoints on an emulator app, and accept the tokens it issues."""
    emu = app.extensions["github_emulator"]
    state = OAuthState()
    app.extensions["github_oauth"] = state
    client_id, secret = os.environ.get("ROSTER_GITHUB_OAUTH_CLIENT_ID"), os.environ.get("ROSTER_GITHUB_OAUTH_SECRET")
    if not (client_id and secret):
        client_id, secret = LOCAL_CLIENT_ID, LOCAL_SECRET
    callback = os.environ.get("ROSTER_GITHUB_OAUTH_CALLBACK_URL") or (
        f"http://localhost:{os.environ.get('PORT') or '8000'}/accounts/github/login/callback/")
    state.add_app(client_id, secret, callback)

    authenticate = emu.authenticate

    def authenticate_with_oauth_tokens(header: str | None):
        """OAuth tokens belong to the user who authorized them; anything else is app.py's to judge."""
        from .app import Identity

        scheme, _, credential = (header or "").strip().partition(" ")
        token = state.tokens.get(credential.strip()) if scheme.lower() in ("token", "bearer") else None
        if token is not None:
            user = emu.store.user(token.login)
            user_id = user.id if user else stable_id("user", token.login)
            return Identity(f"token:{credential.strip()}", token.login, user_id)
        return authenticate(header)

    emu.authenticate = authenticate_with_oauth_tokens
    app.register_blueprint(bp)


def _state() -> OAuthState:
    return current_app.extensions["github_oauth"]


def _emu() -> Any:
    return current_app.extensions["github_emulator"]


# --- the web flow ---------------------------------------------------------------------------------------


def _is_loopback(host: str | None) -> bool:
    try:
        return ipaddress.ip_address((host or "").strip("[]")).is_loopback
    except ValueError:
        return False


def redirect_uri_allowed(callback_url: str, redirect_uri: str) -> bool:
    """GitHub's rule: "The redirect URL's host (excluding sub-domains) and port must exactly match the
    callback URL. The redirect URL's path must reference a subdirectory of the callback URL." A loopback
    callback (127.0.0.1, ::1) accepts any port."""
    cb, rd = urlsplit(callback_url), urlsplit(redirect_uri)
    if not rd.scheme or not rd.hostname or rd.scheme != cb.scheme or rd.username or rd.password:
        return False
    cb_host, rd_host = (cb.hostname or "").lower(), rd.hostname.lower()
    if rd_host != cb_host and not rd_host.endswith("." + cb_host):
        return False
    try:
        cb_port, rd_port = cb.port, rd.port
    except ValueError:
        return False
    if not (_is_loopback(cb_host) and rd_host == cb_host) and cb_port != rd_port:
        return False
    cb_path, rd_path = cb.path or "/", rd.path or "/"
    if rd_path == cb_path:
        return True
    base = cb_path if cb_path.endswith("/") else cb_path + "/"
    return rd_path.startswith(base) and "/../" not in rd_path + "/" and "/./" not in rd_path + "/"


def _with_params(url: str, params: dict[str, str]) -> str:
    bits = urlsplit(url)
    query = parse_qsl(bits.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((bits.scheme, bits.netloc, bits.path, urlencode(query), bits.fragment))


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)} · GitHub emulator</title>"
            f"</head><body><h1>{escape(title)}</h1>{body}</body></html>")
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def _scopes(raw: str | None) -> tuple[str, ...]:
    wanted = [s for s in (raw or "").replace(",", " ").split() if s in KNOWN_SCOPES]
    return tuple(dict.fromkeys(wanted))


@bp.get("/login/oauth/authorize")
def authorize() -> Response:
    state = _state()
    args = request.args
    app = state.apps.get(args.get("client_id", ""))
    if app is None:  # GitHub answers an unknown client_id with its 404 page
        return _page("Not Found", "<p>No OAuth app has this client_id.</p>", 404)
    given = args.get("redirect_uri") or None
    if given is not None and not redirect_uri_allowed(app.callback_url, given):
        return redirect(_with_params(app.callback_url, {
            "error": "redirect_uri_mismatch",
            "error_description": "The redirect_uri MUST match the registered callback URL for this application.",
            "error_uri": DOCS_AUTHZ + "#redirect-uri-mismatch", "state": args.get("state")}))
    target = given or app.callback_url
    if args.get("emulator_action") == "deny":
        return redirect(_with_params(target, {
            "error": "access_denied", "error_description": "The user has denied your application access.",
            "error_uri": DOCS_AUTHZ + "#access-denied", "state": args.get("state")}))
    challenge = args.get("code_challenge")
    if challenge and args.get("code_challenge_method") != "S256":  # GitHub: required with a challenge, S256 only
        return redirect(_with_params(target, {"error": "invalid_request",
                                              "error_description": "code_challenge_method must be S256",
                                              "state": args.get("state")}))
    login = args.get("login") or state.default_login
    emu = _emu()
    if not login:
        users = sorted(emu.store.users.values(), key=lambda m: m.login.lower())
        items = "".join(f"<li><a href='{escape(_with_params(request.url, {'login': m.login}))}'>{escape(m.login)}</a>"
                        f"{' (' + escape(m.name) + ')' if m.name else ''}</li>" for m in users)
        return _page(f"Sign in to {app.name}", "<p>The emulator has no password screen: choose who signs in "
                     "(or pass <code>login=</code>, or set a default with <code>POST /_emulator/oauth/user</code>).</p>"
                     f"<ul>{items or '<li>The loaded scenario has no users.</li>'}</ul>")
    user = emu.store.user(login)
    if user is None:
        return _page("Sign in", f"<p>No user {escape(login)} in the emulator's scenario.</p>", 404)
    code = "".join(secrets.choice("0123456789abcdef") for _ in range(20))  # GitHub's codes: 20 hex digits
    with state.lock:
        now = time.time()
        for old in [c for c, g in state.grants.items() if g.expires < now]:
            del state.grants[old]
        state.grants[code] = Grant(app.client_id, user.login, _scopes(args.get("scope")), given,
                                   now + CODE_TTL_S, challenge)
    return redirect(_with_params(target, {"code": code, "state": args.get("state")}))


def _token_answer(body: dict[str, str]) -> Response:
    accept = request.headers.get("Accept", "")
    if "application/json" in accept:
        return Response(json.dumps(body), 200, content_type="application/json; charset=utf-8")
    if "application/xml" in accept:
        inner = "".join(f"<{k}>{xml_escape(v)}</{k}>" for k, v in body.items())
        return Response(f"<OAuth>{inner}</OAuth>", 200, content_type="application/xml; charset=utf-8")
    return Response(urlencode(body), 200, content_type="application/x-www-form-urlencoded; charset=utf-8")


def _token_error(error: str, description: str, anchor: str) -> Response:
    # GitHub answers these with 200 and the error in the body, in the format the Accept header asks for
    return _token_answer({"error": error, "error_description": description, "error_uri": TOKEN_ERRORS + anchor})


def _token_params() -> dict[str, str]:
    params = dict(request.args.items())
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            params.update({k: str(v) for k, v in body.items() if v is not None})
    else:
        params.update(request.form.items())
    auth = request.authorization
    if auth and auth.type == "basic" and auth.username and "client_id" not in params:
        params["client_id"], params["client_secret"] = auth.username, auth.password or ""
    return params


@bp.post("/login/oauth/access_token")
def access_token() -> Response:
    state = _state()
    params = _token_params()
    app = state.apps.get(params.get("client_id", ""))
    if app is None or not secrets.compare_digest(app.client_secret.encode(), params.get("client_secret", "").encode()):
        return _token_error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.",
                            "#incorrect-client-credentials")
    code = params.get("code", "")
    with state.lock:
        grant = state.grants.get(code)
        if grant is not None and grant.client_id == app.client_id:
            del state.grants[code]
            state.used_codes[code] = None
        else:
            grant = None
            if code in state.used_codes:  # a code presented twice: revoke what it was exchanged for
                issued = state.used_codes[code]
                if issued:
                    state.tokens.pop(issued, None)
    if grant is None or grant.expires < time.time():
        return _token_error("bad_verification_code", "The code passed is incorrect or expired.",
                            "#bad-verification-code")
    redirect_uri = params.get("redirect_uri") or None
    if (redirect_uri is not None and not redirect_uri_allowed(app.callback_url, redirect_uri)) or (
            grant.redirect_uri is not None and redirect_uri != grant.redirect_uri):
        return _token_error("redirect_uri_mismatch",
                            "The redirect_uri MUST match the registered callback URL for this application.",
                            "#redirect-uri-mismatch2")
    if grant.code_challenge:
        verifier = params.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if not verifier or not secrets.compare_digest(digest, grant.code_challenge):
            return _token_error("bad_verification_code", "The code passed is incorrect or expired.",
                                "#bad-verification-code")
    alphabet = string.ascii_letters + string.digits
    token = "gho_" + "".join(secrets.choice(alphabet) for _ in range(36))
    with state.lock:
        state.tokens[token] = UserToken(grant.login, grant.scopes, app.client_id)
        state.used_codes[code] = token
    return _token_answer({"access_token": token, "scope": ",".join(grant.scopes), "token_type": "bearer"})


# --- the authenticated user's emails, orgs, memberships and teams -----------------------------------------


def user_route(rule: str, needs: set[str] | None = None, missing_scope_status: int = 403):
    """A GET endpoint about the token's owner: 401 without a user, scope check for OAuth tokens, rate limit
    charged like every other REST call, ``X-OAuth-Scopes`` / ``X-Accepted-OAuth-Scopes`` as on GitHub."""
    def decorate(handler: Callable[..., tuple[int, Any, dict[str, str]]]) -> Callable:
        @wraps(handler)
        def view(**path: str) -> Response:
            from .app import RATE_DOCS, _json

            emu, state = _emu(), _state()
            emu.count(requests=1, rest_requests=1)
            header = request.headers.get("Authorization")
            identity = emu.authenticate(header)
            if identity is None:
                message = "Bad credentials" if header else "Requires authentication"
                return _json(rest.error(message, rest.DOCS, 401), 401)
            if identity.installation is not None:
                return _json(rest.error("Resource not accessible by integration", f"{rest.DOCS}/users/users", 403), 403)
            user = emu.store.user(identity.login or "")
            if user is None:
                return _json(rest.error("Not Found", rest.DOCS, 404), 404)
            budget = emu.budget(identity, "core")
            if budget.remaining <= 0:
                emu.count(rate_limited=1)
                return _json(rest.error(f"API rate limit exceeded for user ID {identity.user_id}.", RATE_DOCS, 403),
                             403, budget.headers("core"))
            with emu.lock:
                budget.used += 1
            headers = dict(budget.headers("core"))
            token = state.tokens.get((header or "").partition(" ")[2].strip())
            if token is not None:
                headers["X-OAuth-Scopes"] = ", ".join(token.scopes)
                headers["X-Accepted-OAuth-Scopes"] = ", ".join(sorted(needs or ()))
                if needs and not needs & set(token.scopes):
                    message = "Not Found" if missing_scope_status == 404 else (
                        f"This API operation needs one of the {', '.join(sorted(needs))} scopes.")
                    return _json(rest.error(message, rest.DOCS, missing_scope_status), missing_scope_status, headers)
            status, body, extra = handler(user, **path)
            return _json(body, status, {**headers, **extra})
        bp.add_url_rule(rule, handler.__name__, view, methods=["GET"])
        return view
    return decorate


def _urls() -> rest.Urls:
    from .app import _urls as urls

    return urls()


def _paginate(items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    from .app import _paginate as paginate

    return paginate(items)


def _orgs_of(login: str) -> list[Any]:
    return [o for o in _emu().store.orgs.values() if login.lower() in o.members]


def _membership(org: Any, user: Any) -> dict[str, Any]:
    urls = _urls()
    return {"url": f"{urls.api}/orgs/{org.login}/memberships/{user.login}", "state": "active",
            "role": org.members[user.login.lower()].role, "organization_url": f"{urls.api}/orgs/{org.login}",
            "organization": rest._org_links(org, urls), "user": rest.member(user, urls)}


@user_route("/user/emails", EMAILS_READ, missing_scope_status=404)
def user_emails(user: Any):
    email = user.email or f"{user.id}+{user.login}@users.noreply.github.com"
    page, headers = _paginate([{"email": email, "primary": True, "verified": True,
                                "visibility": "public" if user.email else None}])
    return 200, page, headers


@user_route("/user/orgs", ORG_READ)
def user_orgs(user: Any):
    page, headers = _paginate(_orgs_of(user.login))
    return 200, [rest._org_links(o, _urls()) for o in page], headers


@user_route("/user/memberships/orgs", ORG_READ)
def user_org_memberships(user: Any):
    wanted = request.args.get("state")
    if wanted not in (None, "active", "pending"):
        return 422, rest.error("Validation Failed", f"{rest.DOCS}/orgs/members", 422), {}
    orgs = [] if wanted == "pending" else _orgs_of(user.login)
    page, headers = _paginate(orgs)
    return 200, [_membership(o, user) for o in page], headers


@user_route("/user/memberships/orgs/<org>", ORG_READ)
def user_org_membership(user: Any, org: str):
    o = _emu().store.org(org)
    if o is None or user.login.lower() not in o.members:
        doc = f"{rest.DOCS}/orgs/members#get-an-organization-membership-for-the-authenticated-user"
        return 404, rest.error("Not Found", doc, 404), {}
    return 200, _membership(o, user), {}


@user_route("/user/teams", TEAMS_READ)
def user_teams(user: Any):
    """The teams the user is a direct member of, across all their organizations."""
    who = user.login.lower()
    items = [(o, t) for o in _emu().store.orgs.values() for t in o.teams.values()
             if who in {m.lower() for m in t.members}]
    page, headers = _paginate(items)
    return 200, [rest.team_full(t, o, _urls()) for o, t in page], headers


# --- control --------------------------------------------------------------------------------------------


def _control(view: Callable[[], Any]) -> Callable[[], Response]:
    @wraps(view)
    def wrapper() -> Response:
        from .app import _json, _loopback

        if not _loopback():
            return _json({"message": "control endpoints answer on loopback only"}, 403)
        try:
            return _json(view())
        except (ValueError, TypeError, KeyError) as exc:
            return _json({"message": str(exc)}, 400)
    return wrapper


@bp.route("/_emulator/oauth/apps", methods=["GET", "POST"], endpoint="oauth_apps")
@_control
def oauth_apps() -> Any:
    """POST {"client_id", "client_secret", "callback_url", "name"?} registers (or replaces) an OAuth app."""
    state = _state()
    if request.method == "POST":
        body = request.get_json(force=True) or {}
        state.add_app(str(body["client_id"]), str(body["client_secret"]), str(body["callback_url"]),
                      str(body.get("name") or "Roster"))
    return {"apps": [{"client_id": a.client_id, "callback_url": a.callback_url, "name": a.name}
                     for a in state.apps.values()]}


@bp.post("/_emulator/oauth/user", endpoint="oauth_user")
@_control
def oauth_user() -> Any:
    """POST {"login": "..."} (or null) sets who authorizes when /login/oauth/authorize names no ``login``."""
    body = request.get_json(force=True) or {}
    login = body.get("login")
    if login and _emu().store.user(str(login)) is None:
        raise ValueError(f"no user {login!r} in the scenario")
    _state().default_login = str(login) if login else None
    return {"login": _state().default_login}
