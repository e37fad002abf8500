"""Celery tasks: thin wrappers that resolve scope from ids and call the domain modules."""
import logging

from celery import shared_task, signature
from django.conf import settings
from django.db import connection as db
from django_tenants.utils import get_public_schema_name, schema_context
from tenant_schemas_celery.app import get_schema_name_from_task

from discovery import execute, runs
from discovery.models import Run, RunStatus
from portal import queues

log = logging.getLogger(__name__)

# The step after the scans, named, not imported: discovery imports none of the apps after it.
RECONCILE_TASK = "catalog.reconcile_workspace"


# A job over its tenant's cap of running jobs is sent again this much later (a retry: the chord waits for it).
CAPPED_RETRY_SECONDS = 5
# A job that began in the public schema (the switch to its tenant's failed) tries again this many times.
SWITCH_RETRIES = 12


@shared_task(name="discovery.run_job", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=False,
             max_retries=None)
def run_job(self, schema_name: str, workspace_id: str, run_id: str, job_id: str) -> str:
    try:
        job = execute.load_job(schema_name, workspace_id, run_id, job_id)
    except execute.ScopeMismatch as exc:
        switch_failed = (db.schema_name == get_public_schema_name() != schema_name
                         and get_schema_name_from_task(self, {}) == schema_name)
        if switch_failed and self.request.retries < SWITCH_RETRIES:
            # The header names the payload's schema but the task runs in public: tenant-schemas-celery could not
            # switch (the database was unreachable when the task began). Later, same headers, not lost.
            log.warning("job %s: not in its schema yet (%s); trying again", job_id, exc)
            raise self.retry(countdown=CAPPED_RETRY_SECONDS, max_retries=SWITCH_RETRIES,
                             headers={"_schema_name": schema_name})
        log.error("refused job %s: %s", job_id, exc)
        return "refused"
    if job.status == RunStatus.QUEUED and execute.over_tenant_cap(job):
        raise self.retry(countdown=CAPPED_RETRY_SECONDS)  # back to its tenant's shard; the worker is free
    outcome = execute.execute_job(job)
    if isinstance(outcome, str):
        return outcome
    if outcome.status in runs.TERMINAL_STATUSES:
        settle_after(schema_name, workspace_id, outcome.run)
    return outcome.status


def settle_after(schema_name: str, workspace_id: str, run) -> None:
    """The last job of a run finishes it, and the last run of a discovery hands its reconcile run over; the
    chord callback (or the watchdog) would too, but a requeued job is in no chord: nobody waits for a pass."""
    if not runs.settle_run(run):
        return
    for reconcile in Run.objects.filter(group_id=run.group_id, kind=Run.Kind.RECONCILE,
                                             dispatched_at__isnull=True) if run.group_id else ():
        if runs.hand_over_if_due(reconcile):
            start_reconcile(schema_name, workspace_id, reconcile)


@shared_task(name="discovery.finish_runs", acks_late=True, reject_on_worker_lost=True)
def finish_runs(schema_name: str, workspace_id: str, run_ids: list, reconcile_run_id: str | None) -> dict:
    """The scans' chord callback: finish the scan runs whose jobs are all over, then hand the reconcile run to
    catalog once every scan is. A job still out (its worker died, its message redelivered) is left to its
    next attempt: the watchdog finishes that run and hands the reconcile over when it is done."""
    finished, scans = {}, []
    for run_id in run_ids:
        try:
            run = execute.load_run(schema_name, workspace_id, run_id)
        except execute.ScopeMismatch as exc:
            log.error("refused to finish run %s: %s", run_id, exc)
            continue
        runs.settle_run(run)
        run.refresh_from_db()
        scans.append(run)
        finished[run_id] = run.status
    if reconcile_run_id:
        try:
            run = execute.load_run(schema_name, workspace_id, reconcile_run_id)
        except execute.ScopeMismatch as exc:
            log.error("refused reconcile run %s: %s", reconcile_run_id, exc)
        else:
            if any(s.is_active for s in scans) or not runs.claim_hand_over(run):
                finished[reconcile_run_id] = run.status  # the watchdog (or whoever claimed it) hands it over
            else:
                finished[reconcile_run_id] = start_reconcile(schema_name, workspace_id, run)
    return finished


@shared_task(name="discovery.chord_failed")
def chord_failed(request, exc, traceback, schema_name: str, workspace_id: str, run_ids: list,
                 reconcile_run_id: str | None) -> dict:
    """Error callback of the scans' chord (a header task raised, e.g. a database error): Celery calls it once
    every header task is back, with the callback's request and the error, then the ids. Every message of
    the chord is back, so a job still queued never ran: send it again; then settle as the callback would."""
    log.error("a job of runs %s failed outside its own error handling: %r", run_ids, exc)
    with schema_context(schema_name):
        for run_id in run_ids:
            try:
                run = execute.load_run(schema_name, workspace_id, run_id)
            except execute.ScopeMismatch:
                continue
            for job_id in run.jobs.filter(status=RunStatus.QUEUED).values_list("pk", flat=True):
                run_job.apply_async(args=[schema_name, workspace_id, run_id, str(job_id)],
                                    headers={"_schema_name": schema_name})
        return finish_runs(schema_name, workspace_id, run_ids, reconcile_run_id)


def start_reconcile(schema_name: str, workspace_id: str, run) -> str:
    """Queue the reconcile step (its hand-over claimed already); if the broker refuses it, the run fails now
    rather than stay queued."""
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
def watchdog() -> dict:
    """Every 30 s in every tenant (beat): requeue jobs whose lease lapsed, dead-letter those out of attempts,
    finish runs the chord will not, hand over reconcile runs, fail stalled runs (runs.watch)."""
    schema = db.schema_name
    found = runs.watch(broker_started_at=queues.broker_started_at(settings.CELERY_BROKER_URL))
    for workspace_id, run_id, job_id in found.requeued:
        try:
            run_job.apply_async(args=[schema, workspace_id, run_id, job_id], headers={"_schema_name": schema})
        except Exception:  # the job stays queued; the run fails as stalled if it never gets a message
            log.exception("could not requeue job %s", job_id)
    for run in found.hand_over:
        start_reconcile(schema, str(run.workspace_id), run)
    if found.requeued or found.dead_lettered or found.finished or found.hand_over:
        log.warning("watchdog in %s: requeued %d job(s), dead-lettered %d, finished %d run(s), handed over %d",
                    schema, len(found.requeued), found.dead_lettered, found.finished, len(found.hand_over))
    return {"requeued": len(found.requeued), "dead_lettered": found.dead_lettered, "finished": found.finished,
            "handed_over": len(found.hand_over)}

