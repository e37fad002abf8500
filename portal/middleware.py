"""Tenant resolution from the host, with the domain lookup cached briefly in the process.

Every request otherwise pays a query to the public schema before any view runs; for a keystroke
search that round trip is a large share of the budget. Entries live 30 s, so a new or deleted tenant
is seen within that time; schemas themselves are never cached (set_tenant runs on every request).
"""
import time

from django_tenants.middleware.main import TenantMainMiddleware

TTL_SECONDS = 30.0
_cache: dict[str, tuple[float, object]] = {}


class CachedTenantMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        hit = _cache.get(hostname)
        now = time.monotonic()
        if hit and now - hit[0] < TTL_SECONDS:
            return hit[1]
        tenant = super().get_tenant(domain_model, hostname)  # raises DoesNotExist: never cached
        _cache[hostname] = (now, tenant)
        return tenant


def forget_tenants() -> None:
    _cache.clear()
