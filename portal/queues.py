"""The broker's queues, and which one a discovery job goes to. Plain Python: scripts and tests that start
workers read the queue list here without setting Django up.

Discovery jobs are spread over ``ROSTER_DISCOVERY_SHARDS`` queues by tenant (a stable hash of the schema name),
and every worker consumes all of them. The Redis transport takes the next message from the queues in turn
(kombu's round-robin cycle), so one tenant's ten thousand queued jobs fill one shard and another tenant's single
run waits for one message of each busy shard, not for all of them: stochastic fair queuing. Two tenants that
hash to the same shard share it in order, as before.
"""
from __future__ import annotations

import os
import zlib
from datetime import datetime, timezone
from urllib.parse import urlsplit

SHARDS = max(1, int(os.environ.get("ROSTER_DISCOVERY_SHARDS", "8")))
BASE_QUEUES = ("default", "discovery", "catalog")
# Message priorities of a run's jobs. kombu's Redis transport keeps priorities 0, 3, 6 and 9 of a queue in lists
# of their own and a worker takes from the lower number first, across every queue it consumes: a normal job
# waits at 6, so a high run's jobs (0) go before every waiting normal job, in any shard. Messages sent with no
# priority (reconcile, beat's tasks) are 0 too: short steps that finish what a scan started.
MESSAGE_PRIORITY = {"normal": 6, "high": 0}


def broker_started_at(url: str) -> datetime | None:
    """When the Redis broker at ``url`` last started, by its own clock; None when it is not Redis or does not
    answer. Local Redis keeps no persistence: a message sent before this moment and not yet taken is gone."""
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        return None
    try:
        from portal.redis_client import broker_client  # not at import: `python -m portal.queues` needs no Django

        info = broker_client(url).info("server")
        return datetime.fromtimestamp(int(info["server_time_usec"]) / 1e6 - int(info["uptime_in_seconds"]),
                                      tz=timezone.utc)
    except Exception:  # no answer: the watchdog's other rules still hold
        return None


def discovery_shard(schema_name: str) -> str:
    return f"discovery.{zlib.crc32(schema_name.encode()) % SHARDS}"


def worker_queues() -> str:
    """The -Q argument of a worker that does everything: the base queues and every discovery shard."""
    return ",".join([*BASE_QUEUES, *(f"discovery.{n}" for n in range(SHARDS))])


def route(name, args, kwargs, options, task=None, **extra):
    """Celery router: a discovery job goes to its tenant's shard (its first argument is the schema name)."""
    if name == "discovery.run_job":
        schema = args[0] if args else (kwargs or {}).get("schema_name")
        if isinstance(schema, str) and schema:
            return {"queue": discovery_shard(schema)}
    return None


if __name__ == "__main__":  # scripts/roster.sh: the worker's queues
    print(worker_queues())
