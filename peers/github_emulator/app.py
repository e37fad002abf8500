"""The emulator's WSGI app: routing, auth, rate limits, conditional requests and fault injection.

Every API route is served at the root (api.github.com style) and under ``/api/v3`` (GitHub
Enterprise Server style); GraphQL answers at ``/graphql`` and ``/api/graphql``. Control routes live
under ``/_emulator/`` and need no auth (the server binds to 127.0.0.1 only).
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import random
import secrets
import threading
import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlencode

import jwt
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from peers.scenario import ScenarioError, parse_scenario

from . import graphql_api, oauth, rest
from .rest import DOCS, Urls, error
from .store import Store, iso, stable_id

RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                     "If you reach out to GitHub Support for help, please include the request ID {rid}.")
JWT_MAX_LIFETIME = 600  # GitHub refuses app JWTs that expire more than 10 minutes after being issued


@dataclass
class Faults:
    secondary_rate_limit_every: int = 0  # every Nth API request gets a secondary rate limit 403
    error_rate: float = 0.0  # share of API requests answered with a 5xx
    bad_gateway_over: int = 0  # GraphQL whose possible node count exceeds this gets 502 (GitHub times out)
    latency_ms: int = 0  # added to every API request
    seed: int | None = None  # for error_rate


@dataclass
class GitHubApp:
    id: int
    public_key: str  # PEM
    slug: str = "roster-emulator"
    installed_on: list[str] | None = None  # org logins; None = every org in the scenario


@dataclass(frozen=True)
class Identity:
    key: str  # whose budget a request spends
    login: str | None
    user_id: int
    installation: int | None = None


class Budget:
    """One primary rate limit window (GitHub: per user or installation, per resource, per hour)."""

    def __init__(self, limit: int, window_s: int):
        self.limit, self.window_s, self.used, self.reset = limit, window_s, 0, int(time.time()) + window_s

    def refresh(self) -> None:
        if time.time() >= self.reset:
            self.used, self.reset = 0, int(time.time()) + self.window_s

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self, resource: str) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset), "X-RateLimit-Used": str(self.used),
                "X-RateLimit-Resource": resource}

    def as_json(self, resource: str) -> dict[str, Any]:
        return {"limit": self.limit, "used": self.used, "remaining": self.remaining, "reset": self.reset,
                "resource": resource}


class Emulator:
    """State shared by all requests of one app: store, credentials, budgets, faults, stats."""

    def __init__(self, scenario: dict[str, Any] | None, tokens: Any, rate_limit: int, graphql_rate_limit: int,
                 rate_window_s: int, faults: Faults, app: GitHubApp | None):
        self.store = Store(scenario)
        # tokens: None accepts any credential (and none); a list/set of tokens, or {token: login}
        self.tokens = None if tokens is None else (dict(tokens) if isinstance(tokens, dict) else dict.fromkeys(tokens))
        self.limits = {"core": rate_limit, "graphql": graphql_rate_limit}
        self.rate_window_s = rate_window_s
        self.app = app
        self.lock = threading.Lock()
        self.budgets: dict[tuple[str, str], Budget] = {}
        self.installation_tokens: dict[str, tuple[int, float]] = {}
        self.set_faults(faults)
        self.reset_stats()

    def set_faults(self, faults: Faults) -> None:
        with self.lock:
            self.faults = faults
            self.rng = random.Random(faults.seed)
            self.api_calls = 0

    def reset_stats(self) -> None:
        with self.lock:
            self.stats = dict.fromkeys(("requests", "rest_requests", "graphql_requests", "graphql_points",
                                        "not_modified", "rate_limited", "secondary_rate_limited",
                                        "errors_injected", "bad_gateway"), 0)

    def count(self, **deltas: int) -> None:
        with self.lock:
            for key, delta in deltas.items():
                self.stats[key] += delta

    def budget(self, identity: Identity, resource: str) -> Budget:
        key = (identity.key, resource)
        budget = self.budgets.get(key)
        if budget is None:
            budget = self.budgets.setdefault(key, Budget(self.limits[resource], self.rate_window_s))
        budget.refresh()
        return budget

    def set_limits(self, core: int | None = None, graphql: int | None = None) -> None:
        with self.lock:
            if core is not None:
                self.limits["core"] = core
            if graphql is not None:
                self.limits["graphql"] = graphql
            self.budgets.clear()

    def installation_id(self, org_login: str) -> int | None:
        if self.app is None or self.store.org(org_login) is None:
            return None
        installed = self.app.installed_on
        if installed is not None and org_login.lower() not in {x.lower() for x in installed}:
            return None
        return stable_id("installation", f"{self.app.id}/{self.store.org(org_login).login}")

    def installation_org(self, install_id: int) -> Any:
        return next((o for o in self.store.orgs.values() if self.installation_id(o.login) == install_id), None)

    def authenticate(self, header: str | None) -> Identity | None:
        """The identity behind an ``Authorization`` header, or None when GitHub would answer 401."""
        scheme, _, credential = (header or "").strip().partition(" ")
        credential = credential.strip()
        if not header:
            return Identity("anonymous", None, 0) if self.tokens is None else None
        if scheme.lower() not in ("token", "bearer") or not credential:
            return None
        installation = self.installation_tokens.get(credential)
        if installation and installation[1] > time.time():
            slug = self.app.slug if self.app else "app"
            return Identity(f"installation:{installation[0]}", f"{slug}[bot]", installation[0], installation[0])
        if self.tokens is None or credential in self.tokens:
            login = (self.tokens or {}).get(credential)
            return Identity(f"token:{credential}", login, stable_id("token", credential))
        return None

    def verify_app_jwt(self, header: str | None) -> str | None:
        """None when the header carries a valid JWT for the configured app, else GitHub's error message."""
        scheme, _, token = (header or "").partition(" ")
        if self.app is None or scheme.lower() != "bearer" or token.count(".") != 2:
            return "A JSON web token could not be decoded"
        try:
            claims = jwt.decode(token.strip(), self.app.public_key, algorithms=["RS256"], leeway=60,
                                options={"require": ["iat", "exp", "iss"]})
        except jwt.ExpiredSignatureError:
            return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        except jwt.PyJWTError:
            return "A JSON web token could not be decoded"
        if str(claims["iss"]) != str(self.app.id):
            return "A JSON web token could not be decoded"
        if claims["exp"] - max(claims["iat"], time.time() - 60) > JWT_MAX_LIFETIME + 60:
            return "'Expiration time' claim ('exp') is too far in the future"
        return None


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body, separators=(",", ":")), status=status,
                    content_type="application/json; charset=utf-8")
    resp.headers.update(headers or {})
    resp.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
    resp.headers["X-GitHub-Request-Id"] = secrets.token_hex(8).upper()
    return resp


def _urls() -> Urls:
    root = request.host_url.rstrip("/")
    return Urls(api=root + request.script_root, html=root, raw=f"{root}/_raw")


def _paginate(items: list[Any]) -> tuple[list[Any], dict[str, str]]:
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


def _etag_matches(etag: str, header: str | None) -> bool:
    if not header:
        return False
    wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def _loopback() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


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


def create_app(scenario: dict[str, Any] | None = None, *, tokens: Any = None, rate_limit: int = 5000,
               graphql_rate_limit: int = 5000, rate_window_s: int = 3600, faults: Faults | dict | None = None,
               app_id: int | None = None, app_public_key: str | None = None, app_slug: str = "roster-emulator",
               app_installed_on: list[str] | None = None, warm_schema: bool = True) -> Flask:
    """A WSGI app serving ``scenario`` (a parsed roster-scenario/1 dict) as GitHub's REST and GraphQL APIs.

    ``tokens``: None accepts any credential; otherwise a list of valid tokens or {token: login}.
    The Emulator state is at ``app.extensions["github_emulator"]``.
    """
    if isinstance(faults, dict):
        faults = Faults(**faults)
    github_app = GitHubApp(app_id, app_public_key, app_slug, app_installed_on) if app_id and app_public_key else None
    emu = Emulator(scenario, tokens, rate_limit, graphql_rate_limit, rate_window_s, faults or Faults(), github_app)
    app = Flask(__name__)
    app.url_map.strict_slashes = False  # GitHub serves "/contents/" like "/contents"
    app.extensions["github_emulator"] = emu
    app.wsgi_app = _EnterprisePaths(app.wsgi_app)  # type: ignore[method-assign]
    if warm_schema:  # building GitHub's schema takes seconds; do it before the first query needs it
        threading.Thread(target=graphql_api.get_schema, daemon=True).start()

    def faulted(kind: str) -> Response | None:
        """Count an API request and apply injected latency and faults; a Response means stop here."""
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
            return _json(error(SECONDARY_MESSAGE.format(rid=rid),
                               "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"),
                         403, {"Retry-After": "1"})
        if status:
            emu.count(errors_injected=1)
            return _json({"message": "Server Error"}, status)
        return None

    def unauthorized() -> Response:
        if request.headers.get("Authorization"):
            return _json(error("Bad credentials", DOCS, 401), 401)
        return _json(error("Requires authentication", DOCS, 401), 401)

    def rest_route(rule: str, charge: bool = True):
        """Register a REST GET handler ``(identity, **path) -> (status, body, headers)``."""
        def register(handler: Callable[..., tuple[int, Any, dict[str, str]]]) -> Callable:
            @wraps(handler)
            def view(**path: str) -> Response:
                stop = faulted("rest")
                if stop is not None:
                    return stop
                identity = emu.authenticate(request.headers.get("Authorization"))
                if identity is None:
                    return unauthorized()
                budget = emu.budget(identity, "core")
                if charge and budget.remaining <= 0:
                    emu.count(rate_limited=1)
                    return _json(error(f"API rate limit exceeded for user ID {identity.user_id}.", RATE_DOCS, 403), 403,
                                 budget.headers("core"))
                status, body, headers = handler(identity, **path)
                resp = body if isinstance(body, Response) else _json(body, status, headers)
                if request.method == "GET" and status == 200:
                    etag = 'W/"' + hashlib.sha256(resp.get_data()).hexdigest() + '"'
                    resp.headers["ETag"] = etag
                    if _etag_matches(etag, request.headers.get("If-None-Match")):
                        # a 304 does not count against the primary rate limit, as on GitHub
                        emu.count(not_modified=1)
                        return Response(status=304, headers={"ETag": etag, **budget.headers("core")})
                if charge:
                    with emu.lock:
                        budget.used += 1
                resp.headers.update(budget.headers("core"))
                return resp
            app.add_url_rule(rule, handler.__name__, view, methods=["GET"])
            return view
        return register

    def app_route(rule: str, methods: tuple[str, ...] = ("GET",)):
        """Register a handler for GitHub App (JWT-authenticated) endpoints."""
        def register(handler: Callable[..., tuple[int, Any]]) -> Callable:
            @wraps(handler)
            def view(**path: str) -> Response:
                stop = faulted("rest")
                if stop is not None:
                    return stop
                problem = emu.verify_app_jwt(request.headers.get("Authorization"))
                if problem:
                    return _json(error(problem, DOCS, 401), 401)
                status, body = handler(**path)
                return _json(body, status)
            app.add_url_rule(rule, handler.__name__, view, methods=list(methods))
            return view
        return register

    def not_found(doc: str = DOCS) -> tuple[int, Any, dict[str, str]]:
        return 404, error("Not Found", doc, 404), {}

    # --- organizations, teams, members ---

    @rest_route("/orgs/<org>")
    def get_org(identity: Identity, org: str):
        o = emu.store.org(org)
        return (200, rest.org_full(o, _urls()), {}) if o else not_found(f"{DOCS}/orgs/orgs#get-an-organization")

    @rest_route("/orgs/<org>/members")
    def org_members(identity: Identity, org: str):
        o = emu.store.org(org)
        if o is None:
            return not_found(f"{DOCS}/orgs/members#list-organization-members")
        role = request.args.get("role", "all")
        people = [m for m in o.members.values() if role == "all" or m.role == role]
        page, headers = _paginate(people)
        return 200, [rest.member(m, _urls()) for m in page], headers

    @rest_route("/orgs/<org>/teams")
    def org_teams(identity: Identity, org: str):
        o = emu.store.org(org)
        if o is None:
            return not_found(f"{DOCS}/teams/teams#list-teams")
        page, headers = _paginate(list(o.teams.values()))
        return 200, [rest.team(t, o, _urls()) for t in page], headers

    def find_team(org: str, slug: str) -> tuple[Any, Any]:
        o = emu.store.org(org)
        return (o, o.teams.get(slug.lower())) if o else (None, None)

    def find_team_by_id(org_id: str, team_id: str) -> tuple[Any, Any]:
        for o in emu.store.orgs.values():
            if str(o.id) == org_id:
                return o, next((t for t in o.teams.values() if str(t.id) == team_id), None)
        return None, None

    def team_payload(o: Any, t: Any):
        return (200, rest.team_full(t, o, _urls()), {}) if t else not_found(f"{DOCS}/teams/teams#get-a-team-by-name")

    def team_members_payload(o: Any, t: Any):
        if t is None:
            return not_found(f"{DOCS}/teams/members#list-team-members")
        # GitHub: "Team members will include the members of child teams."
        logins = list(t.members)
        for child in o.team_descendants(t.slug):
            logins += [x for x in child.members if x.lower() not in {y.lower() for y in logins}]
        role = request.args.get("role", "all")
        people = [m for m in (emu.store.user(x) for x in logins) if m]
        if role != "all":
            people = [m for m in people if (m.login.lower() in t.maintainers) == (role == "maintainer")]
        page, headers = _paginate(people)
        return 200, [rest.member(m, _urls()) for m in page], headers

    def team_repos_payload(o: Any, t: Any):
        if t is None:
            return not_found(f"{DOCS}/teams/teams#list-team-repositories")
        items = [(o.repos[n.lower()], perm) for n, perm in t.repos.items() if n.lower() in o.repos]
        page, headers = _paginate(items)
        return 200, [rest.minimal_repo(r, o, _urls(), permission=p) for r, p in page], headers

    @rest_route("/orgs/<org>/teams/<slug>")
    def get_team(identity: Identity, org: str, slug: str):
        return team_payload(*find_team(org, slug))

    @rest_route("/orgs/<org>/teams/<slug>/members")
    def team_members(identity: Identity, org: str, slug: str):
        return team_members_payload(*find_team(org, slug))

    @rest_route("/orgs/<org>/teams/<slug>/repos")
    def team_repos(identity: Identity, org: str, slug: str):
        return team_repos_payload(*find_team(org, slug))

    # the team URLs inside payloads (which clients such as PyGithub follow) use numeric ids
    @rest_route("/organizations/<org_id>/team/<team_id>")
    def get_team_by_id(identity: Identity, org_id: str, team_id: str):
        return team_payload(*find_team_by_id(org_id, team_id))

    @rest_route("/organizations/<org_id>/team/<team_id>/members")
    def team_members_by_id(identity: Identity, org_id: str, team_id: str):
        return team_members_payload(*find_team_by_id(org_id, team_id))

    @rest_route("/organizations/<org_id>/team/<team_id>/repos")
    def team_repos_by_id(identity: Identity, org_id: str, team_id: str):
        return team_repos_payload(*find_team_by_id(org_id, team_id))

    # --- repositories ---

    @rest_route("/orgs/<org>/repos")
    def org_repos(identity: Identity, org: str):
        o = emu.store.org(org)
        if o is None:
            return not_found(f"{DOCS}/repos/repos#list-organization-repositories")
        kind = request.args.get("type", "all")
        keep = {"all": lambda r: True, "member": lambda r: True, "public": lambda r: not r.private,
                "private": lambda r: r.private, "forks": lambda r: r.fork, "sources": lambda r: not r.fork}
        if kind not in keep:
            return 422, error("Validation Failed", f"{DOCS}/repos/repos#list-organization-repositories", 422), {}
        items = [r for r in o.repos.values() if keep[kind](r)]
        sort = request.args.get("sort", "created")
        direction = request.args.get("direction", "asc" if sort == "full_name" else "desc")
        keys = {"created": lambda r: (r.created_at, r.index), "updated": lambda r: (r.updated_at, r.index),
                "pushed": lambda r: (r.pushed_at or "", r.index), "full_name": lambda r: r.full_name.lower()}
        items.sort(key=keys.get(sort, keys["created"]), reverse=direction == "desc")
        page, headers = _paginate(items)
        return 200, [rest.minimal_repo(r, o, _urls()) for r in page], headers

    def find_repo(owner: str, name: str) -> tuple[Any, Any]:
        return emu.store.org(owner), emu.store.repo(owner, name)

    @rest_route("/repos/<owner>/<name>")
    def get_repo(identity: Identity, owner: str, name: str):
        o, r = find_repo(owner, name)
        return (200, rest.full_repo(r, o, _urls()), {}) if r else not_found(f"{DOCS}/repos/repos#get-a-repository")

    @rest_route("/repos/<owner>/<name>/languages")
    def repo_languages(identity: Identity, owner: str, name: str):
        o, r = find_repo(owner, name)
        return (200, dict(r.languages), {}) if r else not_found(f"{DOCS}/repos/repos#list-repository-languages")

    @rest_route("/repos/<owner>/<name>/topics")
    def repo_topics(identity: Identity, owner: str, name: str):
        o, r = find_repo(owner, name)
        return (200, {"names": list(r.topics)}, {}) if r else not_found(f"{DOCS}/repos/repos#get-all-repository-topics")

    @rest_route("/repos/<owner>/<name>/contents")
    def repo_contents_root(identity: Identity, owner: str, name: str):
        return contents(owner, name, "")

    @rest_route("/repos/<owner>/<name>/contents/<path:path>")
    def repo_contents(identity: Identity, owner: str, name: str, path: str):
        return contents(owner, name, path)

    def contents(owner: str, name: str, path: str):
        doc = f"{DOCS}/repos/contents#get-repository-content"
        o, r = find_repo(owner, name)
        if r is None:
            return not_found(doc)
        ref = request.args.get("ref")
        if ref and ref not in (r.default_branch, f"refs/heads/{r.default_branch}", "HEAD") and not (
                r.commits and len(ref) >= 7 and r.commits[0].oid.startswith(ref)):
            return 404, error(f"No commit found for the ref {ref}", doc, 404), {}
        if r.is_empty:
            return 404, error("This repository is empty.", doc, 404), {}
        entry = r.entry(path)
        if entry is None:
            return not_found(doc)
        if "raw" in request.headers.get("Accept", "") and not entry.is_dir:
            raw = Response(r.files[entry.path], content_type="application/vnd.github.raw; charset=utf-8")
            return 200, raw, {}
        if entry.is_dir:
            return 200, rest.content_dir(r, entry.path, _urls()), {}
        return 200, rest.content_file(r, entry, _urls()), {}

    @rest_route("/repos/<owner>/<name>/commits")
    def repo_commits(identity: Identity, owner: str, name: str):
        doc = f"{DOCS}/commits/commits#list-commits"
        o, r = find_repo(owner, name)
        if r is None:
            return not_found(doc)
        if not r.commits:
            return 409, error("Git Repository is empty.", doc, 409), {}
        sha = request.args.get("sha")
        if sha and sha != r.default_branch and not r.commits[0].oid.startswith(sha):
            return 404, error(f"No commit found for SHA: {sha}", doc, 404), {}
        indexed = list(enumerate(r.commits))
        for arg, keep in (("since", lambda c, v: c.date >= v), ("until", lambda c, v: c.date <= v)):
            if request.args.get(arg):
                try:
                    value = iso(request.args[arg]) or ""
                except ValueError:
                    return 400, error(f"Invalid time: {request.args[arg]}", doc, 400), {}
                indexed = [(i, c) for i, c in indexed if keep(c, value)]
        if request.args.get("author"):
            who = request.args["author"].lower()
            indexed = [(i, c) for i, c in indexed if who in ((c.author or "").lower(), c.email.lower())]
        if request.args.get("path") and r.entry(request.args["path"]) is None:
            indexed = []  # which commits touched a path is unknown; a path that does not exist has none
        page, headers = _paginate(indexed)
        users = emu.store.users
        body = [rest.commit(r, c, r.commits[i + 1] if i + 1 < len(r.commits) else None, users, _urls())
                for i, c in page]
        return 200, body, headers

    # --- users and rate limit ---

    @rest_route("/users/<login>")
    def get_user(identity: Identity, login: str):
        m = emu.store.user(login)
        if m:
            return 200, rest.public_user(m, _urls()), {}
        o = emu.store.org(login)
        if o:
            return 200, {**rest.org_full(o, _urls()), "user_view_type": "public"}, {}
        return not_found(f"{DOCS}/users/users#get-a-user")

    @rest_route("/user")
    def get_authenticated_user(identity: Identity):
        if identity.installation is not None:
            return 403, error("Resource not accessible by integration", f"{DOCS}/users/users", 403), {}
        m = emu.store.user(identity.login or "")
        return (200, rest.public_user(m, _urls()), {}) if m else not_found(f"{DOCS}/users/users")

    @rest_route("/rate_limit", charge=False)  # GitHub does not count this one
    def rate_limit(identity: Identity):
        core, graphql = emu.budget(identity, "core"), emu.budget(identity, "graphql")
        # search is not served; GitHub's document requires it, so report its untouched budget
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": int(time.time()) + 60, "resource": "search"}
        return 200, rest.rate_limit_overview({"core": core.as_json("core"), "search": search,
                                              "graphql": graphql.as_json("graphql")}), {}

    # --- GitHub App ---

    def installed_orgs() -> list[Any]:
        return [o for o in emu.store.orgs.values() if emu.installation_id(o.login)]

    @app_route("/app")
    def get_app():
        owner = next(iter(emu.store.orgs.values()), None)
        return 200, rest.integration(emu.app.id, emu.app.slug, owner, len(installed_orgs()), _urls())

    @app_route("/app/installations")
    def list_installations():
        return 200, [rest.installation(emu.installation_id(o.login), emu.app.id, emu.app.slug, o, _urls())
                     for o in installed_orgs()]

    @app_route("/app/installations/<int:install_id>")
    def get_installation(install_id: int):
        o = emu.installation_org(install_id)
        if o is None:
            return 404, error("Not Found", f"{DOCS}/apps/apps#get-an-installation-for-the-authenticated-app", 404)
        return 200, rest.installation(install_id, emu.app.id, emu.app.slug, o, _urls())

    @app_route("/orgs/<org>/installation")
    def org_installation(org: str):
        install_id = emu.installation_id(org)
        if install_id is None:
            return 404, error("Not Found", f"{DOCS}/apps/apps#get-an-organization-installation-for-the-authenticated-app", 404)
        return 200, rest.installation(install_id, emu.app.id, emu.app.slug, emu.store.org(org), _urls())

    @app_route("/app/installations/<int:install_id>/access_tokens", methods=("POST",))
    def create_installation_token(install_id: int):
        if emu.installation_org(install_id) is None:
            return 404, error("Not Found", f"{DOCS}/apps/apps#create-an-installation-access-token-for-an-app", 404)
        token = "ghs_" + secrets.token_urlsafe(27)[:36]
        expires = time.time() + 3600
        with emu.lock:
            emu.installation_tokens[token] = (install_id, expires)
        expires_at = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 201, {"token": token, "expires_at": expires_at, "permissions": rest.APP_PERMISSIONS,
                     "repository_selection": "all"}

    # --- GraphQL ---

    @app.post("/graphql")
    def graphql() -> Response:
        stop = faulted("graphql")
        if stop is not None:
            return stop
        identity = emu.authenticate(request.headers.get("Authorization"))
        if identity is None:
            if request.headers.get("Authorization"):
                return _json(error("Bad credentials", "https://docs.github.com/graphql"), 401)
            return _json(error("This endpoint requires you to be authenticated.",
                               "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"), 401)
        budget = emu.budget(identity, "graphql")
        body = request.get_json(silent=True, force=True)
        if not isinstance(body, dict):
            return _json(error("Problems parsing JSON", "https://docs.github.com/graphql"), 400, budget.headers("graphql"))
        plan = graphql_api.prepare(body.get("query"), body.get("variables"), body.get("operationName"))
        if isinstance(plan, list):
            return _json({"errors": plan}, 200, budget.headers("graphql"))
        limit = emu.faults.bad_gateway_over
        if limit and plan.node_count > limit:
            emu.count(bad_gateway=1)
            return _json({"data": None, "errors": [{"message": (
                "Something went wrong while executing your query. This may be the result of a timeout, or it could "
                f"be a GitHub bug. Please include `{secrets.token_hex(8).upper()}` when reporting this issue.")}]}, 502)
        with emu.lock:
            if not plan.dry_run and plan.cost > budget.remaining:
                limited = True
            else:
                limited = False
                if not plan.dry_run:
                    budget.used += plan.cost
                    emu.stats["graphql_points"] += plan.cost
        if limited:
            emu.count(rate_limited=1)
            who = f"installation ID {identity.installation}" if identity.installation else f"user ID {identity.user_id}"
            headers = {**budget.headers("graphql"), "X-RateLimit-Remaining": "0"}
            return _json({"errors": [{"type": "RATE_LIMITED", "message": f"API rate limit exceeded for {who}."}]},
                         200, headers)
        rate = {"__typename": "RateLimit", "cost": plan.cost, "limit": budget.limit, "remaining": budget.remaining,
                "used": budget.used, "nodeCount": plan.node_count,
                "resetAt": datetime.fromtimestamp(budget.reset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        result = graphql_api.execute(plan, emu.store, _urls(), rate, identity.login)
        return _json(result, 200, budget.headers("graphql"))

    # --- raw file downloads (download_url in contents payloads) ---

    @app.get("/_raw/<owner>/<name>/<branch>/<path:path>")
    def raw_file(owner: str, name: str, branch: str, path: str) -> Response:
        r = emu.store.repo(owner, name)
        entry = r.entry(path) if r and branch == r.default_branch else None
        if entry is None or entry.is_dir:
            return Response("404: Not Found", 404, content_type="text/plain; charset=utf-8")
        return Response(r.files[entry.path], content_type="text/plain; charset=utf-8")

    # --- control endpoints ---

    def control(view: Callable[[], Any]) -> Callable[[], Response]:
        @wraps(view)
        def wrapper() -> Response:
            if not _loopback():
                return _json({"message": "control endpoints answer on loopback only"}, 403)
            try:
                return _json(view())
            except (ValueError, TypeError, KeyError, ScenarioError) as exc:
                return _json({"message": str(exc)}, 400)
        return wrapper

    @app.route("/_emulator/faults", methods=["GET", "POST"], endpoint="faults")
    @control
    def set_faults() -> Any:
        if request.method == "POST":
            changes = request.get_json(force=True) or {}
            unknown = set(changes) - {f.name for f in fields(Faults)}
            if unknown:
                raise ValueError(f"unknown fault settings: {sorted(unknown)}")
            emu.set_faults(Faults(**{**asdict(emu.faults), **changes}))
        return asdict(emu.faults)

    @app.post("/_emulator/scenario", endpoint="scenario")
    @control
    def load_scenario() -> Any:
        emu.store.load(parse_scenario(request.get_data(as_text=True), source="POST /_emulator/scenario"))
        return {"orgs": [o.login for o in emu.store.orgs.values()],
                "repos": sum(len(o.repos) for o in emu.store.orgs.values())}

    @app.get("/_emulator/stats", endpoint="stats")
    @control
    def get_stats() -> Any:
        with emu.lock:
            return dict(emu.stats)

    @app.post("/_emulator/stats/reset", endpoint="stats_reset")
    @control
    def reset_stats() -> Any:
        emu.reset_stats()
        return dict(emu.stats)

    @app.post("/_emulator/push", endpoint="push")
    @control
    def push() -> Any:
        body = request.get_json(force=True) or {}
        repo = emu.store.push(str(body["repo"]), files=body.get("files"), pushed_at=body.get("pushed_at"),
                              commits=body.get("commits"), deleted=body.get("deleted"))
        return {"repo": repo.full_name, "pushed_at": repo.pushed_at,
                "head": repo.commits[0].oid if repo.commits else None}

    @app.post("/_emulator/rate_limit", endpoint="rate_limit_control")
    @control
    def set_rate_limit() -> Any:
        body = request.get_json(force=True) or {}
        emu.set_limits(body.get("core"), body.get("graphql"))
        return dict(emu.limits)

    @app.post("/_emulator/app", endpoint="github_app")
    @control
    def set_app() -> Any:
        body = request.get_json(force=True) or {}
        emu.app = GitHubApp(int(body["id"]), str(body["public_key"]), str(body.get("slug") or "roster-emulator"),
                            body.get("installed_on"))
        return {"id": emu.app.id, "slug": emu.app.slug, "installed_on": emu.app.installed_on}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if exc.code in (404, 405):  # GitHub answers unknown paths and methods with a JSON 404
            return _json(error("Not Found", DOCS, 404), 404)
        return _json({"message": exc.name}, exc.code or 500)

    oauth.register(app)  # GitHub's OAuth web flow and the /user/* endpoints sign-in calls
    return app

