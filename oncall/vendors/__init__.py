"""The on-call vendors, read-only and Django-free: each takes a base URL and a key and returns a plain Snapshot
(oncall.vendors.shifts). Failures are OnCallFailures with reason codes (oncall.vendors.http)."""
from __future__ import annotations

from datetime import datetime

from oncall.vendors import opsgenie, pagerduty
from oncall.vendors.http import JsonClient, OnCallFailure
from oncall.vendors.shifts import Snapshot

READERS = {"pagerduty": pagerduty, "opsgenie": opsgenie}

__all__ = ["OnCallFailure", "Snapshot", "read"]


def read(provider: str, base_url: str, key: str, now: datetime, **client_options) -> tuple[Snapshot, dict]:
    """(what the account holds as of ``now``, the calls it cost)."""
    vendor = READERS.get(provider)
    if vendor is None:
        raise OnCallFailure("unexpected_response", f"unknown on-call provider {str(provider)[:20]!r}")
    api: JsonClient = vendor.client(base_url, key, **client_options)
    try:
        return vendor.read(api, now), api.stats.as_dict()
    except OnCallFailure as failure:
        failure.stats = api.stats.as_dict()
        raise
