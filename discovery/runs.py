"""Run lifecycle: create (with jobs), start, record job results, finish, cancel.

Status: queued -> running -> succeeded | partial | failed | cancelled. A failed job makes the run
partial, not failed, unless every job failed. Counters move with F() updates so parallel jobs can't
lose each other's increments. A reconcile run is one unit of work done in steps by the apps after
discovery (catalog, ownership, search); catalog closes it with finish_reconcile_run.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit import events
from discovery.models import ACTIVE_STATUSES, Connection, Job, Run, RunStatus
from discovery.planning import plan_jobs
from discovery.selection import is_full, normalize_selection, selection_hash


class ActiveRunExists(Exception):
    def __init__(self, run: Run):
        super().__init__(f"run {run.id} is already {run.status} for this connection and selection")
        self.run = run


def create_scan_run(connection: Connection, *, selection: dict | None = None, trigger: str = "manual",
                    requested_by: str = "", group_id: uuid.UUID | None = None) -> Run:
    """Create a queued run and its jobs. Raises ActiveRunExists when the same selection is already active."""
    chosen = normalize_selection(connection.provider, connection.config, selection)
    digest = selection_hash(chosen)
    planned = plan_jobs(connection.provider, chosen)
    try:
        with transaction.atomic():
            run = Run.objects.create(
                workspace_id=connection.workspace_id, connection=connection, kind=Run.Kind.SCAN, trigger=trigger,
                requested_by=requested_by, group_id=group_id, selection=chosen, selection_hash=digest,
                full_scan=is_full(connection.provider, connection.config, chosen), total=len(planned),
            )
            Job.objects.bulk_create(
                Job(run=run, key=p.key, scanner=p.scanner, account=p.account, region=p.region) for p in planned
            )
    except IntegrityError:
        active = Run.objects.filter(connection=connection, selection_hash=digest, status__in=ACTIVE_STATUSES).first()
        if active is not None and reap_if_stale(active):
            active = None
        if active is None:  # the active run has just finished (or was stale): try once more
            return create_scan_run(connection, selection=selection, trigger=trigger, requested_by=requested_by,
                                   group_id=group_id)
        raise ActiveRunExists(active) from None
    events.record("run.queued", actor=requested_by or "system", obj=run, workspace_id=run.workspace_id,
                  connection=str(connection.id), selection_hash=digest, trigger=trigger, jobs=len(planned))
    return run


def create_reconcile_run(workspace_id, *, trigger: str, requested_by: str = "", group_id=None) -> Run:
    return Run.objects.create(
        workspace_id=workspace_id, kind=Run.Kind.RECONCILE, trigger=trigger, requested_by=requested_by,
        group_id=group_id, selection={"reconcile": str(workspace_id)}, selection_hash=selection_hash(
            {"reconcile": str(workspace_id)}), total=1,
    )


def mark_started(run: Run) -> None:
    """queued -> running, once, whichever job gets there first; the audit event is written exactly once."""
    now = timezone.now()
    if Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING, started_at=now):
        run.status, run.started_at = RunStatus.RUNNING, now
        events.record("run.started", actor="worker", obj=run, workspace_id=run.workspace_id, kind=run.kind,
                      connection=str(run.connection_id or ""))


def record_job_outcome(job: Job, *, status: str, failure: dict | None = None) -> None:
    now = timezone.now()
    counter = {RunStatus.SUCCEEDED: "succeeded", RunStatus.FAILED: "failed"}.get(status, "skipped")
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk).exclude(status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED,
                                                                    RunStatus.CANCELLED]).update(
            status=status, failure=failure, finished_at=now, lease_expires_at=None, facts=job.facts,
            links=job.links, api_calls=job.api_calls, stats=job.stats, warnings=job.warnings[:200],
        )
        if updated:  # only the first outcome of a job counts, even if a redelivered copy also finishes
            Run.objects.filter(pk=job.run_id).update(processed=F("processed") + 1, **{counter: F(counter) + 1})
    job.status, job.failure, job.finished_at = status, failure, now


def finish_run(run: Run) -> Run:
    """Derive the run's final status from its jobs and aggregate their stats."""
    run.refresh_from_db()
    if run.status not in ACTIVE_STATUSES:
        return run
    jobs = list(run.jobs.all())
    # A job still queued/running here was lost (e.g. its worker died for good): count it as failed.
    for job in jobs:
        if job.status in ACTIVE_STATUSES:
            record_job_outcome(job, status=RunStatus.FAILED, failure={
                "reason_code": "job_lost", "message": "the job did not report back", "item": job.key,
                "remediation": "Run discovery again; if it repeats, check the worker logs (.run/log/worker.log).",
            })
    run.refresh_from_db()
    failed = [j for j in jobs if j.status == RunStatus.FAILED]
    done = [j for j in jobs if j.status == RunStatus.SUCCEEDED]
    if not jobs or len(done) == len(jobs):
        status = RunStatus.SUCCEEDED
    elif not done:
        status = RunStatus.FAILED
    else:
        status = RunStatus.PARTIAL
    stats = aggregate_stats(jobs)
    failures = [j.failure for j in failed if j.failure]
    warnings = [w for j in jobs for w in (j.warnings or [])][:500]
    now = timezone.now()
    Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
        status=status, finished_at=now, stats=stats, failures=failures, warnings=warnings,
        started_at=run.started_at or now,
    )
    run.refresh_from_db()
    events.record("run.finished", actor="worker", obj=run, workspace_id=run.workspace_id, status=run.status,
                  kind=run.kind, connection=str(run.connection_id or ""), succeeded=run.succeeded, failed=run.failed,
                  facts=stats.get("facts", 0))
    return run


def record_stats(run: Run, stats: dict) -> None:
    """What a step of a run found so far (reconcile: what changed), while the run goes on."""
    Run.objects.filter(pk=run.pk).update(stats=stats)
    run.stats = stats


def finish_reconcile_run(run: Run, *, status: str, stats: dict, failures: list | tuple = ()) -> Run:
    """Give a reconcile run (one unit of work: its steps) its final status, once: a run already over
    (cancelled, or finished by a duplicate message) keeps its outcome and gets no second audit event."""
    ok = status == RunStatus.SUCCEEDED
    now = timezone.now()
    if not Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=status, stats=stats, failures=list(failures), finished_at=now, processed=1, succeeded=int(ok),
            failed=int(not ok)):
        run.refresh_from_db()
        return run
    run.refresh_from_db()
    events.record("run.finished", actor="worker", obj=run, workspace_id=run.workspace_id, status=run.status,
                  kind=run.kind, **{k: v for k, v in stats.items() if isinstance(v, (int, float))})
    return run


def aggregate_stats(jobs: list[Job]) -> dict:
    stats: dict = {"facts": 0, "links": 0, "api_calls": 0, "retries": 0, "throttled": 0, "wait_seconds": 0.0,
                   "kinds": {}}
    for job in jobs:
        stats["facts"] += job.facts
        stats["links"] += job.links
        stats["api_calls"] += job.api_calls
        for key in ("retries", "throttled"):
            stats[key] += int((job.stats or {}).get(key, 0))
        stats["wait_seconds"] = round(stats["wait_seconds"] + float((job.stats or {}).get("wait_seconds", 0.0)), 3)
        for kind, count in ((job.stats or {}).get("facts_by_kind") or {}).items():
            stats["kinds"][kind] = stats["kinds"].get(kind, 0) + count
        for key, value in ((job.stats or {}).get("extra") or {}).items():
            if isinstance(value, (int, float)):
                stats[key] = stats.get(key, 0) + value
    return stats


def cancel_run(run: Run, *, actor: str = "") -> bool:
    now = timezone.now()
    if not Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(status=RunStatus.CANCELLED,
                                                                             finished_at=now):
        return False
    Job.objects.filter(run=run, status=RunStatus.QUEUED).update(status=RunStatus.CANCELLED, finished_at=now)
    run.refresh_from_db()
    events.record("run.cancelled", actor=actor or "system", obj=run, workspace_id=run.workspace_id)
    return True


STALE_QUEUED = timedelta(minutes=10)


def reap_if_stale(run: Run) -> bool:
    """Finish a run nobody is working on: queued for too long, or every unfinished job's lease expired.

    Messages can be lost (a broker restart without persistence, a purge); without this a lost run would
    block its selection forever. Returns True when the run was finished here.
    """
    now = timezone.now()
    unfinished = list(run.jobs.filter(status__in=ACTIVE_STATUSES))
    if run.status == RunStatus.QUEUED and run.created_at > now - STALE_QUEUED:
        return False
    if any(j.status == RunStatus.RUNNING and j.lease_expires_at and j.lease_expires_at > now for j in unfinished):
        return False
    if run.status == RunStatus.RUNNING and any(j.status == RunStatus.QUEUED for j in unfinished) \
            and (run.started_at or now) > now - STALE_QUEUED:
        return False
    finish_run(run)
    return True


def reap_stale_runs() -> int:
    return sum(reap_if_stale(run) for run in Run.objects.filter(status__in=ACTIVE_STATUSES, kind=Run.Kind.SCAN))
