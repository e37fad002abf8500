"""Celery tasks of the catalog: thin wrappers that resolve the reconcile run from ids and call catalog.actions.

Discovery hands a reconcile run over by task name (``catalog.reconcile_workspace``) once its scans are
finished. Reconcile then chains the steps after it, by task name too, so catalog imports neither of
them: ownership inference, indexing, and ``catalog.finish_reconcile``, which closes the run. A step
that fails closes the run as failed with a reason (``catalog.reconcile_failed``, its error callback).
Messages carry ids only: tenant schema, workspace, run.

Reconciles of one tenant take turns (``catalog.locks``): one that waited ``actions.LOCK_WAIT_SECONDS`` for
another is sent again ``BUSY_RETRY_SECONDS`` later (its run stays queued), up to ``BUSY_MAX_ATTEMPTS`` times.
"""
import logging

from celery import chain, shared_task, signature
from django.db import connection
from django_tenants.utils import schema_context

from catalog import actions, locks
from discovery.models import Run

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 15
BUSY_MAX_ATTEMPTS = 40  # ~50 minutes of another reconcile holding the tenant: something is stuck
AFTER_RECONCILE = ("ownership.infer_workspace", "search.index_workspace", "catalog.finish_reconcile")


def _load(schema_name: str, workspace_id: str, run_id: str) -> Run | None:
    """The reconcile run the payload names, in the schema the task runs in; None (and a log line) if not."""
    if connection.schema_name != schema_name:
        log.error("refused reconcile run %s: payload names schema %r, task runs in %r", run_id, schema_name,
                  connection.schema_name)
        return None
    run = Run.objects.filter(pk=run_id, workspace_id=workspace_id, kind=Run.Kind.RECONCILE).first()
    if run is None:
        log.error("refused reconcile run %s: not a reconcile run of workspace %s in schema %r", run_id,
                  workspace_id, schema_name)
    return run


def after_reconcile(schema_name: str, workspace_id: str, run_id: str):
    """The steps after reconcile as one chain, each step failing into ``catalog.reconcile_failed``."""
    args = [schema_name, str(workspace_id), str(run_id)]
    options = {"headers": {"_schema_name": schema_name}}  # the tenant, whichever schema sends the next step
    errback = signature("catalog.reconcile_failed", args=args, options=options)
    return chain(*(signature(name, args=args, options=options, immutable=True).on_error(errback.clone())
                   for name in AFTER_RECONCILE))


@shared_task(name="catalog.reconcile_workspace", acks_late=True, reject_on_worker_lost=True)
def reconcile_workspace(schema_name: str, workspace_id: str, run_id: str, attempt: int = 0) -> str:
    run = _load(schema_name, workspace_id, run_id)
    if run is None:
        return "refused"
    try:
        done = actions.reconcile_run(run)
    except locks.ReconcileBusy:
        return _again_later(schema_name, workspace_id, run, attempt)
    if not done:
        return run.status
    try:
        after_reconcile(schema_name, workspace_id, run_id).apply_async()
    except Exception as exc:  # the broker refused the next step: the run must not stay running
        log.exception("could not queue the steps after reconcile of run %s", run_id)
        return actions.fail_run(run, actions.step_failure("catalog.reconcile_workspace", exc)).status
    return run.status


def _again_later(schema_name: str, workspace_id: str, run: Run, attempt: int) -> str:
    """Another reconcile of the tenant is still writing: send this one again later (the run stays queued)."""
    if attempt + 1 >= BUSY_MAX_ATTEMPTS:
        log.error("reconcile run %s gave up after %d attempts: another reconcile holds the tenant", run.pk,
                  attempt + 1)
        return actions.fail_run(run, actions.busy_failure(attempt + 1)).status
    log.info("reconcile run %s waits for another reconcile of %s (attempt %d)", run.pk, schema_name, attempt + 1)
    try:
        reconcile_workspace.apply_async(args=[schema_name, str(workspace_id), str(run.pk)],
                                        kwargs={"attempt": attempt + 1}, countdown=BUSY_RETRY_SECONDS,
                                        headers={"_schema_name": schema_name})
    except Exception as exc:
        log.exception("could not queue reconcile run %s again", run.pk)
        return actions.fail_run(run, actions.requeue_failure(exc)).status
    return "waiting"


@shared_task(name="catalog.finish_reconcile", acks_late=True, reject_on_worker_lost=True)
def finish_reconcile(schema_name: str, workspace_id: str, run_id: str) -> str:
    run = _load(schema_name, workspace_id, run_id)
    if run is None:
        raise LookupError(f"reconcile run {run_id} is not in workspace {workspace_id} of schema {schema_name!r}")
    return actions.finish_run(run).status


@shared_task(name="catalog.reconcile_failed")
def reconcile_failed(request, exc, traceback, schema_name: str, workspace_id: str, run_id: str) -> str:
    """Error callback of the steps after reconcile: Celery calls it in the failed step's worker with the
    step's request and exception, then the ids this chain was built with."""
    with schema_context(schema_name):
        run = _load(schema_name, workspace_id, run_id)
        if run is None:
            return "refused"
        log.error("reconcile run %s failed in %s: %r", run_id, request.task, exc)
        return actions.fail_run(run, actions.step_failure(request.task, exc)).status
