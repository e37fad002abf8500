"""Where a webhook may go: the URL a tenant admin typed, checked before it is saved and again, against DNS,
right before every delivery (SSRF).

A subscription URL is chosen by a tenant user and called by Roster's workers from inside the operator's
network, so it must not reach internal hosts: only https, no credentials in the URL, and a host whose every
address is public (discovery.endpoints.forbidden_address: loopback, private, link-local and the metadata
service, IPv4 hidden in IPv6, ...). The delivery connects to the address that was checked, not to whatever
the name resolves to a moment later, so a name that answers a public address to the check and an internal
one to the connection (DNS rebinding) gets nowhere. In local peers mode (tests, ``make demo``) http and
loopback are allowed too, so a receiver on this machine can be used; private and link-local ranges are not.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from discovery.endpoints import (
    EndpointRefused, EndpointUnresolved, Resolver, forbidden_address, local_peers, system_resolver,
)

MAX_URL_LENGTH = 2000
REMEDIATION = ("Give an https URL of a public host (no user:password@, no internal or cloud-metadata address); "
               "Roster calls it from its own network.")


class TargetRefused(EndpointRefused):
    """The URL may not be called; the message says why (it never contains a secret: URLs carry none)."""

    def __init__(self, message: str):
        super().__init__(message, remediation=REMEDIATION)


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to ``address``, say ``host`` (Host header, TLS server name)."""

    scheme: str
    host: str
    port: int
    path: str      # path and query, as sent in the request line
    address: str

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"


def _parts(url):
    """Syntax only: (scheme, host, port, path). Raises TargetRefused."""
    if not isinstance(url, str) or not url:
        raise TargetRefused("the URL is missing")
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise TargetRefused(f"the URL must be one absolute URL without spaces (at most {MAX_URL_LENGTH} characters)")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if local_peers() else ("https",)
    if scheme not in allowed:
        raise TargetRefused(f"only {' or '.join(allowed)} URLs can receive webhooks ({scheme or 'no scheme'} refused)")
    try:
        port = parts.port
    except ValueError:
        raise TargetRefused("the URL has an invalid port") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TargetRefused("the URL must not carry credentials (user:password@); the signature authenticates "
                            "Roster to the receiver")
    if parts.fragment:
        raise TargetRefused("the URL must not have a #fragment")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path


def _allowed(address: str) -> bool:
    if not forbidden_address(address):
        return True
    if not local_peers():
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def resolve(url: str, *, resolver: Resolver | None = None) -> Target:
    """The URL checked, with the address to connect to. Raises TargetRefused (never call it) or
    EndpointUnresolved (the name does not resolve now: try again later)."""
    scheme, host, port, path = _parts(url)
    addresses = list(dict.fromkeys((resolver or system_resolver)(host, port)))
    if not addresses:
        raise EndpointUnresolved(f"{host} resolves to no address")
    bad = [a for a in addresses if not _allowed(a)]
    if bad:  # one internal address is enough to refuse: the name is not only a public host's
        raise TargetRefused(f"{host} resolves to a non-public address ({bad[0]}); Roster does not call internal "
                            "networks")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def check(url: str, *, resolver: Resolver | None = None) -> str:
    """For saving a subscription: the URL, or TargetRefused with a message for the person who typed it."""
    try:
        resolve(url, resolver=resolver)
    except EndpointUnresolved:
        raise TargetRefused(f"{_parts(url)[1]} does not resolve; give a host name Roster can reach") from None
    return url
