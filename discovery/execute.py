"""Run one job inside a worker: check scope, stream batches into the fact store, record the outcome.

A job runs only under its lease (runs.claim_job), renewed by a Heartbeat thread for as long as the job
runs, whatever it waits on. A redelivered message (worker lost, acks_late) finds the lease live and steps
aside, or lapsed and scans again: upserts make the second pass a no-op for facts already stored, and only
the holder of the lease can record the job's outcome, once.
"""
from __future__ import annotations

import logging
import threading
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db import connection as db
from django.db.models.functions import Now
from django_tenants.utils import schema_context

from discovery import runs, scan_state, scanning, store
from discovery.models import Job, Run, RunStatus
from portal.redact import sanitize_message

log = logging.getLogger(__name__)
STEPPED_ASIDE = "stepped_aside"


class LeaseLost(Exception):
    """The job's lease lapsed and was given to another attempt: stop, report nothing."""


class Heartbeat:
    """Renews a running job's lease every ``period`` seconds from its own thread and database connection, so
    a job waiting on an upstream (throttling back-off, a slow page) keeps its lease and a dead worker's lapses.
    ``lost`` is set when a renewal finds the lease no longer ours."""

    def __init__(self, schema_name: str, job_id, token: str, period: float | None = None):
        self.schema_name, self.job_id, self.token = schema_name, job_id, token
        self.period = period if period is not None else runs.HEARTBEAT_SECONDS
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=self.period + 5)

    def _run(self) -> None:
        try:
            with schema_context(self.schema_name):
                while not self._stop.wait(self.period):
                    try:
                        if not runs.renew_lease(self.job_id, self.token):
                            self.lost.set()
                            return
                    except Exception:  # retried next period: the lease outlasts a few missed renewals
                        log.warning("job %s: could not renew its lease", self.job_id, exc_info=True)
                        db.close_if_unusable_or_obsolete()  # a restarted database: connect afresh next time
        finally:
            db.close()  # this thread's own connection


class ScopeMismatch(Exception):
    """A task's payload does not match the tenant/workspace/run it claims: refuse to touch anything."""


def load_job(schema_name: str, workspace_id: str, run_id: str, job_id: str) -> Job:
    if db.schema_name != schema_name:
        raise ScopeMismatch(f"task for schema {schema_name!r} is running in {db.schema_name!r}")
    job = Job.objects.select_related("run", "run__connection").filter(pk=job_id).first()
    if job is None:
        raise ScopeMismatch(f"job {job_id} does not exist in schema {schema_name!r}")
    run = job.run
    if str(run.pk) != str(run_id) or str(run.workspace_id) != str(workspace_id):
        raise ScopeMismatch("job does not belong to the run and workspace in the payload")
    if run.connection is not None and str(run.connection.workspace_id) != str(workspace_id):
        raise ScopeMismatch("connection belongs to another workspace")
    return job


def load_run(schema_name: str, workspace_id: str, run_id: str) -> Run:
    if db.schema_name != schema_name:
        raise ScopeMismatch(f"task for schema {schema_name!r} is running in {db.schema_name!r}")
    run = Run.objects.filter(pk=run_id, workspace_id=workspace_id).first()
    if run is None:
        raise ScopeMismatch(f"run {run_id} is not in workspace {workspace_id} of schema {schema_name!r}")
    return run


def over_tenant_cap(job: Job) -> bool:
    """True when this tenant already has ROSTER_TENANT_MAX_RUNNING_JOBS jobs running under a live lease (0: no
    cap). A soft cap: two workers checking at the same instant may both start."""
    cap = settings.ROSTER_TENANT_MAX_RUNNING_JOBS
    if not cap:
        return False
    running = Job.objects.filter(status=RunStatus.RUNNING, lease_expires_at__gt=Now()).exclude(pk=job.pk)
    return running.count() >= cap


def execute_job(job: Job) -> Job | str:
    """Run the job under its lease; STEPPED_ASIDE when another worker holds a live one (or it is over)."""
    run = job.run
    if job.status in runs.TERMINAL_STATUSES:
        return job  # already done: a duplicate delivery
    if run.status == RunStatus.CANCELLED:
        runs.record_job_outcome(job, status=RunStatus.CANCELLED)
        return job
    token = uuid.uuid4().hex
    if not runs.claim_job(job, token):
        log.info("job %s: another worker holds its lease (or it is over); stepping aside", job.key)
        return STEPPED_ASIDE
    runs.mark_started(run)
    with Heartbeat(db.schema_name, job.pk, token) as heartbeat:
        _scan(run, job, token, heartbeat)
    return job


def _scan(run: Run, job: Job, token: str, heartbeat: Heartbeat) -> None:
    job.facts = job.links = job.api_calls = 0
    job.stats, job.warnings = {"facts_by_kind": {}}, []
    connection = run.connection
    secret_values: tuple[str, ...] = ()
    scanner = None
    try:
        secret = connection.get_secret()
        secret_values = tuple(str(v) for v in secret.values() if v)
        scanner = scanning.scanner_for(connection, job, secret)
        for batch in scanner.batches():
            if heartbeat.lost.is_set():
                raise LeaseLost(job.key)
            counts = store.persist_batch(run, job, batch)
            job.stats["touched"] = job.stats.get("touched", 0) + store.touch(run, batch.touched)
            job.facts += counts.facts
            job.links += counts.links
            job.api_calls += batch.api_calls
            for rec in batch.facts:
                job.stats["facts_by_kind"][rec.kind] = job.stats["facts_by_kind"].get(rec.kind, 0) + 1
            job.warnings.extend(_clean_warning(w, secret_values) for w in batch.warnings)
            if not Job.objects.filter(pk=job.pk, lease_token=token).update(facts=job.facts, links=job.links,
                                                                           api_calls=job.api_calls):
                raise LeaseLost(job.key)  # cancelled, or taken by another attempt: stop now
            runs.changed(run.pk)  # facts found so far, for the run's live view
        job.stats.update(scanner.stats())
        scan_state.keep(connection, job, scanner.learned())
        runs.record_job_outcome(job, status=RunStatus.SUCCEEDED, token=token)
    except LeaseLost:
        log.warning("job %s: its lease lapsed, went to another attempt or its run was cancelled; stopped", job.key)
    except (OperationalError, InterfaceError):
        # The database went away (a restart, a failover): not the upstream's fault and nothing to record now.
        # The task fails, the lease lapses, and the watchdog sends the job again (runs.expire_leases).
        raise
    except Exception as exc:  # every failure becomes a reason code on the job; the run goes on
        failure = scanning.describe_failure(exc, item=job.key, secrets=secret_values)
        if failure["reason_code"] == "unexpected_response":
            log.exception("job %s failed unexpectedly", job.key)
        else:
            log.warning("job %s failed: %s", job.key, failure["reason_code"])
        job.stats.update(getattr(exc, "stats", None) or {})
        if scanner is not None:  # what it learned before failing (ETags) still holds
            _keep_quietly(connection, job, scanner)
        runs.record_job_outcome(job, status=RunStatus.FAILED, failure=failure, token=token)


def _keep_quietly(connection, job: Job, scanner) -> None:
    try:
        scan_state.keep(connection, job, scanner.learned())
    except Exception:  # the job's own failure is what gets recorded
        log.warning("job %s: could not keep what its scanner learned", job.key, exc_info=True)


def _clean_warning(warning: dict, secrets: tuple[str, ...]) -> dict:
    return {
        "reason_code": str(warning.get("reason_code", "warning"))[:64],
        "message": sanitize_message(warning.get("message", ""), secrets),
        "item": sanitize_message(warning.get("item", ""), secrets, limit=200),
    }
