"""A token bucket per (tenant, account, upstream host), shared by every worker process through Redis, with
adaptive refill: a throttling answer halves the bucket's rate, and each quiet second after a quiet window
gives some of it back, up to the configured rate.

Connectors stay plain: a job hands its ``CallStats`` a ``Limiter`` (``stats.limiter``), and the connector asks
it before each request (``acquire``) and tells it about each throttling answer (``penalize``). The bucket lives
in Redis and is judged by Redis's clock (``TIME`` inside the scripts), never a worker's; a request reserves its
token (the bucket may go below zero), so waiting callers never race each other for the next one.

Redis being unreachable never stalls a scan: the limiter then lets requests through (the connectors' own
backoff on throttling still applies) and says so once in the log.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.db import connection

from portal import redis_client

log = logging.getLogger(__name__)

# KEYS[1]: the bucket. ARGV: max rate (tokens/s), burst, quiet window (ms), regain per quiet second (tokens/s).
# Returns the milliseconds the caller waits for its (reserved) token.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max_rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local quiet, regain = tonumber(ARGV[3]), tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'rate', 'penalized')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
local rate = tonumber(b[3]) or max_rate
local penalized = tonumber(b[4]) or 0
local elapsed = math.max(0, now - ts)
if rate < max_rate and now - penalized > quiet then
  rate = math.min(max_rate, rate + regain * elapsed / 1000)
end
tokens = math.min(burst, tokens + rate * elapsed / 1000) - 1
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now, 'rate', rate, 'penalized', penalized)
redis.call('PEXPIRE', KEYS[1], 3600000)
if tokens >= 0 then return 0 end
return math.ceil(-tokens / rate * 1000)
"""

# KEYS[1]: the bucket. ARGV: max rate, min rate. Halves the rate (not below min) and restarts the quiet window.
PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(redis.call('HGET', KEYS[1], 'rate')) or tonumber(ARGV[1])
rate = math.max(tonumber(ARGV[2]), rate / 2)
redis.call('HSET', KEYS[1], 'rate', rate, 'penalized', now)
redis.call('PEXPIRE', KEYS[1], 3600000)
return tostring(rate)
"""


@dataclass(frozen=True)
class Rates:
    rate: float = 20.0          # tokens per second when all is quiet (most AWS describe APIs allow ~20 tps)
    burst: float = 40.0         # tokens a quiet bucket holds
    min_rate: float = 1.0       # never slower than this
    quiet_seconds: float = 30.0  # after a throttling answer, this long before the rate climbs back
    regain: float = 1.0         # tokens/s of rate regained per quiet second

    @classmethod
    def aws(cls) -> "Rates":
        return cls(rate=settings.ROSTER_AWS_RATE_PER_SECOND, burst=settings.ROSTER_AWS_RATE_BURST)


class Limiter:
    """The buckets of one scope (``tenant:account``); keys are upstream hosts (``ecs.us-east-1``)."""

    def __init__(self, scope: str, rates: Rates, sleep: Callable[[float], None] = time.sleep):
        self.scope, self.rates, self.sleep = scope, rates, sleep
        self._warned = False

    def _key(self, host: str) -> str:
        return f"roster:ratelimit:{self.scope}:{host}"

    def acquire(self, host: str) -> float:
        """Take a token for one request to ``host``; returns the seconds waited for it."""
        try:
            wait_ms = redis_client.client().eval(ACQUIRE, 1, self._key(host), self.rates.rate, self.rates.burst,
                                                 int(self.rates.quiet_seconds * 1000), self.rates.regain)
        except Exception as exc:  # noqa: BLE001 - Redis down: let requests through rather than stall
            self._unavailable(exc)
            return 0.0
        wait = float(wait_ms) / 1000
        if wait > 0:
            self.sleep(wait)
        return wait

    def penalize(self, host: str) -> float | None:
        """A throttling answer from ``host``: halve its rate. Returns the new rate (None without Redis)."""
        try:
            return float(redis_client.client().eval(PENALIZE, 1, self._key(host), self.rates.rate,
                                                    self.rates.min_rate))
        except Exception as exc:  # noqa: BLE001
            self._unavailable(exc)
            return None

    def _unavailable(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning("rate limiter unavailable (%s): requests are not paced", type(exc).__name__)


def aws_limiter(account: str) -> Limiter:
    """The limiter of one AWS account of this tenant (AWS throttles per account, region and API)."""
    return Limiter(f"{connection.schema_name}:aws:{account}", Rates.aws())
