"""A small OpenID Connect provider, standing in for Okta, Google or Azure AD in tests and local runs.

It follows OpenID Connect Core 1.0 (authorization code flow), OpenID Connect Discovery 1.0, OAuth 2.0
(RFC 6749) and PKCE (RFC 7636):

- ``GET /.well-known/openid-configuration``: the provider's metadata; the issuer is ``issuer`` if given,
  else the URL the request came to (``http://127.0.0.1:<port>``).
- ``GET|POST /authorize``: ``response_type=code``, ``client_id``, ``redirect_uri`` (must equal a registered
  one exactly), ``scope`` (must include ``openid``), ``state``, ``nonce``, ``code_challenge`` /
  ``code_challenge_method`` (S256 or plain), ``login_hint``. Nobody types a password: the user who
  authenticates is ``login_hint``, else the default set with ``POST /_control/user``, else a page lists the
  users. An unknown client or redirect_uri is answered here (400), never redirected (Core 3.1.2.6);
  other errors go back to the redirect_uri with ``error`` and ``state``.
- ``POST /token``: ``grant_type=authorization_code``, ``code``, ``redirect_uri``, ``code_verifier``; client
  authentication ``client_secret_basic`` or ``client_secret_post``. Codes live 60 s and are single-use
  (a second use also revokes the tokens of the first). Answers ``access_token``, ``token_type=Bearer``,
  ``expires_in`` and an RS256 ``id_token`` (iss, sub, aud, exp, iat, auth_time, nonce when one was sent,
  at_hash) with ``Cache-Control: no-store``; errors as RFC 6749 5.2 (``invalid_client`` is a 401).
- ``GET|POST /userinfo``: the user's claims for the token's scopes (``sub``; ``profile``: name,
  given_name, family_name, preferred_username; ``email``: email, email_verified). Bad token: 401 with
  ``WWW-Authenticate: Bearer error="invalid_token"``.
- ``GET /jwks``: the signing key as a JWK set (``kid`` in every id_token header).
- Control (loopback only): ``POST /_control/clients {"client_id", "client_secret", "redirect_uris"}``,
  ``POST /_control/users {"login", "email", "email_verified", "name", ...}`` (``sub`` defaults to a stable
  id), ``POST /_control/user {"login"}`` (the default user).

    from peers.oidc_provider import create_app, start_in_thread
    base, stop = start_in_thread(create_app(clients={"roster": {"secret": "s", "redirect_uris": [...]}},
                                            users={"ada": {"email": "ada@example.com"}}))

CLI: ``python -m peers.oidc_provider --port N [--client ID:SECRET:REDIRECT_URI ...] [--user LOGIN:EMAIL ...]``
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import wraps
from html import escape
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, redirect, request

from peers.serving import serve_forever, serve_in_thread

CODE_TTL_S = 60
TOKEN_TTL_S = 3600
PROFILE_CLAIMS = ("name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile",
                  "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at")
EMAIL_CLAIMS = ("email", "email_verified")


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class Code:
    client_id: str
    redirect_uri: str
    sub: str
    scopes: tuple[str, ...]
    nonce: str | None
    challenge: str | None
    method: str | None
    auth_time: int
    expires: float


@dataclass(frozen=True)
class AccessToken:
    sub: str
    client_id: str
    scopes: tuple[str, ...]
    expires: float


@dataclass
class Provider:
    issuer: str | None
    key: rsa.RSAPrivateKey
    kid: str
    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # login -> claims (with "sub")
    codes: dict[str, Code] = field(default_factory=dict)
    used_codes: dict[str, list[str]] = field(default_factory=dict)  # code -> access tokens issued for it
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    default_login: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_client(self, client_id: str, secret: str, redirect_uris: list[str] | tuple[str, ...]) -> Client:
        if not client_id or not secret or not redirect_uris:
            raise ValueError("client_id, client_secret and redirect_uris are required")
        client = Client(client_id, secret, tuple(redirect_uris))
        with self.lock:
            self.clients[client_id] = client
        return client

    def add_user(self, login: str, **claims: Any) -> dict[str, Any]:
        if not login:
            raise ValueError("login is required")
        sub = str(claims.pop("sub", None) or hashlib.sha256(f"user:{login}".encode()).hexdigest()[:24])
        user = {"sub": sub, "preferred_username": login, **claims}
        with self.lock:
            self.users[login] = user
        return user

    def user_by_sub(self, sub: str) -> dict[str, Any] | None:
        return next((u for u in self.users.values() if u["sub"] == sub), None)

    def jwk(self) -> dict[str, Any]:
        key = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _loopback() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _with_params(url: str, params: dict[str, str | None]) -> str:
    bits = urlsplit(url)
    query = parse_qsl(bits.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((bits.scheme, bits.netloc, bits.path, urlencode(query), bits.fragment))


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
                    f"<body><h1>{escape(title)}</h1>{body}</body></html>", status,
                    content_type="text/html; charset=utf-8")


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp


def _token_error(error: str, description: str, status: int = 400, basic: bool = False) -> Response:
    resp = jsonify({"error": error, "error_description": description})
    resp.status_code = status
    if basic:
        resp.headers["WWW-Authenticate"] = 'Basic realm="oidc-provider"'
    return _no_store(resp)


def create_app(*, issuer: str | None = None, clients: dict[str, dict[str, Any]] | None = None,
               users: dict[str, dict[str, Any]] | None = None, default_login: str | None = None) -> Flask:
    """``clients``: {client_id: {"secret", "redirect_uris"}}; ``users``: {login: claims}. State at
    ``app.extensions["oidc_provider"]``."""
    provider = Provider(issuer.rstrip("/") if issuer else None,
                        rsa.generate_private_key(public_exponent=65537, key_size=2048), secrets.token_hex(8))
    for client_id, c in (clients or {}).items():
        provider.add_client(client_id, c["secret"], c["redirect_uris"])
    for login, claims in (users or {}).items():
        provider.add_user(login, **claims)
    provider.default_login = default_login
    app = Flask(__name__)
    app.extensions["oidc_provider"] = provider

    def issuer_url() -> str:
        return provider.issuer or request.host_url.rstrip("/")

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Response:
        base = issuer_url()
        return jsonify({
            "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo", "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"], "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", *PROFILE_CLAIMS,
                                 *EMAIL_CLAIMS],
            "code_challenge_methods_supported": ["S256", "plain"], "claims_parameter_supported": False,
            "request_parameter_supported": False, "request_uri_parameter_supported": False,
        })

    @app.get("/jwks")
    def jwks() -> Response:
        return jsonify({"keys": [provider.jwk()]})

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Response:
        params = request.values
        client = provider.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None:
            return _page("Invalid request", "<p>Unknown client_id.</p>", 400)
        if redirect_uri not in client.redirect_uris:  # exact match (Core 3.1.2.1)
            return _page("Invalid request", "<p>redirect_uri is not registered for this client.</p>", 400)
        state = params.get("state")

        def fail(error: str, description: str) -> Response:
            return redirect(_with_params(redirect_uri, {"error": error, "error_description": description,
                                                        "state": state}))

        if params.get("response_type") != "code":
            return fail("unsupported_response_type", "only response_type=code is supported")
        scopes = tuple(dict.fromkeys(params.get("scope", "").split()))
        if "openid" not in scopes:
            return fail("invalid_scope", "scope must include openid")
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if challenge:
            method = method or "plain"
            if method not in ("S256", "plain"):
                return fail("invalid_request", "code_challenge_method must be S256 or plain")
        login = params.get("login_hint") or provider.default_login
        if not login:
            if params.get("prompt") == "none":
                return fail("login_required", "the user must sign in")
            items = "".join(f"<li><a href='{escape(_with_params(request.url, {'login_hint': name}))}'>"
                            f"{escape(name)}</a> {escape(str(u.get('email', '')))}</li>"
                            for name, u in sorted(provider.users.items()))
            return _page("Sign in", f"<p>Choose who signs in.</p><ul>{items or '<li>no users</li>'}</ul>")
        user = provider.users.get(login)
        if user is None:
            return fail("access_denied", "unknown user")
        code = secrets.token_urlsafe(24)
        now = time.time()
        with provider.lock:
            for old in [c for c, g in provider.codes.items() if g.expires < now]:
                del provider.codes[old]
            provider.codes[code] = Code(client.client_id, redirect_uri, user["sub"], scopes, params.get("nonce"),
                                        challenge, method if challenge else None, int(now), now + CODE_TTL_S)
        return redirect(_with_params(redirect_uri, {"code": code, "state": state}))

    @app.post("/token")
    def token() -> Response:
        form = request.form
        auth = request.headers.get("Authorization", "")
        basic = auth.lower().startswith("basic ")
        if basic:
            if "client_secret" in form:  # RFC 6749 2.3: one authentication method per request
                return _token_error("invalid_request", "use one client authentication method")
            try:
                raw = base64.b64decode(auth[6:].strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return _token_error("invalid_client", "malformed Basic credentials", 401, basic=True)
            client_id, _, secret = raw.partition(":")
            client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        client = provider.clients.get(client_id)
        if client is None or not secret or not secrets.compare_digest(client.secret.encode(), secret.encode()):
            return _token_error("invalid_client", "client authentication failed", 401, basic=basic)
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type", "only authorization_code is supported")
        code_value = form.get("code", "")
        with provider.lock:
            grant = provider.codes.pop(code_value, None)
            if grant is None and code_value in provider.used_codes:
                for issued in provider.used_codes[code_value]:  # RFC 6749 4.1.2: revoke on reuse
                    provider.tokens.pop(issued, None)
            elif grant is not None:
                provider.used_codes[code_value] = []
        if grant is None or grant.expires < time.time() or grant.client_id != client.client_id:
            return _token_error("invalid_grant", "the code is invalid, expired or already used")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _token_error("invalid_grant", "redirect_uri does not match the authorization request")
        if grant.challenge:
            verifier = form.get("code_verifier", "")
            expected = _b64url(hashlib.sha256(verifier.encode()).digest()) if grant.method == "S256" else verifier
            if not verifier or not secrets.compare_digest(expected, grant.challenge):
                return _token_error("invalid_grant", "code_verifier does not match the code_challenge")
        access = secrets.token_urlsafe(32)
        now = int(time.time())
        with provider.lock:
            provider.tokens[access] = AccessToken(grant.sub, client.client_id, grant.scopes, now + TOKEN_TTL_S)
            provider.used_codes[code_value].append(access)
        claims = {"iss": issuer_url(), "sub": grant.sub, "aud": client.client_id, "exp": now + 600, "iat": now,
                  "auth_time": grant.auth_time, "jti": secrets.token_hex(12),
                  # at_hash: left half of the SHA-256 of the access token (Core 3.1.3.6 / 3.2.2.9)
                  "at_hash": _b64url(hashlib.sha256(access.encode()).digest()[:16])}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode(claims, provider.key, algorithm="RS256", headers={"kid": provider.kid})
        return _no_store(jsonify({"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_TTL_S,
                                  "id_token": id_token, "scope": " ".join(grant.scopes)}))

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> Response:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" and "access_token" in request.form:
            scheme, value = "bearer", request.form["access_token"]
        grant = provider.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        user = provider.user_by_sub(grant.sub) if grant and grant.expires > time.time() else None
        if user is None:
            resp = jsonify({"error": "invalid_token"})
            resp.status_code = 401
            resp.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return resp
        claims = {"sub": user["sub"]}
        if "profile" in grant.scopes:
            claims.update({k: user[k] for k in PROFILE_CLAIMS if k in user})
        if "email" in grant.scopes:
            claims.update({k: user[k] for k in EMAIL_CLAIMS if k in user})
        return jsonify(claims)

    def control(view: Callable[[], Any]) -> Callable[[], Response]:
        @wraps(view)
        def wrapper() -> Response:
            if not _loopback():
                return Response('{"message": "control endpoints answer on loopback only"}', 403,
                                content_type="application/json")
            try:
                return jsonify(view())
            except (ValueError, TypeError, KeyError) as exc:
                resp = jsonify({"message": str(exc)})
                resp.status_code = 400
                return resp
        return wrapper

    @app.post("/_control/clients", endpoint="control_clients")
    @control
    def add_client() -> Any:
        body = request.get_json(force=True) or {}
        client = provider.add_client(str(body["client_id"]), str(body["client_secret"]), list(body["redirect_uris"]))
        return {"client_id": client.client_id, "redirect_uris": list(client.redirect_uris)}

    @app.post("/_control/users", endpoint="control_users")
    @control
    def add_user() -> Any:
        body = dict(request.get_json(force=True) or {})
        return provider.add_user(str(body.pop("login")), **body)

    @app.post("/_control/user", endpoint="control_default_user")
    @control
    def set_default_user() -> Any:
        login = (request.get_json(force=True) or {}).get("login")
        if login and login not in provider.users:
            raise ValueError(f"no user {login!r}")
        provider.default_login = login or None
        return {"login": provider.default_login}

    return app


def start_in_thread(app: Flask | None = None, port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` on 127.0.0.1 in a daemon thread; returns ``(base_url, stop)``."""
    return serve_in_thread(app or create_app(), port, name="oidc-provider")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.oidc_provider", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--issuer", help="issuer URL (default: the URL requests come to)")
    parser.add_argument("--client", action="append", default=[], help="CLIENT_ID:SECRET:REDIRECT_URI (repeatable)")
    parser.add_argument("--user", action="append", default=[], help="LOGIN:EMAIL, a user with a verified email")
    args = parser.parse_args(argv)
    clients: dict[str, dict[str, Any]] = {}
    for spec in args.client:
        client_id, secret, redirect_uri = spec.split(":", 2)
        clients.setdefault(client_id, {"secret": secret, "redirect_uris": []})["redirect_uris"].append(redirect_uri)
    users = {login: {"email": email, "email_verified": True, "name": login}
             for login, _, email in (u.partition(":") for u in args.user)}
    return serve_forever(create_app(issuer=args.issuer, clients=clients, users=users), args.port)


if __name__ == "__main__":
    sys.exit(main())
