"""The Celery app. Tenant-aware: every task runs in the schema named by its ``_schema_name`` header
(tenant-schemas-celery), and our tasks also check that header against the schema in their payload."""
import os

from tenant_schemas_celery.app import CeleryApp

# portal.settings reads .run/env itself; importing portal here would be circular (portal loads this app).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = CeleryApp("roster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = {
    "discovery.*": {"queue": "discovery"},
    "catalog.*": {"queue": "catalog"},
    "search.*": {"queue": "catalog"},
}
app.conf.task_default_queue = "default"
app.autodiscover_tasks(["discovery", "catalog", "search", "audit"])

# Beat: the watchdog runs in every tenant schema (tenant-schemas-celery's scheduler fans it out).
app.conf.beat_schedule = {
    "discovery-watchdog": {"task": "discovery.watchdog", "schedule": 60.0, "options": {"queue": "discovery"}},
}
