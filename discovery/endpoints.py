"""Where workers may send a connection's credentials: the outbound-endpoint policy.

Tenant configuration never chooses where a GitHub token, an App JWT or an AWS signature goes: a tenant user
who could point a connection at a host of theirs would collect its credentials, or make the workers probe
the internal network (SSRF). Upstreams are the vendors' (api.github.com, AWS) or ones the operator put in
settings; in local peers mode (tests, ``make demo``) also the local moto server and GitHub emulator.

Plain module: it reads django.conf.settings and nothing else of Django, so the API, the admin and the
workers all ask the same questions here.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings

GITHUB_API = "https://api.github.com"
# host, port -> every address it resolves to (a callable like this is injectable for tests)
Resolver = Callable[[str, int], Iterable[str]]

REMEDIATION = ("Roster only sends credentials to GitHub (api.github.com), AWS, or the endpoints the operator "
               "configured (ROSTER_GITHUB_ENTERPRISE_URLS for GitHub Enterprise Server). Remove base_url / "
               "endpoint_url from the connection, or ask the operator to allow that GitHub Enterprise URL.")


class EndpointRefused(ValueError):
    """The policy refuses this endpoint. Carries what a job failure needs (reason code, remediation)."""

    reason_code = "endpoint_refused"

    def __init__(self, message: str, item: str = "", remediation: str = REMEDIATION):
        super().__init__(message)
        self.message = message
        self.item = item
        self.remediation = remediation


class EndpointUnresolved(Exception):
    """The host did not resolve: not a policy matter, the caller may retry (endpoint_unreachable)."""

    reason_code = "endpoint_unreachable"


def local_peers() -> bool:
    return bool(getattr(settings, "ROSTER_LOCAL_PEERS", False))


def normalize(url: str) -> str:
    """scheme://host[:port]/path, lowercased scheme and host, no trailing slash; '' for nothing.

    Refuses what a legitimate API root never has and a crafted value might hide behind: credentials in the
    URL, a query, a fragment, whitespace or control characters."""
    if url is None or url == "":
        return ""
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 for c in url) or len(url) > 500:
        raise EndpointRefused("the URL must be one absolute http(s) URL without spaces")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise EndpointRefused("the URL has an invalid port") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise EndpointRefused("the URL must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise EndpointRefused("the URL must not carry credentials, a query or a fragment")
    host = parts.hostname.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def _shown(url) -> str:
    return str(url)[:120]


# --- GitHub ------------------------------------------------------------------------------------------
def github_allowed() -> set[str]:
    configured = list(getattr(settings, "ROSTER_GITHUB_ENTERPRISE_URLS", None) or [])
    if local_peers():
        configured.append(getattr(settings, "ROSTER_GITHUB_EMULATOR_URL", ""))
    allowed = {GITHUB_API}
    for url in configured:
        try:
            allowed.add(normalize(url))
        except EndpointRefused:  # a malformed operator entry allows nothing (no tenant URL could equal it)
            continue
    return allowed - {""}


def github_api_base(config: dict | None) -> str:
    """The API root a GitHub connection may use: api.github.com without base_url, otherwise base_url only if
    the operator allows it. Raises EndpointRefused."""
    raw = (config or {}).get("base_url")
    if raw is None or raw == "":
        return GITHUB_API
    try:
        url = normalize(raw)
    except EndpointRefused as exc:
        raise EndpointRefused(f"base_url refused: {exc.message}") from None
    if url in github_allowed():
        return url
    raise EndpointRefused(f"base_url {_shown(raw)} is not a GitHub API this Roster allows "
                          "(api.github.com or an operator-configured GitHub Enterprise URL)")


# --- AWS ---------------------------------------------------------------------------------------------
def aws_endpoint(config: dict | None) -> str | None:
    """The AWS endpoint for a connection: the operator's ROSTER_AWS_ENDPOINT_URL if set, else None (real AWS).

    A tenant's endpoint_url is refused, except in local peers mode where it may name the operator's local
    endpoint (older demo connections carry it). Raises EndpointRefused."""
    operator = normalize(getattr(settings, "ROSTER_AWS_ENDPOINT_URL", "") or "") or None
    raw = (config or {}).get("endpoint_url")
    if raw is None or raw == "":
        return operator
    if local_peers() and operator:
        try:
            if normalize(raw) == operator:
                return operator
        except EndpointRefused:
            pass
    raise EndpointRefused(f"endpoint_url {_shown(raw)} is refused: AWS endpoints are set by the operator, "
                          "not per connection")


# --- SSRF --------------------------------------------------------------------------------------------
def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise EndpointUnresolved(f"{host} does not resolve ({type(exc).__name__})") from None
    return [info[4][0] for info in infos]


def forbidden_address(address: str, *, private_ok: bool = False) -> bool:
    """Private, loopback, link-local (169.254.x: the metadata service), unspecified, multicast, reserved,
    or anything else not globally routable, including IPv4 hidden inside IPv6. ``private_ok`` lets private
    ranges through (an operator-listed GitHub Enterprise Server on the company network) but never loopback,
    link-local, unspecified, multicast or reserved addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and forbidden_address(str(embedded), private_ok=private_ok):
            return True
    if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return True
    return not private_ok and (ip.is_private or not ip.is_global)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or 443


def enterprise_origin(url: str) -> bool:
    """Is ``url`` on a GitHub Enterprise Server the operator listed (scheme, host and port)?"""
    listed = getattr(settings, "ROSTER_GITHUB_ENTERPRISE_URLS", None) or []
    return any(_origin(url) == _origin(entry) for entry in listed)


def check_outbound_url(url: str, *, resolver: Resolver | None = None) -> None:
    """Refuse a URL workers must not call outside local peers mode: not https, or a host any of whose
    addresses is not public. Raises EndpointRefused (or EndpointUnresolved when the name does not resolve).

    Every address is checked, so a name with one public and one internal address is refused. A request
    resolves again when it connects; the hosts that get this far are already the allowed ones above."""
    parts = urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError:
        raise EndpointRefused("the URL has an invalid port") from None
    if parts.scheme != "https" or not parts.hostname:
        raise EndpointRefused(f"only https URLs are called ({parts.scheme or 'no scheme'}://"
                              f"{parts.hostname or ''} refused)")
    if parts.username is not None or parts.password is not None:
        raise EndpointRefused("URLs carrying credentials are not called")
    addresses = list((resolver or system_resolver)(parts.hostname, port))
    if not addresses:
        raise EndpointUnresolved(f"{parts.hostname} resolves to no address")
    private_ok = enterprise_origin(url)  # the operator vouched for this host; internal ranges are expected
    bad = [a for a in addresses if forbidden_address(a, private_ok=private_ok)]
    if bad:
        raise EndpointRefused(f"{parts.hostname} resolves to a non-public address ({bad[0]}); "
                              "Roster does not call internal networks")


def outbound_guard(resolver: Resolver | None = None, ttl: float = 60.0) -> Callable[[str], None]:
    """What a client calls before each request: a no-op in local peers mode (the peers are on loopback),
    else check_outbound_url, remembering a host's verdict for ``ttl`` seconds so a scan of thousands
    of requests does not resolve thousands of times."""
    if local_peers():
        return lambda url: None
    passed: dict[tuple, float] = {}
    lock = threading.Lock()

    def guard(url: str) -> None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc.lower())
        now = time.monotonic()
        with lock:
            if passed.get(key, 0.0) > now:
                return
        check_outbound_url(url, resolver=resolver)
        with lock:
            passed[key] = now + ttl

    return guard
