"""A small GitHub REST + GraphQL client that respects GitHub's limits.

- Reads the budget from X-RateLimit-* headers and GraphQL ``rateLimit`` and pauses before it runs out
  until the reset (failing with ``rate_limited`` if that wait is longer than allowed).
- Retries with tenacity: waits what Retry-After (secondary rate limits) or X-RateLimit-Reset (primary limit)
  asks, backs off with full jitter on 5xx and network errors, and tells the caller about 502 on GraphQL so it
  can halve its page size.
- REST GETs are conditional (ETag / If-None-Match, from the ETags the job was given): a 304 costs no budget.
- At most ``max_concurrency`` requests in flight (GitHub asks integrators to stay far below 100).
- Sends the token to its own base URL only: a Link ``next``, a redirect or any absolute URL to another
  scheme, host or port is refused (``endpoint_refused``) before anything is sent, and outside local peers
  mode every request passes the SSRF guard of ``discovery.endpoints`` first.
Every request and wait is recorded in ``stats`` (``discovery.connectors.stats.CallStats``).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from discovery import endpoints
from discovery.connectors.github.errors import GithubFailure
from discovery.connectors.stats import CallStats

USER_AGENT = "roster-discovery"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 3
OTHER_HOST_REMEDIATION = ("GitHub answered with a link or redirect to another host, which Roster never follows "
                          "with the connection's token. If a proxy in front of GitHub Enterprise rewrites links, "
                          "fix its external URL; otherwise report it with the run id.")
# GitHub's own counts in CallStats.counts, reported with every job (0 when nothing happened).
GITHUB_COUNTS = ("rest_requests", "graphql_requests", "graphql_points", "not_modified", "secondary_limits",
                 "rate_limit_waits", "page_halvings")
# Full-jitter backoff on 5xx and network errors: a random wait in [0, 1s], [0, 2s], ... up to [0, 20s].
BACKOFF = wait_random_exponential(multiplier=1.0, max=20.0)


class BadGateway(Exception):
    """GraphQL answered 502: GitHub does this when a page is too expensive; retry with a smaller page."""


class _TryAgain(Exception):
    """One attempt's outcome worth another: ``wait`` is what GitHub asked for (None: back off), ``counter`` the
    stats count of a rate-limit wait; ``reason_code`` and the message are the failure once attempts run out."""

    def __init__(self, reason_code: str, message: str, *, wait: float | None = None, counter: str | None = None):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message
        self.wait = wait
        self.counter = counter


class EtagStore:
    """The conditional-request cache of one scan: the ETags it was given, and apart the ones it learned, which
    the executor keeps for the next scan. Values are (etag, body, next link)."""

    def __init__(self, known: Mapping[str, tuple] | None = None):
        self.known = dict(known or {})
        self.learned: dict[str, tuple] = {}

    def get(self, key: str) -> tuple | None:
        return self.learned.get(key) or self.known.get(key)

    def set(self, key: str, value: tuple) -> None:
        self.learned[key] = value


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
        self.etags = etag_cache  # EtagStore or alike: get(key) -> (etag, body, next link) ; set(key, value)
        self.slots = threading.BoundedSemaphore(max_concurrency)
        self.max_retries = max_retries
        self.max_rate_wait = max_rate_wait
        self.reserve = reserve
        self.sleep = sleep
        self.timeout = timeout
        self.stats = CallStats()
        self._budget_lock = threading.Lock()
        self.remaining: dict[str, int] = {}  # resource (core, graphql) -> remaining
        self.reset_at: dict[str, float] = {}

    # --- budget ------------------------------------------------------------
    def _wait_for_budget(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.stats.add(wait_seconds=seconds, throttled=1, rate_limit_waits=1)
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
                self._wait_for_budget(wait)
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
        """One request, retried, following same-origin redirects (never requests' own, never another origin)."""
        redirects = 0
        while True:
            self._check_origin(url)
            response = self._send_retrying(method, url, resource, **kwargs)
            status = response.status_code
            if status in REDIRECTS and method == "GET" and response.headers.get("Location"):
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise GithubFailure("unexpected_response", "too many redirects", stats=self.stats.as_dict())
                url = urljoin(url, response.headers["Location"])
                kwargs.pop("params", None)  # the Location carries them
                continue
            if status == 502 and url == self.graphql:
                raise BadGateway()
            return response

    def _send_retrying(self, method: str, url: str, resource: str, **kwargs) -> requests.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._retry_wait,
            retry=retry_if_exception_type(_TryAgain),
            sleep=lambda seconds: self.sleep(seconds),
            before_sleep=self._before_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, resource, **kwargs)
        except _TryAgain as exc:  # attempts ran out
            raise GithubFailure(exc.reason_code, exc.message, stats=self.stats.as_dict()) from None

    @staticmethod
    def _retry_wait(state: RetryCallState) -> float:
        asked = state.outcome.exception().wait
        return max(0.0, asked) if asked is not None else BACKOFF(state)

    def _before_retry(self, state: RetryCallState) -> None:
        counter, seconds = state.outcome.exception().counter, state.next_action.sleep
        if counter:  # a rate-limit wait, not a retry of a failure
            self.stats.add(wait_seconds=seconds, throttled=1, **{counter: 1})
        else:
            self.stats.add(wait_seconds=seconds, retries=1)

    def _attempt(self, method: str, url: str, resource: str, **kwargs) -> requests.Response:
        self._before(resource)
        try:
            self.url_guard(url)  # may resolve (cached): a failed lookup is retried like a failed connect
            with self.slots:
                # Redirects are followed by _send, through _check_origin, never by requests itself.
                response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except endpoints.EndpointRefused as exc:
            raise refused(exc, stats=self.stats.as_dict()) from None
        except (requests.RequestException, endpoints.EndpointUnresolved) as exc:
            raise _TryAgain("endpoint_unreachable",
                            f"{type(exc).__name__} calling {urlsplit(url).hostname or '?'}") from None
        self.stats.count_call(resource)
        self._note_headers(response)
        status = response.status_code
        if status in (403, 429) and self._is_rate_limited(response):
            retry_after = response.headers.get("Retry-After")
            if retry_after is not None:  # secondary limit
                raise _TryAgain("rate_limited", "rate limited after retries", wait=float(retry_after),
                                counter="secondary_limits")
            # Primary limit: wait for the reset, unless that is longer than we may wait.
            wait = float(response.headers.get("X-RateLimit-Reset", time.time() + 60)) - time.time() + 1
            if wait > self.max_rate_wait:
                raise GithubFailure("rate_limited", f"budget exhausted; resets in {int(wait)}s",
                                    stats=self.stats.as_dict())
            raise _TryAgain("rate_limited", "rate limited after retries", wait=wait, counter="rate_limit_waits")
        if status >= 500 and not (status == 502 and url == self.graphql):
            raise _TryAgain("unexpected_response", f"GitHub answered {status} after retries")
        return response

    @staticmethod
    def _is_rate_limited(response: requests.Response) -> bool:
        if response.headers.get("Retry-After") is not None:
            return True
        if response.headers.get("X-RateLimit-Remaining") == "0":
            return True
        text = response.text[:500].lower()
        return "rate limit" in text

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
