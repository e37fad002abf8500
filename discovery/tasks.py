"""Celery tasks: thin wrappers that resolve scope from ids and call the domain modules."""
import logging

from celery import shared_task

from discovery import execute, runs

log = logging.getLogger(__name__)


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
    finished = {}
    for run_id in run_ids:
        try:
            run = execute.load_run(schema_name, workspace_id, run_id)
        except execute.ScopeMismatch as exc:
            log.error("refused to finish run %s: %s", run_id, exc)
            continue
        finished[run_id] = runs.finish_run(run).status
    if reconcile_run_id:
        from catalog.pipeline import run_reconcile

        try:
            run = execute.load_run(schema_name, workspace_id, reconcile_run_id)
        except execute.ScopeMismatch as exc:
            log.error("refused reconcile run %s: %s", reconcile_run_id, exc)
        else:
            finished[reconcile_run_id] = run_reconcile(run).status
    return finished


@shared_task(name="discovery.watchdog")
def watchdog() -> int:
    """Finish runs whose jobs were lost (see runs.reap_if_stale); scheduled by beat in every tenant."""
    return runs.reap_stale_runs()
