"""Celery tasks: thin wrappers that resolve scope from ids and call the domain modules."""
import logging

from celery import shared_task, signature

from discovery import execute, runs
from discovery.models import RunStatus

log = logging.getLogger(__name__)

# The step after the scans, named, not imported: discovery imports none of the apps after it.
RECONCILE_TASK = "catalog.reconcile_workspace"


@shared_task(name="discovery.run_job", acks_late=True, reject_on_worker_lost=True, ignore_result=False)
def run_job(schema_name: str, workspace_id: str, run_id: str, job_id: str) -> str:
    try:
        job = execute.load_job(schema_name, workspace_id, run_id, job_id)
    except execute.ScopeMismatch as exc:
        log.error("refused job %s: %s", job_id, exc)
        return "refused"
    return execute.execute_job(job).status


@shared_task(name="discovery.finish_runs", acks_late=True, reject_on_worker_lost=True)
def finish_runs(schema_name: str, workspace_id: str, run_ids: list, reconcile_run_id: str | None) -> dict:
    """The scans' chord callback: finish the scan runs, then hand the reconcile run to catalog."""
    finished = {}
    for run_id in run_ids:
        try:
            run = execute.load_run(schema_name, workspace_id, run_id)
        except execute.ScopeMismatch as exc:
            log.error("refused to finish run %s: %s", run_id, exc)
            continue
        finished[run_id] = runs.finish_run(run).status
    if reconcile_run_id:
        try:
            run = execute.load_run(schema_name, workspace_id, reconcile_run_id)
        except execute.ScopeMismatch as exc:
            log.error("refused reconcile run %s: %s", reconcile_run_id, exc)
        else:
            finished[reconcile_run_id] = start_reconcile(schema_name, workspace_id, run)
    return finished


def start_reconcile(schema_name: str, workspace_id: str, run) -> str:
    """Queue the reconcile step; if the broker refuses it, the run fails now rather than stay queued."""
    try:
        signature(RECONCILE_TASK, args=[schema_name, str(workspace_id), str(run.pk)],
                  headers={"_schema_name": schema_name}).apply_async()
    except Exception as exc:
        log.exception("could not queue reconcile run %s", run.pk)
        return runs.finish_reconcile_run(run, status=RunStatus.FAILED, stats={}, failures=[{
            "reason_code": "queue_unavailable", "message": f"{type(exc).__name__}: the broker refused the task",
            "item": "reconcile",
            "remediation": "Check the broker (Redis) and the workers, then run discovery again.",
        }]).status
    return run.status


@shared_task(name="discovery.watchdog")
def watchdog() -> int:
    """Finish runs whose jobs were lost (see runs.reap_if_stale); scheduled by beat in every tenant."""
    return runs.reap_stale_runs()
