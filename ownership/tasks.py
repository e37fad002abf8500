"""Celery tasks of ownership: thin wrappers over ownership.inference, ids in (tenant schema, workspace, run).

``ownership.infer_workspace`` is the step after reconcile in a discovery (catalog chains it by name).
It raises when the payload does not match the tenant it runs in: the discovery then fails with a reason
instead of going on without owners.
"""
from celery import shared_task
from django.db import connection

from ownership import inference


class ScopeMismatch(Exception):
    """The payload names another tenant than the one the task runs in: touch nothing."""


@shared_task(name="ownership.infer_workspace", acks_late=True, reject_on_worker_lost=True)
def infer_workspace(schema_name: str, workspace_id: str, run_id: str) -> dict:
    if connection.schema_name != schema_name:
        raise ScopeMismatch(f"payload names schema {schema_name!r}, task runs in {connection.schema_name!r}")
    return inference.infer(run_id)
