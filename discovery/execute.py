"""Run one job inside a worker: check scope, stream batches into the fact store, record the outcome.

Idempotent: a redelivered job (worker lost, acks_late) simply scans again; upserts make the second
pass a no-op for facts already stored, and only the first outcome of a job is counted.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection as db
from django.utils import timezone

from discovery import runs, scan_state, scanning, store
from discovery.models import Job, Run, RunStatus
from portal.redact import sanitize_message

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


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


def execute_job(job: Job) -> Job:
    run = job.run
    if job.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
        return job  # already done: a duplicate delivery
    if run.status == RunStatus.CANCELLED:
        runs.record_job_outcome(job, status=RunStatus.CANCELLED)
        return job
    runs.mark_started(run)
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(status=RunStatus.RUNNING, attempts=job.attempts + 1, started_at=now,
                                         heartbeat_at=now, lease_expires_at=now + LEASE)
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
            counts = store.persist_batch(run, job, batch)
            job.stats["touched"] = job.stats.get("touched", 0) + store.touch(run, batch.touched)
            job.facts += counts.facts
            job.links += counts.links
            job.api_calls += batch.api_calls
            for rec in batch.facts:
                job.stats["facts_by_kind"][rec.kind] = job.stats["facts_by_kind"].get(rec.kind, 0) + 1
            job.warnings.extend(_clean_warning(w, secret_values) for w in batch.warnings)
            beat = timezone.now()
            Job.objects.filter(pk=job.pk).update(facts=job.facts, links=job.links, api_calls=job.api_calls,
                                                 heartbeat_at=beat, lease_expires_at=beat + LEASE)
        job.stats.update(scanner.stats())
        scan_state.keep(connection, job, scanner.learned())
        runs.record_job_outcome(job, status=RunStatus.SUCCEEDED)
    except Exception as exc:  # every failure becomes a reason code on the job; the run goes on
        failure = scanning.describe_failure(exc, item=job.key, secrets=secret_values)
        if failure["reason_code"] == "unexpected_response":
            log.exception("job %s failed unexpectedly", job.key)
        else:
            log.warning("job %s failed: %s", job.key, failure["reason_code"])
        job.stats.update(getattr(exc, "stats", None) or {})
        if scanner is not None:  # what it learned before failing (ETags) still holds
            _keep_quietly(connection, job, scanner)
        runs.record_job_outcome(job, status=RunStatus.FAILED, failure=failure)
    return job


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
