"""Start the scheduled reads that are due in this tenant (``freshness.tick``, every minute, by beat).

Why not django-celery-beat's database scheduler: its tables live in the public schema, shared by every
tenant, so a tenant's schedules would sit where another tenant's admin could reach them, and beat would have to
be restarted or re-synced as tenants come and go. Here a tenant's schedules are rows of its own schema, beat
has one static entry fanned out to every tenant (tenant-schemas-celery), and each tick reads the rows afresh.

A due schedule starts one run of its connection's whole selection (full when the full read is due, else
incremental). The next times move on from *now*, with jitter, so a beat that was down for a day runs one
catch-up, and tenants created together do not all start together. A run already active for the selection is
not doubled: the schedule waits for its next time.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from discovery import workflow
from discovery.choices import ScanMode
from discovery.models import Connection
from freshness.models import Schedule

JITTER_SHARE = 0.1            # up to a tenth of the interval...
JITTER_CAP = timedelta(minutes=30)  # ...and never more than half an hour
RETRY_WHEN_BUSY = timedelta(minutes=15)


def jitter(hours: int, rng: random.Random | None = None) -> timedelta:
    span = min(timedelta(hours=hours) * JITTER_SHARE, JITTER_CAP)
    return timedelta(seconds=(rng or random).uniform(0, span.total_seconds()))


def plan_next(schedule: Schedule, now: datetime, *, ran: str | None = None) -> None:
    """Set the next times: after a run of mode ``ran`` from now; otherwise from the last read (a schedule
    that was edited or has just been created), never in the past by more than a tick."""
    inc, full = timedelta(hours=schedule.incremental_every_hours), timedelta(hours=schedule.full_every_hours)
    if ran == ScanMode.FULL:
        schedule.last_full_at = schedule.last_incremental_at = now  # a full read is an incremental one too
    elif ran == ScanMode.INCREMENTAL:
        schedule.last_incremental_at = now
    schedule.next_incremental_at = _next(schedule.last_incremental_at or now, inc, now)
    schedule.next_full_at = _next(schedule.last_full_at or now, full, now)


def _next(last: datetime, every: timedelta, now: datetime) -> datetime:
    due = last + every
    # Overdue (an interval was shortened): the next tick. Otherwise on time, give or take the jitter.
    return now if due <= now else due + jitter(int(every.total_seconds() // 3600))


def due_mode(schedule: Schedule, now: datetime) -> str | None:
    if schedule.paused or not schedule.connection.enabled:
        return None
    if schedule.next_full_at and schedule.next_full_at <= now:
        return ScanMode.FULL
    if schedule.next_incremental_at and schedule.next_incremental_at <= now:
        return ScanMode.INCREMENTAL
    return None


def ensure_schedules(now: datetime | None = None) -> int:
    """Every connection has a schedule (defaults: incremental every 6 h, full every 24 h), first due one
    interval after it appears: a new connection is discovered when it is added, not again a minute later."""
    now = now or timezone.now()
    missing = Connection.objects.filter(schedule__isnull=True)
    made = []
    for connection in missing:
        schedule = Schedule(connection=connection, last_incremental_at=now, last_full_at=now)
        plan_next(schedule, now)
        made.append(schedule)
    Schedule.objects.bulk_create(made, ignore_conflicts=True)
    return len(made)


def run_due(now: datetime | None = None) -> dict:
    """Start what is due; returns {"started": [run ids], "skipped": n}. Safe to call from two workers at once:
    due rows are locked and skipped by the other (SKIP LOCKED)."""
    now = now or timezone.now()
    ensure_schedules(now)
    started, skipped = [], 0
    with transaction.atomic():
        due = list(Schedule.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("connection", "connection__workspace")
                   .filter(paused=False, connection__enabled=True)
                   .exclude(next_incremental_at__gt=now, next_full_at__gt=now))
        by_trigger: dict[tuple, list[Schedule]] = defaultdict(list)
        for schedule in due:
            mode = due_mode(schedule, now)
            if mode:
                by_trigger[(schedule.connection.workspace_id, mode)].append(schedule)
        # One discovery per (workspace, mode): its connections' scans share one reconcile.
        for (_, mode), schedules in by_trigger.items():
            workspace = schedules[0].connection.workspace
            result = workflow.discover_workspace(workspace, connection_ids=[s.connection_id for s in schedules],
                                                 trigger="schedule", requested_by="schedule", scan_mode=mode)
            runs = {r.connection_id: r for r in result["runs"]}
            active = {r.connection_id: r for r in result["already_active"]}
            for schedule in schedules:
                run = runs.get(schedule.connection_id)
                if run is not None:
                    started.append(str(run.pk))
                    schedule.last_run, schedule.last_outcome = run, f"started {_a(mode)} read"
                else:
                    skipped += 1
                    busy = active.get(schedule.connection_id)
                    schedule.last_outcome = (f"put off {_a(mode)} read: run {busy.pk} was active" if busy
                                             else f"put off {_a(mode)} read")
                    # Not done, only put off: try again once the active read has had time to finish.
                    setattr(schedule, f"next_{mode}_at", now + RETRY_WHEN_BUSY)
                    schedule.save()
                    continue
                plan_next(schedule, now, ran=mode)
                schedule.save()
    return {"started": started, "skipped": skipped}


def _a(mode: str) -> str:
    return f"an {mode}" if mode[0] in "aeiou" else f"a {mode}"


def reschedule(schedule: Schedule, now: datetime | None = None) -> None:
    """After an edit (intervals, pause): the next times follow the new intervals at once."""
    plan_next(schedule, now or timezone.now())
