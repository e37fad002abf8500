"""Celery beat's scheduler: tenant-schemas-celery's, fanning each entry out to every tenant, plus a fresh
database connection after an outage. Beat has no request or task around its queries, so nothing else closes
a connection that PostgreSQL cut (a restart, a failover): without this, every later tick fails on it and no
tenant's watchdog, schedule or sync runs again until beat is restarted."""
from django.db import close_old_connections
from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler


class TenantScheduler(TenantAwarePersistentScheduler):
    def apply_entry(self, entry, producer=None):
        close_old_connections()  # a connection that failed last tick is closed here, and opened afresh
        try:
            return super().apply_entry(entry, producer=producer)
        finally:
            close_old_connections()
