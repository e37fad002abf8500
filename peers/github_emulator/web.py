"""What every route shares: the app's ``Emulator``, JSON responses, pagination, ETags, and the
decorators that put authentication, rate limits and injected faults in front of a handler.

``rest_route`` (GitHub's REST GET endpoints, token auth, primary rate limit, ETag / 304) and
``app_route`` (GitHub App endpoints, JWT auth) register a handler on a blueprint; both count the
request and apply ``Faults`` first.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
import time
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from .rest import DOCS, Urls, error
from .state import EXTENSION, RATE_DOCS, SECONDARY_MESSAGE, Emulator, Identity

RestHandler = Callable[..., tuple[int, Any, dict[str, str]]]  # (identity, **path) -> (status, body, headers)
AppHandler = Callable[..., tuple[int, Any]]                  # (**path) -> (status, body)


def emulator() -> Emulator:
    """The state of the app serving the current request."""
    return current_app.extensions[EXTENSION]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body, separators=(",", ":")), status=status,
                    content_type="application/json; charset=utf-8")
    resp.headers.update(headers or {})
    resp.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
    resp.headers["X-GitHub-Request-Id"] = secrets.token_hex(8).upper()
    return resp


def urls() -> Urls:
    root = request.host_url.rstrip("/")
    return Urls(api=root + request.script_root, html=root, raw=f"{root}/_raw")


def paginate(items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """GitHub's page/per_page pagination with a Link header (per_page default 30, max 100)."""
    try:
        per_page = min(100, max(1, int(request.args.get("per_page", 30))))
    except ValueError:
        per_page = 30
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    last = max(1, -(-len(items) // per_page))

    def link(n: int) -> str:
        args = request.args.to_dict()
        args.update(per_page=str(per_page), page=str(n))
        return f"{request.base_url}?{urlencode(args)}"

    rels = []
    if page > 1:
        rels.append(f'<{link(min(page - 1, last))}>; rel="prev"')
    if page < last:
        rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
    if page > 1:
        rels.append(f'<{link(1)}>; rel="first"')
    return items[(page - 1) * per_page: page * per_page], ({"Link": ", ".join(rels)} if rels else {})


def etag_matches(etag: str, header: str | None) -> bool:
    if not header:
        return False
    wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def loopback() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def not_found(doc: str = DOCS) -> tuple[int, Any, dict[str, str]]:
    return 404, error("Not Found", doc, 404), {}


def faulted(kind: str) -> Response | None:
    """Count an API request and apply injected latency and faults; a Response means stop here."""
    emu = emulator()
    emu.count(requests=1, **{f"{kind}_requests": 1})
    f = emu.faults
    if f.latency_ms:
        time.sleep(f.latency_ms / 1000)
    with emu.lock:
        emu.api_calls += 1
        secondary = f.secondary_rate_limit_every and emu.api_calls % f.secondary_rate_limit_every == 0
        failure = not secondary and f.error_rate and emu.rng.random() < f.error_rate
        status = emu.rng.choice((500, 502, 503)) if failure else 0
    if secondary:
        emu.count(secondary_rate_limited=1)
        rid = secrets.token_hex(8).upper()
        return json_response(error(SECONDARY_MESSAGE.format(rid=rid),
                                   "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"),
                             403, {"Retry-After": "1"})
    if status:
        emu.count(errors_injected=1)
        return json_response({"message": "Server Error"}, status)
    return None


def unauthorized() -> Response:
    if request.headers.get("Authorization"):
        return json_response(error("Bad credentials", DOCS, 401), 401)
    return json_response(error("Requires authentication", DOCS, 401), 401)


def rest_route(bp: Blueprint, rule: str, charge: bool = True) -> Callable[[RestHandler], Callable]:
    """Register a REST GET handler ``(identity, **path) -> (status, body, headers)`` on ``bp``.

    ``charge=False``: the request does not spend the primary rate limit (as GitHub's /rate_limit)."""
    def register(handler: RestHandler) -> Callable:
        view = rest_view(handler, charge)
        bp.add_url_rule(rule, handler.__name__, view, methods=["GET"])
        return view
    return register


def rest_view(handler: RestHandler, charge: bool = True) -> Callable[..., Response]:
    """The view ``rest_route`` registers: faults, auth, the primary rate limit and ETags around ``handler``."""
    @wraps(handler)
    def view(**path: str) -> Response:
        stop = faulted("rest")
        if stop is not None:
            return stop
        emu = emulator()
        identity: Identity | None = emu.authenticate(request.headers.get("Authorization"))
        if identity is None:
            return unauthorized()
        budget = emu.budget(identity, "core")
        if charge and budget.remaining <= 0:
            emu.count(rate_limited=1)
            return json_response(error(f"API rate limit exceeded for user ID {identity.user_id}.", RATE_DOCS, 403),
                                 403, budget.headers("core"))
        status, body, headers = handler(identity, **path)
        resp = body if isinstance(body, Response) else json_response(body, status, headers)
        if request.method == "GET" and status == 200:
            etag = 'W/"' + hashlib.sha256(resp.get_data()).hexdigest() + '"'
            resp.headers["ETag"] = etag
            if etag_matches(etag, request.headers.get("If-None-Match")):
                # a 304 does not count against the primary rate limit, as on GitHub
                emu.count(not_modified=1)
                return Response(status=304, headers={"ETag": etag, **budget.headers("core")})
        if charge:
            with emu.lock:
                budget.used += 1
        resp.headers.update(budget.headers("core"))
        return resp
    return view


def app_route(bp: Blueprint, rule: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[AppHandler], Callable]:
    """Register a handler ``(**path) -> (status, body)`` for GitHub App (JWT-authenticated) endpoints on ``bp``."""
    def register(handler: AppHandler) -> Callable:
        @wraps(handler)
        def view(**path: str) -> Response:
            stop = faulted("rest")
            if stop is not None:
                return stop
            problem = emulator().verify_app_jwt(request.headers.get("Authorization"))
            if problem:
                return json_response(error(problem, DOCS, 401), 401)
            status, body = handler(**path)
            return json_response(body, status)
        bp.add_url_rule(rule, handler.__name__, view, methods=list(methods))
        return view
    return register
