"""Celery beat's scheduler: tenant-schemas-celery's, fanning each entry out to every tenant, that survives a
database outage. Beat has no request or task around its queries, so nothing else closes a connection that
PostgreSQL cut (a restart, a failover), and the tenants query that fails raises out of beat's tick and stops
beat for good: no tenant's watchdog, schedule or sync would run again. Here the failed tick is logged and
skipped, and the next one connects afresh."""
import logging

from django.db import DatabaseError, close_old_connections
from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler

log = logging.getLogger(__name__)


class TenantScheduler(TenantAwarePersistentScheduler):
    def apply_entry(self, entry, producer=None):
        close_old_connections()  # a connection that failed last tick is closed here, and opened afresh
        try:
            return super().apply_entry(entry, producer=producer)
        except DatabaseError as exc:
            log.warning("beat: %s skipped this time: the database did not answer (%s)", entry.name,
                        type(exc).__name__)
            return None
        finally:
            close_old_connections()
