"""What a scan cost, counted the same way by every connector: requests sent (per operation too), retries,
throttling and the time spent waiting, plus the few counts only one connector has (``counts``)."""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class CallStats:
    api_calls: int = 0          # requests sent; every retry is one more
    retries: int = 0            # requests sent again after a failure or a 5xx
    throttled: int = 0          # answers that said "slow down"
    wait_seconds: float = 0.0   # backoff and rate-limit waits
    per_operation: Counter = field(default_factory=Counter)  # requests per operation ("ecs:DescribeServices")
    counts: Counter = field(default_factory=Counter)         # connector-specific ("graphql_points", ...)
    # The shared token bucket the job hands in (discovery.ratelimit.Limiter: acquire(host), penalize(host)).
    limiter: Any = field(default=None, repr=False, compare=False)
    # Scanners fan calls out to threads: counters move under a lock.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def pace(self, host: str) -> None:
        """Before a request to ``host``: wait for a token of the shared bucket, counting the wait."""
        if self.limiter is not None:
            waited = self.limiter.acquire(host)
            if waited > 0:
                self.add(rate_limit_waits=1, wait_seconds=waited)

    def slowed_down(self, host: str) -> None:
        """``host`` answered "slow down": the shared bucket slows every worker's requests to it."""
        if self.limiter is not None:
            self.limiter.penalize(host)

    def count_call(self, operation: str) -> None:
        with self._lock:
            self.api_calls += 1
            self.per_operation[operation] += 1

    def add(self, **values: float) -> None:
        """Add to the named counters: the fields above, or else a connector-specific count."""
        with self._lock:
            for key, value in values.items():
                if key in _NUMBERS:
                    setattr(self, key, getattr(self, key) + value)
                else:
                    self.counts[key] += value

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"api_calls": self.api_calls, "retries": self.retries, "throttled": self.throttled,
                    "wait_seconds": round(self.wait_seconds, 3), "per_operation": dict(self.per_operation),
                    **self.counts}


_NUMBERS = frozenset(f.name for f in fields(CallStats) if f.type in ("int", "float"))
