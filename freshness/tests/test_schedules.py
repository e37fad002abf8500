"""Schedules: due reads start once, catch up once, wait for an active run, follow edits at once."""
from datetime import timedelta

import pytest
from django.utils import timezone

from discovery.choices import ScanMode
from discovery.models import Run
from discovery.tests.factories import ConnectionFactory, GithubConnectionFactory
from freshness import schedules
from freshness.models import Schedule


@pytest.fixture
def connection(workspace):
    return GithubConnectionFactory(workspace=workspace)


def scheduled(connection, **times) -> Schedule:
    schedules.ensure_schedules()
    schedule = Schedule.objects.get(connection=connection)
    for key, value in times.items():
        setattr(schedule, key, value)
    schedule.save()
    return schedule


def scan_runs(connection):
    return list(Run.objects.filter(connection=connection, kind=Run.Kind.SCAN))


def test_a_new_connection_gets_the_default_schedule_first_due_an_interval_later(connection):
    now = timezone.now()
    schedules.ensure_schedules(now)
    schedule = Schedule.objects.get(connection=connection)
    assert (schedule.incremental_every_hours, schedule.full_every_hours, schedule.paused) == (6, 24, False)
    assert now + timedelta(hours=6) <= schedule.next_incremental_at <= now + timedelta(hours=6, minutes=36)
    assert now + timedelta(hours=24) <= schedule.next_full_at <= now + timedelta(hours=24, minutes=30)
    assert schedules.run_due(now)["started"] == []


def test_a_due_incremental_read_starts_one_incremental_run(connection):
    now = timezone.now()
    scheduled(connection, next_incremental_at=now - timedelta(minutes=1))
    result = schedules.run_due(now)
    [run] = scan_runs(connection)
    assert result["started"] == [str(run.pk)]
    assert (run.trigger, run.scan_mode, run.full_scan) == ("schedule", ScanMode.INCREMENTAL, True)
    assert Run.objects.filter(kind=Run.Kind.RECONCILE, group_id=run.group_id).count() == 1
    schedule = Schedule.objects.get(connection=connection)
    assert schedule.last_run == run and schedule.next_incremental_at > now + timedelta(hours=6) - timedelta(seconds=1)


def test_a_due_full_read_wins_over_an_incremental_one_and_counts_as_both(connection):
    now = timezone.now()
    scheduled(connection, next_incremental_at=now - timedelta(hours=1), next_full_at=now - timedelta(minutes=5))
    schedules.run_due(now)
    [run] = scan_runs(connection)
    assert run.scan_mode == ScanMode.FULL
    schedule = Schedule.objects.get(connection=connection)
    assert schedule.last_full_at == schedule.last_incremental_at == now
    assert schedule.next_incremental_at > now + timedelta(hours=5)


def test_a_beat_that_was_down_for_a_day_runs_one_catch_up_not_twenty_four(connection):
    now = timezone.now()
    day_ago = now - timedelta(days=1)
    scheduled(connection, incremental_every_hours=1, last_incremental_at=day_ago - timedelta(hours=1),
              next_incremental_at=day_ago, next_full_at=now + timedelta(hours=3))
    for minute in range(5):  # five ticks in a row, a minute apart
        schedules.run_due(now + timedelta(minutes=minute))
    assert len(scan_runs(connection)) == 1


def test_a_paused_schedule_or_a_disabled_connection_starts_nothing(workspace, connection):
    now = timezone.now()
    scheduled(connection, paused=True, next_incremental_at=now - timedelta(minutes=1))
    other = ConnectionFactory(workspace=workspace, enabled=False)
    scheduled(other, next_full_at=now - timedelta(minutes=1))
    assert schedules.run_due(now) == {"started": [], "skipped": 0}
    assert scan_runs(connection) == scan_runs(other) == []


def test_a_read_of_a_selection_already_active_is_put_off_not_doubled(workspace, connection):
    from discovery import workflow

    active = workflow.discover_workspace(workspace, connection_ids=[connection.pk], trigger="test")["runs"][0]
    now = timezone.now()
    scheduled(connection, next_incremental_at=now - timedelta(minutes=1))
    assert schedules.run_due(now) == {"started": [], "skipped": 1}
    assert scan_runs(connection) == [active]
    schedule = Schedule.objects.get(connection=connection)
    assert str(active.pk) in schedule.last_outcome
    assert schedule.next_incremental_at == now + schedules.RETRY_WHEN_BUSY
    assert schedule.last_incremental_at != now  # put off, not counted as done


def test_due_connections_of_one_workspace_share_one_reconcile(workspace, connection):
    now = timezone.now()
    other = ConnectionFactory(workspace=workspace)
    scheduled(connection, next_incremental_at=now - timedelta(minutes=1))
    scheduled(other, next_incremental_at=now - timedelta(minutes=2))
    schedules.run_due(now)
    groups = set(Run.objects.filter(kind=Run.Kind.SCAN).values_list("group_id", flat=True))
    assert len(groups) == 1
    assert Run.objects.filter(kind=Run.Kind.RECONCILE).count() == 1


def test_jitter_stays_within_a_tenth_of_the_interval_and_half_an_hour():
    import random

    rng = random.Random(7)
    draws = [schedules.jitter(6, rng) for _ in range(200)] + [schedules.jitter(24, rng) for _ in range(200)]
    assert all(timedelta(0) <= d <= timedelta(minutes=30) for d in draws)
    assert max(schedules.jitter(1, rng) for _ in range(200)) <= timedelta(minutes=6)
    assert len({d.total_seconds() for d in draws}) > 300  # not all at once


def test_an_edit_through_the_api_takes_effect_at_the_next_tick(api, connection):
    admin = api("admin")
    [row] = admin.get("/api/v1/schedules/").json()["results"]
    assert row["connection"] == str(connection.pk) and row["incremental_every_hours"] == 6
    schedule = Schedule.objects.get(pk=row["id"])
    schedule.last_incremental_at = timezone.now() - timedelta(hours=2)
    schedule.save()
    answer = admin.patch(f"/api/v1/schedules/{row['id']}/", {"incremental_every_hours": 1}, format="json")
    assert answer.status_code == 200, answer.content
    assert schedules.run_due()["started"]  # two hours since the last read, now every hour: due at once
    assert scan_runs(connection)[0].scan_mode == ScanMode.INCREMENTAL


@pytest.mark.parametrize("body", [{"incremental_every_hours": 0}, {"incremental_every_hours": 25},
                                  {"full_every_hours": 200}, {"incremental_every_hours": 12, "full_every_hours": 6},
                                  {"incremental_every_hours": "6; DROP TABLE"}])
def test_out_of_range_schedules_are_refused(api, connection, body):
    admin = api("admin")
    [row] = admin.get("/api/v1/schedules/").json()["results"]
    answer = admin.patch(f"/api/v1/schedules/{row['id']}/", body, format="json")
    assert answer.status_code == 400
    assert Schedule.objects.get(pk=row["id"]).incremental_every_hours == 6


def test_editors_see_schedules_but_only_admins_change_or_pause_them(api, connection):
    editor, viewer = api("editor"), api("viewer")
    assert viewer.get("/api/v1/schedules/").status_code == 403
    [row] = editor.get("/api/v1/schedules/").json()["results"]
    assert editor.patch(f"/api/v1/schedules/{row['id']}/", {"paused": True}, format="json").status_code == 403
    assert editor.post(f"/api/v1/schedules/{row['id']}/pause/").status_code == 403
    assert api("admin").post(f"/api/v1/schedules/{row['id']}/pause/").json()["paused"] is True
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="schedule.changed", data__paused=True).exists()


def test_beat_tables_are_not_in_a_tenant_admin():
    from django.contrib import admin
    from django_celery_beat.models import PeriodicTask

    assert not admin.site.is_registered(PeriodicTask)
    assert admin.site.is_registered(Schedule)
