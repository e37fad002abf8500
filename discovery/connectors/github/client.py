"""A small GitHub REST + GraphQL client that respects GitHub's limits.

- Reads the budget from X-RateLimit-* headers and GraphQL ``rateLimit`` and pauses before it runs out
  until the reset (failing with ``rate_limited`` if that wait is longer than allowed).
- Honours Retry-After (secondary rate limits), backs off with full jitter on 5xx, and tells the caller
  about 502 on GraphQL so it can halve its page size.
- REST GETs are conditional (ETag / If-None-Match, cached per connection): a 304 costs no budget.
- At most ``max_concurrency`` requests in flight (GitHub asks integrators to stay far below 100).
- Sends the token to its own base URL only: a Link ``next``, a redirect or any absolute URL to another
  scheme, host or port is refused (``endpoint_refused``) before anything is sent, and outside local peers
  mode every request passes the SSRF guard of ``discovery.endpoints`` first.
Every wait is recorded in ``stats``.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

import requests

from discovery import endpoints
from discovery.connectors.github.errors import GithubFailure

USER_AGENT = "roster-discovery"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 3
OTHER_HOST_REMEDIATION = ("GitHub answered with a link or redirect to another host, which Roster never follows "
                          "with the connection's token. If a proxy in front of GitHub Enterprise rewrites links, "
                          "fix its external URL; otherwise report it with the run id.")


@dataclass
class ClientStats:
    requests: int = 0
    rest_requests: int = 0
    graphql_requests: int = 0
    graphql_points: int = 0
    not_modified: int = 0
    retries: int = 0
    secondary_limits: int = 0
    rate_limit_waits: int = 0
    page_halvings: int = 0
    wait_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **values):
        with self.lock:
            for key, value in values.items():
                setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items() if k != "lock"}


class BadGateway(Exception):
    """GraphQL answered 502: GitHub does this when a page is too expensive; retry with a smaller page."""


def origin(url: str) -> tuple:
    """(scheme, host, port, has credentials): two URLs may share a token only if these are equal."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme, 0)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port, parts.username is not None or parts.password is not None


def refused(exc: endpoints.EndpointRefused, item: str = "", stats: dict | None = None) -> GithubFailure:
    failure = GithubFailure(exc.reason_code, exc.message, item or exc.item, stats)
    failure.remediation = exc.remediation
    return failure


def graphql_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):  # GitHub Enterprise Server
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


class GithubClient:
    def __init__(self, base_url: str, token: str, *, etag_cache=None, max_concurrency: int = 8,
                 max_retries: int = 6, max_rate_wait: float = 900.0, reserve: int = 5,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 30.0,
                 url_guard: Callable[[str], None] | None = None):
        self.base_url = base_url.rstrip("/")
        self.graphql = graphql_url(base_url)
        self.origin = origin(self.base_url)
        # Secure by default: the endpoints policy decides (a no-op only in local peers mode).
        self.url_guard = url_guard or endpoints.outbound_guard()
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"bearer {token}", "Accept": "application/vnd.github+json",
                                     "User-Agent": USER_AGENT, "X-GitHub-Api-Version": "2022-11-28"})
        adapter = requests.adapters.HTTPAdapter(pool_connections=max_concurrency, pool_maxsize=max_concurrency)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.etags = etag_cache  # mapping-like: get(key) -> (etag, body) ; set(key, value)
        self.slots = threading.BoundedSemaphore(max_concurrency)
        self.max_retries = max_retries
        self.max_rate_wait = max_rate_wait
        self.reserve = reserve
        self.sleep = sleep
        self.timeout = timeout
        self.stats = ClientStats()
        self._budget_lock = threading.Lock()
        self.remaining: dict[str, int] = {}  # resource (core, graphql) -> remaining
        self.reset_at: dict[str, float] = {}

    # --- budget ------------------------------------------------------------
    def _wait(self, seconds: float, counter: str | None = None) -> None:
        seconds = max(0.0, seconds)
        self.stats.add(wait_seconds=seconds, **({counter: 1} if counter else {}))
        self.sleep(seconds)

    def _before(self, resource: str) -> None:
        with self._budget_lock:
            remaining = self.remaining.get(resource)
            reset = self.reset_at.get(resource, 0.0)
        if remaining is not None and remaining <= self.reserve:
            wait = reset - time.time() + 1
            if wait > self.max_rate_wait:
                raise GithubFailure("rate_limited", f"{resource} budget exhausted; resets in {int(wait)}s",
                                    stats=self.stats.as_dict())
            if wait > 0:
                self._wait(wait, "rate_limit_waits")
            with self._budget_lock:
                self.remaining.pop(resource, None)

    def _note_headers(self, response: requests.Response) -> None:
        headers = response.headers
        if "X-RateLimit-Remaining" in headers:
            resource = headers.get("X-RateLimit-Resource", "core")
            with self._budget_lock:
                self.remaining[resource] = int(headers["X-RateLimit-Remaining"])
                self.reset_at[resource] = float(headers.get("X-RateLimit-Reset", time.time() + 60))

    # --- transport ---------------------------------------------------------
    def _check_origin(self, url: str) -> None:
        """Before anything is sent (the session carries the token): the URL must be on base_url's origin."""
        if origin(url) != self.origin:
            host = (urlsplit(url).hostname or "?")[:100]
            failure = GithubFailure("endpoint_refused", f"GitHub pointed to another host ({host}); not followed",
                                    stats=self.stats.as_dict())
            failure.remediation = OTHER_HOST_REMEDIATION
            raise failure

    def _send(self, method: str, url: str, resource: str, **kwargs) -> requests.Response:
        attempt = redirects = 0
        while True:
            self._check_origin(url)
            self._before(resource)
            try:
                self.url_guard(url)  # may resolve (cached): a failed lookup is retried like a failed connect
                with self.slots:
                    # Redirects are followed below, through _check_origin, never by requests itself.
                    response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False,
                                                    **kwargs)
            except endpoints.EndpointRefused as exc:
                raise refused(exc, stats=self.stats.as_dict()) from None
            except (requests.RequestException, endpoints.EndpointUnresolved) as exc:
                if attempt >= self.max_retries:
                    raise GithubFailure("endpoint_unreachable",
                                        f"{type(exc).__name__} calling {urlsplit(url).hostname or '?'}",
                                        stats=self.stats.as_dict()) from None
                attempt += 1
                self.stats.add(retries=1)
                self._wait(self._backoff(attempt))
                continue
            self.stats.add(requests=1)
            self._note_headers(response)
            status = response.status_code
            if status in (403, 429) and self._is_rate_limited(response):
                attempt += 1
                if attempt > self.max_retries:
                    raise GithubFailure("rate_limited", "rate limited after retries", stats=self.stats.as_dict())
                retry_after = response.headers.get("Retry-After")
                if retry_after is not None:
                    self._wait(float(retry_after), "secondary_limits")
                else:  # primary limit: wait for the reset
                    reset = float(response.headers.get("X-RateLimit-Reset", time.time() + 60))
                    wait = reset - time.time() + 1
                    if wait > self.max_rate_wait:
                        raise GithubFailure("rate_limited", f"budget exhausted; resets in {int(wait)}s",
                                            stats=self.stats.as_dict())
                    self._wait(wait, "rate_limit_waits")
                continue
            if status in REDIRECTS and method == "GET" and response.headers.get("Location"):
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise GithubFailure("unexpected_response", "too many redirects", stats=self.stats.as_dict())
                url = urljoin(url, response.headers["Location"])
                kwargs.pop("params", None)  # the Location carries them
                continue
            if status == 502 and url == self.graphql:
                raise BadGateway()
            if status >= 500:
                attempt += 1
                if attempt > self.max_retries:
                    raise GithubFailure("unexpected_response", f"GitHub answered {status} after retries",
                                        stats=self.stats.as_dict())
                self.stats.add(retries=1)
                self._wait(self._backoff(attempt))
                continue
            return response

    @staticmethod
    def _is_rate_limited(response: requests.Response) -> bool:
        if response.headers.get("Retry-After") is not None:
            return True
        if response.headers.get("X-RateLimit-Remaining") == "0":
            return True
        text = response.text[:500].lower()
        return "rate limit" in text

    @staticmethod
    def _backoff(attempt: int, base: float = 0.5, cap: float = 20.0) -> float:
        return random.uniform(0, min(cap, base * (2 ** attempt)))  # full jitter

    def _raise_for(self, response: requests.Response, item: str) -> None:
        status = response.status_code
        if status < 400:
            return
        message = _message(response)
        if status == 401:
            raise GithubFailure("bad_credentials", message or "Bad credentials", item, self.stats.as_dict())
        if status == 403:
            raise GithubFailure("missing_permission", message or "Forbidden", item, self.stats.as_dict())
        if status == 404:
            raise GithubFailure("org_not_found", message or "Not Found", item, self.stats.as_dict())
        raise GithubFailure("unexpected_response", f"{status}: {message}"[:200], item, self.stats.as_dict())

    # --- public ------------------------------------------------------------
    def rest(self, path: str, *, params: dict | None = None, item: str = "") -> Any:
        """GET a REST resource, conditionally when we have its ETag; follows no pagination."""
        return self.rest_page(path, params=params, item=item)[0]

    def rest_page(self, path: str, *, params: dict | None = None, item: str = "") -> tuple[Any, str | None]:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        key = url + ("?" + "&".join(f"{k}={v}" for k, v in sorted((params or {}).items())) if params else "")
        cached = self.etags.get(key) if self.etags is not None else None
        headers = {"If-None-Match": cached[0]} if cached else {}
        response = self._send("GET", url, "core", params=params, headers=headers)
        self.stats.add(rest_requests=1)
        if response.status_code == 304 and cached:
            self.stats.add(not_modified=1)
            return cached[1], cached[2] if len(cached) > 2 else None
        self._raise_for(response, item or path)
        body = _json(response, item or path)
        next_url = response.links.get("next", {}).get("url")
        if self.etags is not None and response.headers.get("ETag"):
            self.etags.set(key, (response.headers["ETag"], body, next_url))
        return body, next_url

    def rest_all(self, path: str, *, params: dict | None = None, item: str = "") -> list:
        params = {"per_page": 100, **(params or {})}
        items, url = [], path
        while url:
            body, url = self.rest_page(url, params=params, item=item)
            params = None  # the next link carries them
            items.extend(body or [])
        return items

    def query(self, query: str, variables: dict | None = None, *, item: str = "") -> dict:
        response = self._send("POST", self.graphql, "graphql", json={"query": query, "variables": variables or {}})
        self.stats.add(graphql_requests=1)
        self._raise_for(response, item or "graphql")
        body = _json(response, item or "graphql")
        errors = body.get("errors") or []
        if errors:
            types = {e.get("type") for e in errors}
            text = "; ".join(str(e.get("message", ""))[:200] for e in errors[:3])
            if "RATE_LIMITED" in types:
                raise GithubFailure("rate_limited", text, item, self.stats.as_dict())
            if types & {"FORBIDDEN", "INSUFFICIENT_SCOPES"}:
                raise GithubFailure("missing_permission", text, item, self.stats.as_dict())
            if "NOT_FOUND" in types and not body.get("data"):
                raise GithubFailure("org_not_found", text, item, self.stats.as_dict())
            if not body.get("data"):
                raise GithubFailure("unexpected_response", text, item, self.stats.as_dict())
        data = body.get("data") or {}
        rate = data.get("rateLimit") or {}
        if rate:
            self.stats.add(graphql_points=int(rate.get("cost") or 0))
            with self._budget_lock:
                self.remaining["graphql"] = int(rate.get("remaining", 5000))
                self.reset_at["graphql"] = _epoch(rate.get("resetAt"))
        return data


def _json(response: requests.Response, item: str):
    try:
        return response.json()
    except ValueError:
        raise GithubFailure("unexpected_response", f"non-JSON answer ({response.status_code})", item) from None


def _message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return ""


def _epoch(value) -> float:
    from datetime import datetime

    if not value:
        return time.time() + 3600
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time() + 3600
