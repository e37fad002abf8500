import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from discovery import runs
from discovery.models import Run, RunStatus
from discovery.tests.factories import ConnectionFactory


@pytest.fixture
def conn(workspace):
    return ConnectionFactory()


def test_one_job_per_account_region_kind(conn):
    conn.config["regions"] = ["us-east-1", "eu-west-1"]
    conn.save()
    run = runs.create_scan_run(conn)
    keys = set(run.jobs.values_list("key", flat=True))
    assert "aws:111111111111:eu-west-1:ecs" in keys and "aws:111111111111:us-east-1:lambda" in keys
    assert run.total == len(keys) == 16
    assert run.status == RunStatus.QUEUED and run.full_scan


def test_database_refuses_a_second_active_run_for_the_same_selection(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.create(workspace_id=run.workspace_id, connection=conn, selection=run.selection,
                           selection_hash=run.selection_hash)
    with pytest.raises(runs.ActiveRunExists) as exc:
        runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    assert exc.value.run == run
    other = runs.create_scan_run(conn, selection={"kinds": ["lambda"]})  # another selection is fine
    assert other.pk != run.pk


def test_finished_runs_free_the_selection(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    runs.record_job_outcome(run.jobs.get(), status=RunStatus.SUCCEEDED)
    runs.finish_run(run)
    assert runs.create_scan_run(conn, selection={"kinds": ["ecs"]}).pk != run.pk


@pytest.mark.parametrize("outcomes,expected", [
    ([RunStatus.SUCCEEDED, RunStatus.SUCCEEDED], RunStatus.SUCCEEDED),
    ([RunStatus.SUCCEEDED, RunStatus.FAILED], RunStatus.PARTIAL),
    ([RunStatus.FAILED, RunStatus.FAILED], RunStatus.FAILED),
])
def test_status_from_jobs(conn, outcomes, expected):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    runs.mark_started(run)
    for job, status in zip(run.jobs.all(), outcomes):
        failure = {"reason_code": "access_denied", "message": "m", "item": job.key, "remediation": "r"}
        runs.record_job_outcome(job, status=status, failure=failure if status == RunStatus.FAILED else None)
    run = runs.finish_run(run)
    assert run.status == expected
    assert (run.total, run.processed) == (2, 2)
    assert run.succeeded == outcomes.count(RunStatus.SUCCEEDED) and run.failed == outcomes.count(RunStatus.FAILED)
    assert len(run.failures) == run.failed and all(f["reason_code"] == "access_denied" for f in run.failures)
    actions = list(AuditEvent.objects.filter(object_id=str(run.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["run.finished", "run.queued", "run.started"]


def test_lost_job_fails_at_finish(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    run = runs.finish_run(run)
    assert run.status == RunStatus.FAILED and run.failures[0]["reason_code"] == "job_lost"


def test_cancel(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    assert runs.cancel_run(run, actor="op")
    assert run.status == RunStatus.CANCELLED and not runs.cancel_run(run)


def test_audit_events_are_append_only(conn):
    runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    event = AuditEvent.objects.first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "run.queued"


def test_watchdog_finishes_runs_whose_messages_were_lost(conn):
    from datetime import timedelta

    from django.utils import timezone

    fresh = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    assert not runs.reap_if_stale(fresh)  # just queued: leave it alone
    Run.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    fresh.refresh_from_db()
    assert runs.reap_if_stale(fresh)
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.FAILED and fresh.failures[0]["reason_code"] == "stalled"
    # A stale active run no longer blocks a new run of the same selection.
    stuck = runs.create_scan_run(conn, selection={"kinds": ["lambda"]})
    Run.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    assert runs.create_scan_run(conn, selection={"kinds": ["lambda"]}).pk != stuck.pk


def test_watchdog_leaves_jobs_with_a_live_lease(conn):
    from datetime import timedelta

    from django.utils import timezone

    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    runs.mark_started(run)
    run.jobs.update(status=RunStatus.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=4))
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    run.refresh_from_db()
    assert not runs.reap_if_stale(run)
    run.jobs.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert not runs.reap_if_stale(run)  # a lapsed lease is requeued by the watchdog (test_leases), not failed
    assert runs.watch().requeued
