"""Leases, heartbeats, the watchdog and dead letters (discovery.runs), against the real database: every lease
decision is the database's clock, so a worker whose clock is off changes nothing."""
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.utils import timezone

from celery.exceptions import Retry

from discovery import runs, tasks, workflow
from discovery.models import Job, Run, RunStatus
from discovery.tests.factories import ConnectionFactory


@pytest.fixture
def conn(workspace):
    return ConnectionFactory()


def db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


def lapse(job):
    Job.objects.filter(pk=job.pk).update(lease_expires_at=Now() - timedelta(seconds=1))


@pytest.fixture
def skewed_clock():
    """This process's clock two hours off (either way); the database's stays right."""
    def skew(hours):
        return mock.patch("django.utils.timezone.now", lambda: datetime.now(UTC) + timedelta(hours=hours))
    return skew


def test_claim_heartbeat_and_outcome_follow_the_lease(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    job = run.jobs.get()
    assert runs.claim_job(job, "a" * 32)
    assert (job.status, job.attempts, job.lease_token) == (RunStatus.RUNNING, 1, "a" * 32)
    assert abs((job.lease_expires_at - db_now()) - runs.LEASE) < timedelta(seconds=5)
    assert not runs.claim_job(job, "b" * 32)  # a live lease: the second worker steps aside
    assert runs.renew_lease(job.pk, "a" * 32) and not runs.renew_lease(job.pk, "b" * 32)
    assert not runs.record_job_outcome(job, status=RunStatus.SUCCEEDED, token="b" * 32)
    assert runs.record_job_outcome(job, status=RunStatus.SUCCEEDED, token="a" * 32)
    job.refresh_from_db()
    assert (job.status, job.lease_token, job.lease_expires_at) == (RunStatus.SUCCEEDED, "", None)
    assert not runs.claim_job(job, "b" * 32)  # over: a late redelivery does nothing


@pytest.mark.parametrize("hours", [2, -2])
def test_a_skewed_clock_keeps_its_lease_and_cannot_take_another(conn, skewed_clock, hours):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    mine, theirs = run.jobs.order_by("key")
    assert runs.claim_job(theirs, "t" * 32)  # a worker with a right clock
    with skewed_clock(hours):
        assert abs(timezone.now() - db_now()) > timedelta(hours=1)
        assert runs.claim_job(mine, "m" * 32)
        mine.refresh_from_db()
        # The lease is the database's now() + LEASE, not the skewed clock's.
        assert abs((mine.lease_expires_at - db_now()) - runs.LEASE) < timedelta(seconds=5)
        assert runs.renew_lease(mine.pk, "m" * 32)
        assert not runs.claim_job(theirs, "m" * 32)  # another's live lease, however late this clock thinks it is
        found = runs.watch()  # a watchdog with this clock requeues nothing either
        assert found.requeued == [] and found.dead_lettered == 0
    theirs.refresh_from_db()
    assert (theirs.status, theirs.lease_token) == (RunStatus.RUNNING, "t" * 32)
    lapse(theirs)
    with skewed_clock(-hours):  # a lapsed lease is lapsed whatever this clock says
        assert runs.claim_job(theirs, "m" * 32)


def test_watchdog_requeues_a_lapsed_lease_then_dead_letters_it(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    job = run.jobs.get()
    for attempt in range(1, runs.MAX_ATTEMPTS + 1):
        assert runs.claim_job(job, f"{attempt:032d}")
        assert job.attempts == attempt
        lapse(job)
        found = runs.watch()
        job.refresh_from_db()
        if attempt < runs.MAX_ATTEMPTS:
            assert found.requeued == [(str(run.workspace_id), str(run.pk), str(job.pk))]
            assert (job.status, job.lease_token) == (RunStatus.QUEUED, "")
            assert not runs.record_job_outcome(job, status=RunStatus.SUCCEEDED, token=f"{attempt:032d}")
    assert found.dead_lettered == 1 and found.finished == 1
    assert job.status == RunStatus.FAILED and job.failure["reason_code"] == runs.DEAD_LETTER
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.failures[0]["reason_code"] == runs.DEAD_LETTER
    assert list(runs.dead_letters()) == [job]
    assert runs.watch().finished == 0  # once


def test_a_redelivered_job_steps_aside_while_another_holds_its_lease(conn):
    from discovery import execute

    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    job = run.jobs.get()
    assert runs.claim_job(job, "a" * 32)
    with mock.patch("discovery.scanning.scanner_for", side_effect=AssertionError("scanned twice")):
        assert execute.execute_job(Job.objects.select_related("run").get(pk=job.pk)) == execute.STEPPED_ASIDE
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_token) == (RunStatus.RUNNING, 1, "a" * 32)


def test_watchdog_finishes_a_run_the_chord_will_not(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]}, group_id=None)
    runs.record_job_outcome(run.jobs.get(), status=RunStatus.SUCCEEDED)
    assert runs.watch().finished == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


def test_watchdog_hands_over_a_reconcile_run_whose_chord_header_failed(conn, workspace):
    """A header task raised (a database error): no callback. Once the scans are over, the watchdog
    finishes them and hands the reconcile run over, exactly once; it does not stay queued."""
    result = workflow.discover_workspace(workspace, trigger="test")  # dispatch waits for a commit: never here
    scan, reconcile = result["runs"][0], result["reconcile_run"]
    for job in scan.jobs.all():
        runs.record_job_outcome(job, status=RunStatus.SUCCEEDED)
    with mock.patch("discovery.tasks.signature") as sig:
        assert tasks.watchdog() == {"requeued": 0, "dead_lettered": 0, "finished": 1, "handed_over": 1}
        assert tasks.watchdog()["handed_over"] == 0
        # the chord callback, arriving late after all, hands nothing over a second time
        tasks.finish_runs(connection.schema_name, str(workspace.pk), [str(scan.pk)], str(reconcile.pk))
    sig.assert_called_once()
    assert sig.call_args.args[0] == tasks.RECONCILE_TASK
    assert sig.call_args.kwargs["args"] == [connection.schema_name, str(workspace.pk), str(reconcile.pk)]
    scan.refresh_from_db()
    reconcile.refresh_from_db()
    assert scan.status == RunStatus.SUCCEEDED and reconcile.dispatched_at is not None


def test_a_reconcile_run_nobody_works_on_fails_as_stalled(conn, workspace):
    reconcile = runs.create_reconcile_run(workspace.pk, trigger="test")
    assert runs.watch().finished == 0
    Run.objects.filter(pk=reconcile.pk).update(created_at=timezone.now() - runs.reconcile_stall()
                                               - timedelta(minutes=1))
    assert runs.watch().finished == 1
    reconcile.refresh_from_db()
    assert reconcile.status == RunStatus.FAILED and reconcile.failures[0]["reason_code"] == "stalled"


def test_a_scan_run_with_no_progress_fails_as_stalled(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    done, lost = run.jobs.order_by("key")
    runs.mark_started(run)
    runs.record_job_outcome(done, status=RunStatus.SUCCEEDED)
    assert runs.watch().finished == 0  # recent progress
    old = timezone.now() - runs.STALL_AFTER - timedelta(minutes=1)
    Job.objects.filter(run=run).update(heartbeat_at=old)
    Run.objects.filter(pk=run.pk).update(created_at=old, started_at=old)
    assert runs.watch().finished == 1
    run.refresh_from_db()
    lost.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.failures[0]["reason_code"] == "stalled"
    assert lost.failure["reason_code"] == "stalled"


def test_dead_letters_are_listed_and_retried_by_editors(conn, tenant_alpha):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from accounts.testing import token_for

    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    ecs, _ = run.jobs.order_by("key")
    Job.objects.filter(pk=ecs.pk).update(attempts=runs.MAX_ATTEMPTS, status=RunStatus.RUNNING)
    lapse(ecs)
    assert runs.watch().dead_lettered == 1
    clients = {}
    for role in ("viewer", "editor"):
        user = get_user_model().objects.create_user(f"dl-{role}")
        clients[role] = APIClient(HTTP_HOST="alpha.localhost")
        clients[role].credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, role)}")
    listed = clients["viewer"].get("/api/v1/runs/dead-letters/")
    assert listed.status_code == 200, listed.content
    assert [(j["id"], j["run"]) for j in listed.json()["results"]] == [(str(ecs.pk), str(run.pk))]
    assert clients["viewer"].post(f"/api/v1/runs/{run.pk}/retry/").status_code == 403
    with mock.patch("discovery.workflow.dispatch"):
        retried = clients["editor"].post(f"/api/v1/runs/{run.pk}/retry/")
    assert retried.status_code == 202, retried.content
    (new_run,) = retried.json()["runs"]
    assert new_run["selection"]["kinds"] == ["ecs"]
    assert clients["viewer"].get("/api/v1/runs/dead-letters/").json()["results"] == []
    assert clients["editor"].post(f"/api/v1/runs/{run.pk}/retry/").status_code == 409


def test_queued_jobs_of_a_run_gone_quiet_are_sent_again_once(conn):
    """A worker killed with messages it had received but not claimed yet: the broker returns them only after
    its visibility timeout, so the watchdog sends them again (a duplicate steps aside at the claim)."""
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    runs.mark_started(run)
    assert runs.watch().requeued == []  # just started
    old = timezone.now() - runs.LEASE - timedelta(seconds=5)
    Run.objects.filter(pk=run.pk).update(started_at=old)
    ecs, lam = run.jobs.order_by("key")
    assert runs.claim_job(ecs, "e" * 32)
    assert runs.watch().requeued == []  # a live lease: the run is making progress
    Job.objects.filter(pk=ecs.pk).update(heartbeat_at=old)
    lapse(ecs)
    found = runs.watch()
    assert sorted(found.requeued) == sorted([(str(run.workspace_id), str(run.pk), str(ecs.pk)),
                                             (str(run.workspace_id), str(run.pk), str(lam.pk))])
    assert runs.watch().requeued == []  # each sent once: not again before STALL_AFTER
    assert runs.claim_job(lam, "l" * 32)


def test_a_tenant_at_its_cap_of_running_jobs_waits_in_its_queue(workspace, settings):
    from django.db import connection as db

    from discovery import execute
    from discovery.tasks import run_job

    run = runs.create_scan_run(ConnectionFactory(workspace=workspace), selection={"kinds": ["ecs", "sqs"]})
    busy, waiting = run.jobs.order_by("key")
    assert runs.claim_job(busy, "holder")
    settings.ROSTER_TENANT_MAX_RUNNING_JOBS = 0
    assert not execute.over_tenant_cap(waiting)  # no cap
    settings.ROSTER_TENANT_MAX_RUNNING_JOBS = 2
    assert not execute.over_tenant_cap(waiting)
    settings.ROSTER_TENANT_MAX_RUNNING_JOBS = 1
    assert execute.over_tenant_cap(waiting)
    with mock.patch.object(run_job, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        run_job.run(db.schema_name, str(workspace.pk), str(run.pk), str(waiting.pk))
    retry.assert_called_once_with(countdown=tasks.CAPPED_RETRY_SECONDS)  # sent again later; nothing ran
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == ("queued", 0)
    Job.objects.filter(pk=busy.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert not execute.over_tenant_cap(waiting)  # a lapsed lease holds no slot


def test_messages_sent_before_the_broker_restarted_are_sent_again_once(conn):
    """A broker without persistence restarted: a run that never started (its messages were all queued) and a
    reconcile run handed over but not begun are sent again at the next watchdog pass, once per restart."""
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    reconcile = runs.create_reconcile_run(run.workspace_id, trigger="test", group_id=run.group_id)
    Run.objects.filter(pk=reconcile.pk).update(dispatched_at=Now() - timedelta(seconds=30))
    assert runs.watch(broker_started_at=timezone.now() - timedelta(hours=1)).requeued == []  # sent after it
    restarted = db_now() + timedelta(seconds=1)
    found = runs.watch(broker_started_at=restarted)
    assert sorted(job_id for _, _, job_id in found.requeued) == sorted(str(j) for j in run.jobs.values_list("pk", flat=True))
    assert [r.pk for r in found.hand_over] == [reconcile.pk]
    again = runs.watch(broker_started_at=restarted)
    assert again.requeued == [] and again.hand_over == []  # once per restart
    Run.objects.filter(pk=reconcile.pk).update(status=RunStatus.RUNNING, dispatched_at=Now() - timedelta(hours=1))
    assert runs.watch(broker_started_at=db_now()).hand_over == []  # begun: its worker has it


def test_the_broker_start_is_read_from_redis_itself(settings):
    from portal import queues

    started = queues.broker_started_at(settings.CELERY_BROKER_URL)
    assert started is not None and started <= timezone.now() + timedelta(seconds=5)
    assert queues.broker_started_at("redis://127.0.0.1:1/0") is None  # no answer: no guess
    assert queues.broker_started_at("amqp://guest@localhost//") is None
