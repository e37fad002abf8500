"""When a failed delivery is tried again, when Roster gives up on it, and when it turns a subscription off.
Plain functions of numbers and times (the settings are passed in), so the schedule is tested without a clock."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings


@dataclass(frozen=True)
class Policy:
    base: float = 30.0           # seconds before the first retry; doubles each time
    cap: float = 3600.0          # never more than this between two attempts
    retry_for: float = 86400.0   # a delivery is retried this long after it was created (or retried by hand)
    disable_after_failures: int = 20  # failed attempts in a row that turn a subscription off
    disable_after: float = 86400.0    # ... or failing for this long without one success

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(base=float(settings.ROSTER_WEBHOOK_BACKOFF_SECONDS),
                   cap=float(settings.ROSTER_WEBHOOK_BACKOFF_MAX_SECONDS),
                   retry_for=float(settings.ROSTER_WEBHOOK_RETRY_FOR_SECONDS),
                   disable_after_failures=int(settings.ROSTER_WEBHOOK_DISABLE_AFTER_FAILURES),
                   disable_after=float(settings.ROSTER_WEBHOOK_DISABLE_AFTER_SECONDS))


def delay(attempts: int, policy: Policy) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base, 2x base, 4x base, ... capped."""
    exponent = min(max(attempts, 1) - 1, 32)  # 2**32 x anything is past any cap
    return min(policy.base * (2 ** exponent), policy.cap)


def next_attempt(attempts: int, now: datetime, retry_until: datetime, policy: Policy) -> datetime | None:
    """When to try again after a failed attempt, or None: give up (the window has closed)."""
    if now >= retry_until:
        return None
    return min(now + timedelta(seconds=delay(attempts, policy)), retry_until)


def disable_reason(consecutive_failures: int, failing_since: datetime | None, now: datetime,
                   policy: Policy) -> str:
    """Why a subscription should be turned off now, or "" to keep it."""
    if consecutive_failures >= policy.disable_after_failures:
        return f"{consecutive_failures} deliveries in a row failed"
    failing_for = (now - failing_since).total_seconds() if failing_since is not None else 0.0
    if consecutive_failures and failing_for >= policy.disable_after:
        return f"every delivery failed for {failing_for / 3600:.0f} h"
    return ""
