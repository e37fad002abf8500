"""Where an on-call connection's key may go: the vendor's API host, never one a tenant chooses.

PagerDuty is api.pagerduty.com; Opsgenie is api.opsgenie.com or api.eu.opsgenie.com, picked by the connection's
region (a choice, not a URL). In local peers mode (settings.ROSTER_LOCAL_PEERS) the operator's
ROSTER_PAGERDUTY_URL / ROSTER_OPSGENIE_URL (the local peers) take their place. The connection has no URL field
at all, and the client refuses any request off the base URL's origin (discovery.endpoints' primitives: the same
normalization, the same SSRF guard outside local peers mode)."""
from __future__ import annotations

from django.conf import settings

from discovery import endpoints
from discovery.endpoints import EndpointRefused

PAGERDUTY_API = "https://api.pagerduty.com"
OPSGENIE_API = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
REMEDIATION = ("Roster sends on-call keys only to PagerDuty (api.pagerduty.com) and Opsgenie (api.opsgenie.com, "
               "api.eu.opsgenie.com). Pick the account's Opsgenie region on the connection; hosts are never set "
               "per connection.")


def _operator(name: str) -> str:
    """The operator's local peer URL for ``name`` in local peers mode, else ''."""
    if not endpoints.local_peers():
        return ""
    try:
        return endpoints.normalize(getattr(settings, name, "") or "")
    except EndpointRefused:  # a malformed operator value allows nothing
        return ""


def base_url(provider: str, region: str = "us") -> str:
    """The API root for a connection of ``provider`` (and Opsgenie ``region``). Raises EndpointRefused."""
    if provider == "pagerduty":
        return _operator("ROSTER_PAGERDUTY_URL") or PAGERDUTY_API
    if provider == "opsgenie":
        if region not in OPSGENIE_API:
            raise EndpointRefused(f"unknown Opsgenie region {str(region)[:20]!r} (us or eu)", remediation=REMEDIATION)
        return _operator("ROSTER_OPSGENIE_URL") or OPSGENIE_API[region]
    raise EndpointRefused(f"unknown on-call provider {str(provider)[:20]!r}", remediation=REMEDIATION)


def allowed_bases() -> set[str]:
    """Every API root an on-call key may be sent to under the current settings."""
    bases = {PAGERDUTY_API, *OPSGENIE_API.values()}
    bases |= {url for url in (_operator("ROSTER_PAGERDUTY_URL"), _operator("ROSTER_OPSGENIE_URL")) if url}
    return bases
