"""The JSON-over-HTTPS client both on-call vendors share: retries, rate limits, origin pinning, no secret out.

- Retries with tenacity on 429, 5xx and network errors: waits what the vendor asks (Retry-After, PagerDuty's
  ``ratelimit-reset``, Opsgenie's ``X-RateLimit-Period-In-Sec``), else backs off with full jitter; a wait longer
  than ``max_wait`` fails at once with ``rate_limited``.
- Sends the key to its base URL's origin only: any other scheme, host or port (an absolute ``next`` link, a
  redirect) is refused before anything is sent, redirects are never followed, and outside local peers mode every
  request passes discovery.endpoints' SSRF guard first.
- Failures are ``OnCallFailure``s with a reason code and a remediation; their messages never carry the key, nor
  what a vendor echoed of it.
Plain module (no Django): the caller passes the base URL, the key's header and the guard.
"""
from __future__ import annotations

import email.utils
import random
import time
from typing import Any, Callable
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from discovery import endpoints
from discovery.connectors.stats import CallStats
from portal.redact import sanitize_message

USER_AGENT = "roster-oncall"
BACKOFF = wait_random_exponential(multiplier=0.5, max=10.0)
REMEDIATION = {
    "bad_credentials": "The API key was refused: create a new read-only key (PagerDuty: a REST API key; "
                       "Opsgenie: an API key with read access) and update the connection.",
    "missing_permission": "The key may not read schedules and on-calls: give it read access to schedules, "
                          "on-calls, teams, escalation policies and services.",
    "not_found": "The vendor no longer knows something it listed a moment ago: the next sync reads it again.",
    "rate_limited": "The vendor's rate limit ran out: Roster reads again at the next sync (every minute). If it "
                    "persists, another integration may be using the same account's budget.",
    "endpoint_unreachable": "The vendor's API did not answer: check network access from the workers to the "
                            "vendor's API host.",
    "endpoint_refused": "Roster only calls the vendor's own API host (see the connection's provider and region).",
    "unexpected_response": "The vendor answered something Roster does not understand: it is read again at the next "
                           "sync; report it with the connection's name if it repeats.",
}


class OnCallFailure(Exception):
    """A sync that could not finish: ``reason_code`` (stable), ``message`` (no secret), ``item``, ``remediation``."""

    def __init__(self, reason_code: str, message: str, item: str = "", remediation: str | None = None):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message
        self.item = item
        self.remediation = remediation if remediation is not None else REMEDIATION.get(reason_code, "")

    def as_dict(self) -> dict:
        return {"reason_code": self.reason_code, "message": self.message, "item": self.item,
                "remediation": self.remediation}


class _TryAgain(Exception):
    def __init__(self, reason_code: str, message: str, wait: float | None = None):
        super().__init__(message)
        self.reason_code, self.message, self.wait = reason_code, message, wait


def origin(url: str) -> tuple:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme, 0)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port, parts.username is not None or parts.password is not None


def asked_wait(headers, now: float | None = None) -> float | None:
    """Seconds the vendor asked us to wait, from Retry-After (seconds or an HTTP date), PagerDuty's
    ``ratelimit-reset`` (seconds) or Opsgenie's ``X-RateLimit-Period-In-Sec``; None when it asked nothing."""
    now = time.time() if now is None else now
    for name in ("Retry-After", "ratelimit-reset", "X-RateLimit-Period-In-Sec"):
        value = headers.get(name)
        if value is None or str(value).strip() == "":
            continue
        value = str(value).strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if name == "Retry-After" else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    return None


class JsonClient:
    def __init__(self, base_url: str, auth_header: str, *, vendor: str, max_retries: int = 4,
                 max_wait: float = 30.0, timeout: float = 15.0, sleep: Callable[[float], None] = time.sleep,
                 url_guard: Callable[[str], None] | None = None, extra_headers: dict | None = None):
        self.base_url = base_url.rstrip("/")
        self.origin = origin(self.base_url)
        self.vendor = vendor
        self._secret = auth_header.split(None, 1)[-1] if auth_header else ""
        self.session = requests.Session()
        self.session.headers.update({"Authorization": auth_header, "Accept": "application/json",
                                     "User-Agent": USER_AGENT, **(extra_headers or {})})
        self.session.trust_env = False  # no proxy from the worker's environment sees the key
        self.max_retries, self.max_wait, self.timeout, self.sleep = max_retries, max_wait, timeout, sleep
        self.url_guard = url_guard or endpoints.outbound_guard()
        self.stats = CallStats()

    def clean(self, text: str) -> str:
        """``text`` fit for a message: the key (and anything credential-shaped) masked, short."""
        secrets = tuple(s for s in (self._secret, self._secret.split("=", 1)[-1]) if s)
        return sanitize_message(text, extra_secrets=secrets, limit=200)

    def get(self, path: str, params: Any = None, *, item: str = "", operation: str = "") -> Any:
        """GET ``path`` (relative to the base URL, or absolute on its origin) and return its JSON body.
        ``operation`` names it in the stats (default: the path)."""
        url = path if "://" in path else f"{self.base_url}{path}"
        if origin(url) != self.origin:
            host = (urlsplit(url).hostname or "?")[:100]
            raise OnCallFailure("endpoint_refused", f"{self.vendor} pointed to another host ({host}); not followed",
                                item)
        retrying = Retrying(stop=stop_after_attempt(self.max_retries + 1), wait=self._wait,
                            retry=retry_if_exception_type(_TryAgain), sleep=self.sleep,
                            before_sleep=self._before_sleep, reraise=True)
        try:
            response = retrying(self._attempt, url, params, operation or urlsplit(url).path[:80])
        except _TryAgain as exc:  # attempts ran out
            raise OnCallFailure(exc.reason_code, exc.message, item) from None
        return self._body(response, item)

    def _wait(self, state: RetryCallState) -> float:
        asked = state.outcome.exception().wait
        return asked if asked is not None else BACKOFF(state)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.add(retries=1, wait_seconds=state.next_action.sleep)

    def _attempt(self, url: str, params: Any, operation: str) -> requests.Response:
        try:
            self.url_guard(url)
            response = self.session.get(url, params=params, timeout=self.timeout, allow_redirects=False)
        except endpoints.EndpointRefused as exc:
            raise OnCallFailure("endpoint_refused", self.clean(exc.message), remediation=exc.remediation) from None
        except (requests.RequestException, endpoints.EndpointUnresolved) as exc:
            raise _TryAgain("endpoint_unreachable", f"{type(exc).__name__} calling {self.vendor}") from None
        self.stats.count_call(f"{self.vendor}:GET {operation}")
        status = response.status_code
        if status == 429:
            self.stats.add(throttled=1)
            wait = asked_wait(response.headers)
            if wait is not None and wait > self.max_wait:
                raise OnCallFailure("rate_limited", f"{self.vendor} asked to wait {int(wait)} s")
            # A small jitter on top of what was asked, so workers of several tenants do not return at once.
            raise _TryAgain("rate_limited", f"{self.vendor} rate limit after retries",
                            None if wait is None else wait + random.uniform(0, 0.25))
        if status >= 500:
            raise _TryAgain("unexpected_response", f"{self.vendor} answered {status} after retries")
        return response

    def _body(self, response: requests.Response, item: str) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            raise OnCallFailure("unexpected_response", f"{self.vendor} redirected ({status}); not followed", item)
        if status >= 400:
            code = {401: "bad_credentials", 403: "missing_permission", 404: "not_found"}.get(status,
                                                                                           "unexpected_response")
            raise OnCallFailure(code, f"{self.vendor} answered {status}: {self.clean(_vendor_message(response))}",
                                item)
        try:
            return response.json()
        except ValueError:
            raise OnCallFailure("unexpected_response", f"{self.vendor} answered {status} without JSON", item) from None


def _vendor_message(response: requests.Response) -> str:
    """The vendor's own error message (PagerDuty: error.message; Opsgenie: message), at most 200 characters."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else body.get("message")
    return str(message or "")[:200]
