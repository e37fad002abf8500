"""One redis-py client per process for the few places that talk to Redis directly (Django's cache builds a
new client object per call, which costs more than a GET)."""
from functools import lru_cache

import redis
from django.conf import settings


def redis_url() -> str:
    default = settings.CACHES.get("default", {})
    location = default.get("LOCATION") if "redis" in default.get("BACKEND", "").lower() else None
    if isinstance(location, (list, tuple)):
        location = location[0]
    return location or settings.REDIS_URL


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def client() -> redis.Redis:
    return _client(redis_url())


@lru_cache(maxsize=4)
def broker_client(url: str) -> redis.Redis:
    """The Celery broker at ``url`` (queue depths, the watchdog's restart check), with longer timeouts than
    the cache's: a broker under load answers INFO and LLEN slower than the cache answers a GET."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
