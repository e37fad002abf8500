"""Trigger discovery and build its Celery canvas.

One chord per trigger: a group with one task per job (of every run triggered together), and a
callback (``discovery.finish_runs``) that finishes those runs and hands the reconcile run to catalog by
task name; catalog chains ownership inference and indexing after it (``catalog.tasks``). If a header task
fails, ``discovery.chord_failed`` (the callback's error callback) does the same and sends the jobs that
never ran again. Jobs whose worker died are the watchdog's (``runs.watch``): it requeues them and then
finishes their runs and hands the reconcile run over itself, since that chord never calls back.
Messages carry ids only: tenant schema, workspace, run, job.
"""
from __future__ import annotations

import uuid

from celery import chord, group
from django.db import connection as db
from django.db import transaction

from audit import events
from discovery import runs
from discovery.choices import RunPriority, ScanMode
from discovery.models import ACTIVE_STATUSES, Connection, Run
from portal.queues import MESSAGE_PRIORITY


class PriorityBusy(Exception):
    """A tenant has one discovery at high priority at a time: its jobs go before every other tenant's waiting
    jobs (portal.queues), so more than one would turn a shortcut into starvation."""

    def __init__(self, run: Run):
        super().__init__(f"run {run.pk} is already running at high priority; wait for it or run at normal priority")
        self.run = run


def discover_workspace(workspace, *, connection_ids=None, selection=None, trigger="manual", requested_by="",
                       reconcile=True, scan_mode="auto", priority=RunPriority.NORMAL, reason="") -> dict:
    """Queue a scan of each enabled connection (or those named) plus a reconcile run, and dispatch them.

    Returns {"runs": [...], "reconcile_run": Run|None, "already_active": [...]}. A connection whose
    selection is already being scanned is reported in already_active instead of queued twice. Raises
    PriorityBusy for a high priority discovery while another is active.
    """
    if priority == RunPriority.HIGH:
        busy = Run.objects.select_for_update().filter(priority=RunPriority.HIGH, status__in=ACTIVE_STATUSES).first()
        if busy is not None:
            raise PriorityBusy(busy)
    group_id = uuid.uuid4()
    connections = Connection.objects.filter(workspace=workspace, enabled=True)
    if connection_ids:
        connections = connections.filter(pk__in=connection_ids)
    created, already_active = [], []
    for conn in connections:
        try:
            created.append(runs.create_scan_run(conn, selection=selection, trigger=trigger,
                                                requested_by=requested_by, group_id=group_id,
                                                scan_mode=scan_mode, priority=priority, reason=reason))
        except runs.ActiveRunExists as exc:
            already_active.append(exc.run)
    reconcile_run = None
    if reconcile and (created or not already_active):
        reconcile_run = runs.create_reconcile_run(workspace.pk, trigger=trigger, requested_by=requested_by,
                                                  group_id=group_id, priority=priority)
    transaction.on_commit(lambda: dispatch(workspace.pk, created, reconcile_run))
    return {"runs": created, "reconcile_run": reconcile_run, "already_active": already_active}


def reconcile_workspace(workspace, *, trigger: str, requested_by: str = "") -> dict:
    """A reconcile run alone: the facts changed without a scan (a webhook said a repository is gone)."""
    run = runs.create_reconcile_run(workspace.pk, trigger=trigger, requested_by=requested_by, group_id=uuid.uuid4())
    transaction.on_commit(lambda: dispatch(workspace.pk, [], run))
    return {"runs": [], "reconcile_run": run, "already_active": []}


def job_signatures(schema: str, workspace_id, scan_runs: list[Run]) -> list:
    """One ``discovery.run_job`` message per job, at its run's priority."""
    from discovery.tasks import run_job

    return [run_job.si(schema, str(workspace_id), str(run.pk), str(job_id)).set(priority=MESSAGE_PRIORITY[run.priority])
            for run in scan_runs for job_id in run.jobs.values_list("pk", flat=True)]


def dispatch(workspace_id, scan_runs: list[Run], reconcile_run: Run | None):
    from discovery.tasks import chord_failed, finish_runs

    schema = db.schema_name
    ws = str(workspace_id)
    jobs = job_signatures(schema, ws, scan_runs)
    ids = ([str(r.pk) for r in scan_runs], str(reconcile_run.pk) if reconcile_run else None)
    callback = finish_runs.si(schema, ws, *ids)
    if jobs:
        callback.on_error(chord_failed.s(schema, ws, *ids))
        return chord(group(jobs))(callback)
    return callback.apply_async()


def retry_failed(run: Run, *, trigger: str, requested_by: str = "", reason: str = "",
                 priority=RunPriority.NORMAL) -> dict | None:
    """Scan again what the run's failed jobs covered, dead-lettered or not (a new run of its connection, then
    reconcile); None when it has none left to retry. The jobs remember the run that retried them."""
    jobs = list(runs.failed_not_retried().filter(run=run))
    if not jobs or run.connection is None:
        return None
    result = discover_workspace(run.workspace, connection_ids=[run.connection_id],
                                selection=runs.retry_selection(run, jobs), trigger=trigger,
                                requested_by=requested_by, priority=priority, reason=reason)
    retried_by = (result["runs"] or result["already_active"])[:1]
    if retried_by:
        runs.mark_retried(jobs, retried_by[0])
        events.record("run.retried", actor=requested_by or "system", obj=run, workspace_id=run.workspace_id,
                      reason=reason, jobs=len(jobs), retry_run=str(retried_by[0].pk))
    return result


def backfill(connection: Connection, *, selection=None, trigger: str, requested_by: str = "", reason: str = "",
             priority=RunPriority.NORMAL) -> dict:
    """Read one connection's selection (all of it when none) again in full, whatever its schedule's mode:
    after an outage, a fixed permission or a connector upgrade. Audited with who and why."""
    result = discover_workspace(connection.workspace, connection_ids=[connection.pk], selection=selection,
                                trigger=trigger, requested_by=requested_by, scan_mode=ScanMode.FULL,
                                priority=priority, reason=reason)
    events.record("connection.backfill", actor=requested_by or "system", obj=connection,
                  workspace_id=connection.workspace_id, reason=reason, priority=priority,
                  selection=selection or {}, runs=[str(r.pk) for r in result["runs"]])
    return result
