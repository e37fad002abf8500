"""Run lifecycle: create (with jobs), start, record job results, finish, cancel.

Status: queued -> running -> succeeded | partial | failed | cancelled. A failed job makes the run
partial, not failed, unless every job failed. Counters move with F() updates so parallel jobs can't
lose each other's increments. A reconcile run is one unit of work done in steps by the apps after
discovery (catalog, ownership, search); catalog closes it with finish_reconcile_run.

Leases: a worker running a job holds a lease (LEASE long) that its heartbeat renews every HEARTBEAT_SECONDS
(execute.Heartbeat). Every lease decision is a conditional UPDATE judged by the database's clock (now()),
never a worker's. The watchdog (``watch``, every 30 s from beat) requeues a job whose lease lapsed, up to
MAX_ATTEMPTS claims, then dead-letters it (failed, reason ``dead_letter``; ``retry`` from the API or the
admin); finishes scan runs whose chord will not call back; hands reconcile runs to catalog once their scans
are over; and fails with reason ``stalled`` a run nobody can make progress on.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.db.models import Value
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone

from audit import events
from discovery import progress
from discovery.choices import RunPriority, ScanMode
from discovery.models import ACTIVE_STATUSES, Connection, Job, Run, RunStatus
from discovery.planning import plan_jobs
from discovery.selection import is_full, normalize_selection, selection_hash


# Operator settings (ROSTER_JOB_LEASE_SECONDS, ...; portal.settings checks they fit together).
LEASE = timedelta(seconds=settings.ROSTER_JOB_LEASE_SECONDS)  # a dead worker's job is noticed within LEASE + the
HEARTBEAT_SECONDS = settings.ROSTER_JOB_HEARTBEAT_SECONDS      # watchdog's period; a renewal every quarter lease:
MAX_ATTEMPTS = settings.ROSTER_JOB_MAX_ATTEMPTS                # a missed one or two (a slow database) lose nothing
STALL_AFTER = timedelta(minutes=settings.ROSTER_RUN_STALL_MINUTES)
TERMINAL_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
DEAD_LETTER = "dead_letter"
# A reconcile run's steps (reconcile, infer, index, finish) each stop at the task time limit, and a message
# of a worker that died comes back after the visibility timeout: past both, nobody is working on it.
RECONCILE_STEPS = 4


class ActiveRunExists(Exception):
    def __init__(self, run: Run):
        super().__init__(f"run {run.id} is already {run.status} for this connection and selection")
        self.run = run


def create_scan_run(connection: Connection, *, selection: dict | None = None, trigger: str = "manual",
                    requested_by: str = "", group_id: uuid.UUID | None = None, scan_mode: str = ScanMode.AUTO,
                    priority: str = RunPriority.NORMAL, reason: str = "") -> Run:
    """Create a queued run and its jobs. Raises ActiveRunExists when the same selection is already active,
    whatever the mode: a full and an incremental read of one selection never run at once."""
    chosen = normalize_selection(connection.provider, connection.config, selection)
    digest = selection_hash(chosen)
    planned = plan_jobs(connection.provider, chosen)
    try:
        with transaction.atomic():
            run = Run.objects.create(
                workspace_id=connection.workspace_id, connection=connection, kind=Run.Kind.SCAN, trigger=trigger,
                requested_by=requested_by, group_id=group_id, selection=chosen, selection_hash=digest,
                full_scan=is_full(connection.provider, connection.config, chosen), total=len(planned),
                scan_mode=scan_mode, priority=priority,
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
                                   group_id=group_id, scan_mode=scan_mode, priority=priority, reason=reason)
        raise ActiveRunExists(active) from None
    events.record("run.queued", actor=requested_by or "system", obj=run, workspace_id=run.workspace_id,
                  connection=str(connection.id), selection_hash=digest, trigger=trigger, jobs=len(planned),
                  scan_mode=scan_mode, priority=priority, reason=reason)
    return run


def create_reconcile_run(workspace_id, *, trigger: str, requested_by: str = "", group_id=None,
                         priority: str = RunPriority.NORMAL) -> Run:
    return Run.objects.create(
        workspace_id=workspace_id, kind=Run.Kind.RECONCILE, trigger=trigger, requested_by=requested_by,
        group_id=group_id, priority=priority, selection={"reconcile": str(workspace_id)}, selection_hash=selection_hash(
            {"reconcile": str(workspace_id)}), total=1,
    )


def mark_started(run: Run) -> None:
    """queued -> running, once, whichever job gets there first; the audit event is written exactly once."""
    now = timezone.now()
    if Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING, started_at=now):
        run.status, run.started_at = RunStatus.RUNNING, now
        changed(run.pk)
        events.record("run.started", actor="worker", obj=run, workspace_id=run.workspace_id, kind=run.kind,
                      connection=str(run.connection_id or ""))


def changed(run_id) -> None:
    """Wake the run's live streams (discovery.progress) once what changed is committed."""
    schema = db.schema_name
    transaction.on_commit(lambda: progress.publish(schema, run_id))


def claim_job(job: Job, token: str) -> bool:
    """Take the job's lease for ``token``: the job is queued, or running under a lease that has expired.

    One conditional UPDATE judged by the database's clock, so two workers never both win and a worker whose
    own clock is off can neither take a live lease nor keep a lapsed one. False: step aside."""
    lapsed = Q(status=RunStatus.RUNNING, attempts__lt=MAX_ATTEMPTS) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=Now()))
    claimed = Job.objects.filter(Q(status=RunStatus.QUEUED) | lapsed, pk=job.pk).update(
        status=RunStatus.RUNNING, lease_token=token, attempts=F("attempts") + 1, started_at=Now(),
        heartbeat_at=Now(), lease_expires_at=_lease_end())
    if claimed:
        job.refresh_from_db(fields=["status", "lease_token", "attempts", "started_at", "heartbeat_at",
                                    "lease_expires_at"])
    return bool(claimed)


def renew_lease(job_id, token: str) -> bool:
    """The heartbeat: extend the lease while it is still ours. False when it was taken away (the watchdog
    requeued the job after it lapsed): the worker must stop working on it."""
    return bool(Job.objects.filter(pk=job_id, lease_token=token, status=RunStatus.RUNNING).update(
        heartbeat_at=Now(), lease_expires_at=_lease_end()))


def _lease_end():
    return ExpressionWrapper(Now() + LEASE, output_field=DateTimeField())


def record_job_outcome(job: Job, *, status: str, failure: dict | None = None, token: str | None = None,
                       only_if: Q | None = None) -> bool:
    """The job's one outcome. With ``token``, only while the lease is still that worker's (a worker that lost
    its lease cannot report over the attempt that replaced it). False when another outcome got there first."""
    now = timezone.now()
    counter = {RunStatus.SUCCEEDED: "succeeded", RunStatus.FAILED: "failed"}.get(status, "skipped")
    open_job = Job.objects.filter(pk=job.pk).exclude(status__in=TERMINAL_STATUSES)
    if token is not None:
        open_job = open_job.filter(lease_token=token)
    if only_if is not None:
        open_job = open_job.filter(only_if)
    with transaction.atomic():
        updated = open_job.update(
            status=status, failure=failure, finished_at=now, lease_expires_at=None, lease_token="",
            heartbeat_at=Now(), facts=job.facts, links=job.links, api_calls=job.api_calls, stats=job.stats,
            warnings=job.warnings[:200],
        )
        if updated:  # only the first outcome of a job counts, even if a redelivered copy also finishes
            Run.objects.filter(pk=job.run_id).update(processed=F("processed") + 1, **{counter: F(counter) + 1})
    if updated:
        job.status, job.failure, job.finished_at = status, failure, now
        changed(job.run_id)
    return bool(updated)


def settle_run(run: Run) -> bool:
    """Finish a scan run once every job has its outcome; True when it was finished here. A run with a job
    still queued or running is left to that job (or to the watchdog, if its worker died)."""
    if run.jobs.exclude(status__in=TERMINAL_STATUSES).exists():
        return False
    return finish_run(run).finished_here


def finish_run(run: Run, *, stalled: bool = False) -> Run:
    """Derive the run's final status from its jobs and aggregate their stats; exactly once (the chord callback
    and the watchdog may both get here). ``stalled``: the run could make no progress; it fails, and its
    unfinished jobs with it."""
    run.refresh_from_db()
    run.finished_here = False
    if run.status not in ACTIVE_STATUSES:
        return run
    jobs = list(run.jobs.all())
    # A job still queued/running here was lost (e.g. its worker died for good): count it as failed.
    for job in jobs:
        if job.status in ACTIVE_STATUSES:
            record_job_outcome(job, status=RunStatus.FAILED, failure=_stalled(job.key) if stalled else {
                "reason_code": "job_lost", "message": "the job did not report back", "item": job.key,
                "remediation": "Run discovery again; if it repeats, check the worker logs (.run/log/worker.log).",
            })
    run.refresh_from_db()
    run.finished_here = False
    jobs = list(run.jobs.all())
    failed = [j for j in jobs if j.status == RunStatus.FAILED]
    done = [j for j in jobs if j.status == RunStatus.SUCCEEDED]
    if not jobs or len(done) == len(jobs):
        status = RunStatus.SUCCEEDED
    elif not done or stalled:
        status = RunStatus.FAILED
    else:
        status = RunStatus.PARTIAL
    stats = aggregate_stats(jobs)
    failures = ([_stalled("run")] if stalled else []) + [j.failure for j in failed if j.failure]
    warnings = [w for j in jobs for w in (j.warnings or [])][:500]
    now = timezone.now()
    if not Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=status, finished_at=now, stats=stats, failures=failures, warnings=warnings,
            started_at=run.started_at or now):
        run.refresh_from_db()
        run.finished_here = False
        return run
    run.refresh_from_db()
    run.finished_here = True
    changed(run.pk)
    events.record("run.finished", actor="worker", obj=run, workspace_id=run.workspace_id, status=run.status,
                  kind=run.kind, connection=str(run.connection_id or ""), succeeded=run.succeeded, failed=run.failed,
                  facts=stats.get("facts", 0))
    return run


def _stalled(item: str) -> dict:
    return {"reason_code": "stalled", "message": "no worker made progress on this for too long", "item": item,
            "remediation": "Check that workers are running and reach the broker (Redis) and the database, then "
                           "run discovery again."}


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
    changed(run.pk)
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


def cancel_run(run: Run, *, actor: str = "", reason: str = "") -> bool:
    """Cancel an active run and every job not over: a queued job's message finds it cancelled and does nothing;
    a running job loses its lease, so its worker stops at its next batch or heartbeat (execute.LeaseLost) and
    reports nothing: cooperative, within a batch or HEARTBEAT_SECONDS, with no task id to revoke."""
    now = timezone.now()
    if not Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(status=RunStatus.CANCELLED,
                                                                             finished_at=now):
        return False
    stopped = Job.objects.filter(run=run, status=RunStatus.RUNNING).update(
        status=RunStatus.CANCELLED, finished_at=now, lease_token="", lease_expires_at=None)
    Job.objects.filter(run=run, status=RunStatus.QUEUED).update(status=RunStatus.CANCELLED, finished_at=now)
    run.refresh_from_db()
    changed(run.pk)
    events.record("run.cancelled", actor=actor or "system", obj=run, workspace_id=run.workspace_id,
                  reason=reason, running_jobs_stopped=stopped)
    return True


def reconcile_stall() -> timedelta:
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    return timedelta(seconds=visibility + RECONCILE_STEPS * (settings.CELERY_TASK_TIME_LIMIT or 600))


@dataclass
class Watch:
    """What one watchdog pass decided; the task sends the messages (this module knows nothing of Celery)."""

    requeued: list = field(default_factory=list)   # (workspace_id, run_id, job_id): send discovery.run_job again
    hand_over: list = field(default_factory=list)  # reconcile runs to hand to catalog now
    dead_lettered: int = 0
    finished: int = 0


def watch(broker_started_at=None) -> Watch:
    """One pass of the watchdog over every active run of this schema. ``broker_started_at``: when the broker
    last started (portal.queues.broker_started_at); messages sent before it were lost with its queues."""
    found = Watch()
    for run in Run.objects.filter(status__in=ACTIVE_STATUSES, kind=Run.Kind.SCAN):
        expire_leases(run, found)
        resend_orphans(run, found)
        if broker_started_at is not None:
            resend_lost(run, found, broker_started_at)
        if settle_run(run) or reap_if_stale(run):
            found.finished += 1
    for run in Run.objects.filter(status__in=ACTIVE_STATUSES, kind=Run.Kind.RECONCILE):
        if hand_over_if_due(run) or (broker_started_at is not None and hand_over_again(run, broker_started_at)):
            found.hand_over.append(run)
        elif reap_reconcile_if_stale(run):
            found.finished += 1
    return found


# Clocks of the broker's and the database's hosts may differ a little: a message sent just after the restart
# is sent again too (the copy steps aside at the claim), never one sent before it left alone.
BROKER_CLOCK_MARGIN = timedelta(seconds=5)


def resend_lost(run: Run, found: Watch, broker_started_at) -> None:
    """Send again, at once, the queued jobs whose message was sent before the broker last started: a broker
    without persistence lost them, and waiting for the run to go quiet (resend_orphans) would take a lease,
    or STALL_AFTER for a run that never started. A queued job's ``lease_expires_at`` is its last send +
    STALL_AFTER (none yet: sent when the run was created), so each restart resends each job once."""
    cutoff = broker_started_at + BROKER_CLOCK_MARGIN
    sent_before = (Q(lease_expires_at__isnull=True) & Q(run__created_at__lt=cutoff)) | Q(
        lease_expires_at__lt=cutoff + STALL_AFTER)
    # Stamped as sent no earlier than the cutoff, so that the next pass finds it sent after the restart.
    resent = ExpressionWrapper(Greatest(Now(), Value(cutoff)) + STALL_AFTER, output_field=DateTimeField())
    for job_id in run.jobs.filter(sent_before, status=RunStatus.QUEUED).values_list("pk", flat=True):
        if Job.objects.filter(sent_before, pk=job_id, status=RunStatus.QUEUED).update(lease_expires_at=resent):
            found.requeued.append((str(run.workspace_id), str(run.pk), str(job_id)))


def hand_over_again(run: Run, broker_started_at) -> bool:
    """A reconcile run handed over before the broker last started and not begun since: its message was lost;
    claim a new hand-over (once: the claim moves ``dispatched_at`` past the restart)."""
    cutoff = broker_started_at + BROKER_CLOCK_MARGIN
    claimed = Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED, dispatched_at__lt=cutoff).update(
        dispatched_at=Greatest(Now(), Value(cutoff)))
    if claimed:
        run.refresh_from_db(fields=["dispatched_at"])
    return bool(claimed)


def expire_leases(run: Run, found: Watch) -> None:
    """Requeue each running job of ``run`` whose lease lapsed (its worker died or hung); dead-letter it once
    it has been claimed MAX_ATTEMPTS times. Conditional on the same lapsed lease, so a heartbeat that lands
    meanwhile wins and two watchdogs never both requeue."""
    lapsed = Q(status=RunStatus.RUNNING) & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=Now()))
    for job in run.jobs.filter(lapsed):
        same_lease = lapsed & Q(lease_token=job.lease_token)
        if job.attempts < MAX_ATTEMPTS:
            if Job.objects.filter(same_lease, pk=job.pk).update(status=RunStatus.QUEUED, lease_token="",
                                                                lease_expires_at=_resend_after()):
                found.requeued.append((str(run.workspace_id), str(run.pk), str(job.pk)))
        elif record_job_outcome(job, status=RunStatus.FAILED, only_if=same_lease, failure={
                "reason_code": DEAD_LETTER, "item": job.key,
                "message": f"the job's worker stopped reporting {job.attempts} times (died, killed or hung)",
                "remediation": "Retry it (API: POST /api/v1/runs/<id>/retry/, admin: Runs -> Retry failed jobs, "
                               "manage.py run_control <tenant> retry <run>); if it dies again, check the workers' memory and logs (.run/log/worker.log)."}):
            found.dead_lettered += 1


def resend_orphans(run: Run, found: Watch) -> None:
    """Send again the queued jobs of a started run that went quiet (no live lease, no heartbeat for LEASE):
    a worker that died may have taken their messages with it (received, not yet claimed; the broker gives
    them back only after its visibility timeout). A duplicate message steps aside at the claim; each job
    is resent at most once per STALL_AFTER (``lease_expires_at`` of a queued job: not again before)."""
    if run.status != RunStatus.RUNNING or run.jobs.filter(status=RunStatus.RUNNING,
                                                          lease_expires_at__gte=Now()).exists():
        return
    quiet = Now() - LEASE
    if run.jobs.filter(heartbeat_at__gte=quiet).exists() or Run.objects.filter(pk=run.pk,
                                                                               started_at__gte=quiet).exists():
        return
    due = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=Now())
    for job_id in run.jobs.filter(due, status=RunStatus.QUEUED).values_list("pk", flat=True):
        if Job.objects.filter(due, pk=job_id, status=RunStatus.QUEUED).update(lease_expires_at=_resend_after()):
            found.requeued.append((str(run.workspace_id), str(run.pk), str(job_id)))


def _resend_after():
    """A queued job's ``lease_expires_at``: its message was just sent; the watchdog sends none before this."""
    return ExpressionWrapper(Now() + STALL_AFTER, output_field=DateTimeField())


def reap_if_stale(run: Run) -> bool:
    """Fail (reason ``stalled``) a scan run nobody is working on: no live lease, no heartbeat and no start for
    STALL_AFTER, by the database's clock. Messages can be lost (a broker restart without persistence, a
    purge); without this a lost run would block its selection forever. True when the run was finished here."""
    if run.jobs.filter(status=RunStatus.RUNNING, lease_expires_at__gte=Now()).exists():
        return False
    recent = Now() - STALL_AFTER
    if run.jobs.filter(heartbeat_at__gte=recent).exists():
        return False
    if Run.objects.filter(pk=run.pk).filter(Q(created_at__gte=recent) | Q(started_at__gte=recent)).exists():
        return False
    return finish_run(run, stalled=True).finished_here


def hand_over_if_due(run: Run) -> bool:
    """Claim the hand-over of a reconcile run whose scans are all over (the chord callback never came: a job's
    worker died, or a header task failed). Runs without a group are handed over by whoever created them."""
    if run.dispatched_at is not None or run.group_id is None:
        return False
    if Run.objects.filter(group_id=run.group_id, kind=Run.Kind.SCAN, status__in=ACTIVE_STATUSES).exists():
        return False
    return claim_hand_over(run)


def claim_hand_over(run: Run) -> bool:
    """Exactly one hand-over per reconcile run, whoever asks first (the chord callback or the watchdog)."""
    claimed = Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES, dispatched_at__isnull=True).update(
        dispatched_at=Now())
    if claimed:
        run.refresh_from_db(fields=["dispatched_at"])
    return bool(claimed)


def reap_reconcile_if_stale(run: Run) -> bool:
    """Fail (``stalled``) a reconcile run handed over (or created) longer ago than reconcile_stall()."""
    if run.group_id and Run.objects.filter(group_id=run.group_id, kind=Run.Kind.SCAN,
                                           status__in=ACTIVE_STATUSES).exists():
        return False  # its scans are still going; they are watched themselves
    since = Coalesce("dispatched_at", "created_at")
    if not Run.objects.filter(pk=run.pk).alias(since=since).filter(since__lt=Now() - reconcile_stall()).exists():
        return False
    before = run.status
    run = finish_reconcile_run(run, status=RunStatus.FAILED, stats=run.stats or {}, failures=[_stalled("reconcile")])
    return before in ACTIVE_STATUSES and run.status == RunStatus.FAILED


def dead_letters():
    """Dead-lettered jobs not retried yet (newest first)."""
    return (Job.objects.filter(status=RunStatus.FAILED, failure__reason_code=DEAD_LETTER)
            .exclude(failure__has_key="retry_run").select_related("run").order_by("-finished_at"))


def failed_not_retried():
    """Failed jobs (dead letters among them) that no later run retried yet."""
    return Job.objects.filter(status=RunStatus.FAILED).exclude(failure__has_key="retry_run").select_related("run")


def retry_selection(run: Run, jobs: list[Job]) -> dict:
    """The selection that scans again what ``jobs`` covered: their accounts, regions and kinds for AWS; the
    run's own selection for GitHub (its jobs are not narrower than the organization)."""
    if run.connection.provider != "aws":
        return {key: value for key, value in run.selection.items() if key == "repos"}
    return {"accounts": sorted({j.account for j in jobs}), "regions": sorted({j.region for j in jobs}),
            "kinds": sorted({j.scanner for j in jobs})}


def mark_retried(jobs: list[Job], retry_run: Run) -> None:
    for job in jobs:
        Job.objects.filter(pk=job.pk).update(failure={**(job.failure or {}), "retry_run": str(retry_run.pk)})
