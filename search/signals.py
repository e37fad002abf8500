"""Re-index after catalog changes commit. Search connects these receivers itself (``SearchConfig.ready``):
catalog does not know who indexes it.

Each change enqueues a task carrying ids only (schema name + object id) from ``transaction.on_commit``,
so a rolled-back change is never indexed and the worker reads committed data. The schema is captured
when the change is made and sent as the task's tenant header explicitly: the commit may happen after
the code has left the tenant context, when the connection is back on public.

QuerySet.update() and bulk_create() send no signals: code that changes services in bulk calls
``index_services_on_commit(ids)`` itself.
"""
from __future__ import annotations

from functools import partial

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django_tenants.utils import get_public_schema_name


def _tenant_schema() -> str | None:
    schema = connection.schema_name
    return None if not schema or schema == get_public_schema_name() else schema


def _send(task, schema: str, *args) -> None:
    task.apply_async(args=[schema, *args], headers={"_schema_name": schema})


def index_services_on_commit(service_ids) -> None:
    """Queue the re-index of these services of the current tenant once the transaction commits."""
    from search import tasks

    schema = _tenant_schema()
    if schema is None:
        return
    for service_id in service_ids:
        # robust: the change is committed either way; a broker outage shows up as pending index lag.
        transaction.on_commit(partial(_send, tasks.index_service, schema, str(service_id)), robust=True)


def _service_changed(sender, instance, **kwargs):
    index_services_on_commit([instance.pk])


def _resource_changed(sender, instance, **kwargs):
    index_services_on_commit([instance.service_id])


def _team_changed(sender, instance, **kwargs):
    from search import tasks

    schema = _tenant_schema()
    if schema is not None:
        transaction.on_commit(partial(_send, tasks.index_team, schema, str(instance.pk)), robust=True)


def connect_signals() -> None:
    """Idempotent (dispatch_uid): safe to call from several ready() hooks."""
    from catalog.models import Service, ServiceResource, Team

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_service_changed, sender=Service, dispatch_uid=f"search.service.{name}")
        signal.connect(_resource_changed, sender=ServiceResource, dispatch_uid=f"search.resource.{name}")
        signal.connect(_team_changed, sender=Team, dispatch_uid=f"search.team.{name}")
