"""Run control: cancel (running jobs too), retry failed jobs, backfill, high priority; from the API, the admin's
workflow and manage.py, each an audit event with who and why; and priorities that mean what they say on the
real Redis broker."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.testing import user_with_token
from audit.models import AuditEvent
from discovery import execute, runs, scanning, workflow
from discovery.choices import RunPriority, ScanMode
from discovery.models import Job, Run, RunStatus
from discovery.tests.factories import ConnectionFactory
from discovery.tests.conftest import take_in_order
from portal import queues


@pytest.fixture
def conn(workspace):
    return ConnectionFactory()


def client(role: str) -> APIClient:
    api = APIClient(HTTP_HOST="alpha.localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {user_with_token(f'ctl-{role}', role)[1]}")
    return api


def audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("created_at"))


# --- cancel ------------------------------------------------------------------------------------------------


class CancelledMidway:
    """A scanner whose first batch is followed by the run's cancellation (a person pressing Cancel)."""

    def __init__(self, run):
        self.run, self.batches_read = run, 0

    def batches(self):
        from discovery.facts import Batch

        for n in range(3):
            self.batches_read += 1
            yield Batch(facts=[], links=[], api_calls=1)
            if n == 0:
                assert runs.cancel_run(self.run, actor="someone", reason="wrong account")

    def stats(self):
        return {}

    def learned(self):
        return {}


def test_cancel_stops_a_running_job_at_its_next_batch(conn, monkeypatch):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    scanner = CancelledMidway(run)
    monkeypatch.setattr(scanning, "scanner_for", lambda *a, **k: scanner)
    job = execute.execute_job(run.jobs.get())
    assert scanner.batches_read == 2  # the batch after the cancel was the last one read
    job.refresh_from_db()
    run.refresh_from_db()
    assert (run.status, job.status, job.lease_token, job.failure) == (RunStatus.CANCELLED, RunStatus.CANCELLED, "",
                                                                       None)
    (event,) = audit("run.cancelled")
    assert (event.actor, event.data["reason"], event.data["running_jobs_stopped"]) == (
        "someone", "wrong account", 1)


def test_cancel_through_the_api_takes_a_reason_and_editors_only(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    assert client("viewer").post(f"/api/v1/runs/{run.pk}/cancel/", {"reason": "no"}).status_code == 403
    long = client("editor").post(f"/api/v1/runs/{run.pk}/cancel/", {"reason": "x" * 501}, format="json")
    assert long.status_code == 400 and "reason" in long.json()
    done = client("editor").post(f"/api/v1/runs/{run.pk}/cancel/", {"reason": "the account is retired"},
                                 format="json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert set(run.jobs.values_list("status", flat=True)) == {RunStatus.CANCELLED}
    assert [(e.actor, e.data["reason"]) for e in audit("run.cancelled")] == [("ctl-editor",
                                                                                 "the account is retired")]
    assert client("editor").post(f"/api/v1/runs/{run.pk}/cancel/").status_code == 409  # over already


# --- retry -------------------------------------------------------------------------------------------------


def fail(job, reason_code="throttled"):
    runs.claim_job(job, "t" * 32)
    runs.record_job_outcome(job, status=RunStatus.FAILED, token="t" * 32,
                            failure={"reason_code": reason_code, "item": job.key, "message": "m"})


def test_retry_scans_again_what_failed_jobs_covered_once(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda", "sqs"]})
    ecs, lam, sqs = run.jobs.order_by("key")
    fail(ecs)
    fail(sqs, "access_denied")
    runs.claim_job(lam, "l" * 32)
    runs.record_job_outcome(lam, status=RunStatus.SUCCEEDED, token="l" * 32)
    assert client("viewer").post(f"/api/v1/runs/{run.pk}/retry/").status_code == 403
    retried = client("editor").post(f"/api/v1/runs/{run.pk}/retry/", {"reason": "permissions fixed"},
                                    format="json")
    assert retried.status_code == 202, retried.content
    (new_run,) = retried.json()["runs"]
    assert new_run["selection"]["kinds"] == sorted([ecs.scanner, sqs.scanner])
    (event,) = audit("run.retried")
    assert (event.actor, event.data["reason"], event.data["jobs"], event.data["retry_run"]) == (
        "ctl-editor", "permissions fixed", 2, new_run["id"])
    again = client("editor").post(f"/api/v1/runs/{run.pk}/retry/")
    assert again.status_code == 409 and "no failed jobs" in again.json()["detail"]


# --- backfill and priority ---------------------------------------------------------------------------------


def test_backfill_reads_the_selection_in_full_and_is_audited(conn):
    api = client("editor")
    assert client("viewer").post(f"/api/v1/connections/{conn.pk}/backfill/", {}).status_code == 403
    answer = api.post(f"/api/v1/connections/{conn.pk}/backfill/",
                      {"kinds": ["ecs"], "reason": "after the outage", "mode": "incremental"}, format="json")
    assert answer.status_code == 202, answer.content
    (queued,) = answer.json()["runs"]
    assert (queued["scan_mode"], queued["priority"], queued["selection"]["kinds"]) == (ScanMode.FULL, "normal",
                                                                                        ["ecs"])
    (event,) = audit("connection.backfill")
    assert (event.actor, event.data["reason"], event.data["runs"]) == ("ctl-editor", "after the outage",
                                                                             [queued["id"]])
    (queued_event,) = [e for e in audit("run.queued") if e.object_id == queued["id"]]
    assert queued_event.data["reason"] == "after the outage"


def test_one_high_priority_discovery_at_a_time(conn):
    api = client("editor")
    first = api.post(f"/api/v1/connections/{conn.pk}/discover/", {"priority": "high", "kinds": ["ecs"]},
                     format="json")
    assert first.status_code == 202 and first.json()["runs"][0]["priority"] == "high"
    assert first.json()["reconcile_run"]["priority"] == "high"
    busy = api.post(f"/api/v1/connections/{conn.pk}/backfill/", {"priority": "high", "kinds": ["lambda"]},
                    format="json")
    assert busy.status_code == 409 and "high priority" in busy.json()["detail"]
    normal = api.post(f"/api/v1/connections/{conn.pk}/discover/", {"kinds": ["lambda"]}, format="json")
    assert normal.status_code == 202  # normal runs are never held back by it
    assert api.post(f"/api/v1/connections/{conn.pk}/discover/", {"priority": "urgent"},
                    format="json").status_code == 400


def test_messages_carry_their_runs_priority(conn):
    high = runs.create_scan_run(conn, selection={"kinds": ["ecs"]}, priority=RunPriority.HIGH)
    normal = runs.create_scan_run(conn, selection={"kinds": ["lambda", "sqs"]})
    signatures = workflow.job_signatures("alpha", conn.workspace_id, [high, normal])
    assert [s.options["priority"] for s in signatures] == [queues.MESSAGE_PRIORITY["high"]] + [
        queues.MESSAGE_PRIORITY["normal"]] * 2
    assert all(s.task == "discovery.run_job" for s in signatures)


def test_a_high_priority_job_is_taken_before_a_waiting_pile_on_the_real_broker(broker):
    """What the numbers in portal.queues mean with kombu's Redis transport: a worker consuming every shard
    takes the high job first, whichever shard each tenant hashes to."""
    app, declared = broker
    for n in range(20):
        app.send_task("discovery.run_job", args=[f"tenant_{n % 3}", "ws", "run", f"normal-{n}"],
                      priority=queues.MESSAGE_PRIORITY["normal"])
    app.send_task("discovery.run_job", args=["tenant_other", "ws", "run", "urgent"],
                  priority=queues.MESSAGE_PRIORITY["high"])
    order = take_in_order(app, declared, 21)
    assert "urgent" in order[0], order[:3]


# --- manage.py ---------------------------------------------------------------------------------------------


def test_run_control_command_cancels_retries_and_backfills_with_a_reason(conn, tenant_alpha):
    run = runs.create_scan_run(conn, selection={"kinds": ["ecs", "lambda"]})
    with pytest.raises(CommandError, match="--reason must say why"):
        call_command("run_control", tenant_alpha.name, "cancel", str(run.pk), "--reason", "  ")
    with pytest.raises(CommandError, match="unknown run"):
        call_command("run_control", tenant_alpha.name, "cancel", "not-a-uuid", "--reason", "r")
    call_command("run_control", tenant_alpha.name, "cancel", str(run.pk), "--reason", "duplicate",
                 "--actor", "ops-anna", stdout=StringIO())
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert [(e.actor, e.data["reason"]) for e in audit("run.cancelled")] == [("ops-anna", "duplicate")]

    failed_run = runs.create_scan_run(conn, selection={"kinds": ["sqs", "rds"]})
    fail(failed_run.jobs.get(scanner="sqs"))
    out = StringIO()
    call_command("run_control", tenant_alpha.name, "retry", str(failed_run.pk), "--reason", "flaky",
                 "--priority", "high", stdout=out)
    retry_run = Run.objects.filter(kind=Run.Kind.SCAN, priority=RunPriority.HIGH).get()
    assert str(retry_run.pk) in out.getvalue() and retry_run.selection["kinds"] == ["sqs"]
    with pytest.raises(CommandError, match="high priority"):  # the retry above is still active at high priority
        call_command("run_control", tenant_alpha.name, "backfill", str(conn.pk), "--reason", "r",
                     "--priority", "high", "--kind", "ecs")
    call_command("run_control", tenant_alpha.name, "backfill", str(conn.pk), "--reason", "new region",
                 "--kind", "ecs", stdout=StringIO())
    backfilled = Run.objects.filter(kind=Run.Kind.SCAN, trigger="command", selection__kinds=["ecs"]).get()
    assert backfilled.scan_mode == ScanMode.FULL
    assert [e.data["reason"] for e in audit("connection.backfill")] == ["new region"]
    assert Job.objects.filter(run=backfilled).count() == backfilled.total
