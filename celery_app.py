"""The Celery app. Tenant-aware: every task runs in the schema named by its ``_schema_name`` header
(tenant-schemas-celery), and our tasks also check that header against the schema in their payload."""
import os

from tenant_schemas_celery.app import CeleryApp

from portal.env import load_run_env

load_run_env()
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
