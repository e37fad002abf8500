"""Celery tasks: thin wrappers. The tick runs in every tenant schema (beat, tenant-schemas-celery); a delivery
task runs in the schema that received it, checked against its payload."""
import logging

from celery import shared_task
from django.db import connection as db

from freshness import refresh, schedules

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 10
BUSY_MAX_RETRIES = 60  # ten minutes of a scan of the same repositories being active


@shared_task(name="freshness.tick")
def tick() -> dict:
    """Every minute in every tenant: start the scheduled reads that are due."""
    return schedules.run_due()


@shared_task(name="freshness.apply_github_delivery", bind=True, acks_late=True, max_retries=BUSY_MAX_RETRIES)
def apply_github_delivery(self, schema_name: str, delivery_pk: int) -> str:
    if db.schema_name != schema_name:
        log.error("refused delivery %s: queued for schema %s, running in %s", delivery_pk, schema_name,
                  db.schema_name)
        return "refused"
    try:
        return refresh.apply(delivery_pk)
    except refresh.Busy as busy:
        if self.request.retries >= self.max_retries:
            refresh.give_up(delivery_pk, f"run {busy} stayed active for the same repositories")
            return "failed"
        raise self.retry(countdown=BUSY_RETRY_SECONDS)
