"""The Celery app. Tenant-aware: every task runs in the schema named by its ``_schema_name`` header
(tenant-schemas-celery), and our tasks also check that header against the schema in their payload."""
import os

from tenant_schemas_celery.app import CeleryApp

# portal.settings reads .run/env itself; importing portal here would be circular (portal loads this app).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = CeleryApp("roster")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Discovery jobs to their tenant's shard first (portal.queues: fair queuing across tenants), then by app.
app.conf.task_routes = ("portal.queues.route", {
    "discovery.*": {"queue": "discovery"},
    "catalog.*": {"queue": "catalog"},
    "ownership.*": {"queue": "catalog"},
    "search.*": {"queue": "catalog"},
    "freshness.*": {"queue": "discovery"},
    "notifications.*": {"queue": "catalog"},
    "oncall.*": {"queue": "discovery"},  # calls vendors, like discovery's reads
})
app.conf.task_default_queue = "default"
app.autodiscover_tasks(["discovery", "catalog", "ownership", "search", "audit", "freshness", "notifications",
                        "oncall"])

# Beat: the watchdog runs in every tenant schema (tenant-schemas-celery's scheduler fans it out).
app.conf.beat_schedule = {
    "discovery-watchdog": {"task": "discovery.watchdog", "schedule": 30.0, "options": {"queue": "discovery"}},
    # Webhooks out: fan out what is new and send again what is overdue (notifications.tasks.sweep).
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 15.0, "options": {"queue": "catalog"}},
    # Scheduled reads (freshness.schedules): the rows live in each tenant's schema, the tick reads them afresh.
    "freshness-tick": {"task": "freshness.tick", "options": {"queue": "discovery"},
                       "schedule": float(os.environ.get("ROSTER_SCHEDULE_TICK_SECONDS", "60"))},
    # On-call (oncall.sync): who is on call now and next, read into each tenant's tables for routing answers.
    "oncall-sync": {"task": "oncall.sync", "schedule": 60.0, "options": {"queue": "discovery"}},
}

# Logs: mask credential-shaped text in every record this process logs (web, worker, beat, commands) and in
# the final output of the handlers Celery installs in workers and beat (it replaces the root handlers Django
# configured, and the task logger has its own). Imported here, after `app` exists: portal imports this module.
from celery.signals import after_setup_logger, after_setup_task_logger  # noqa: E402

from portal.logging import install_record_redaction, redact_handlers, use_json  # noqa: E402

install_record_redaction()


@after_setup_logger.connect(weak=False)
@after_setup_task_logger.connect(weak=False)
def _redact_celery_logs(logger=None, **kwargs):
    install_record_redaction()
    redact_handlers(logger)
    redact_handlers()  # and whatever else is configured by now (Django's LOGGING handlers included)
    from django.conf import settings

    if settings.ROSTER_LOG_FORMAT == "json" and logger is not None:
        for handler in logger.handlers:
            use_json(handler)
