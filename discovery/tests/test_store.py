import pytest

from discovery import facts as k
from discovery import runs, store
from discovery.facts import Batch, FactRecord, LinkRecord
from discovery.models import Fact, FactLink, Job, RunStatus
from discovery.tests.factories import ConnectionFactory

ARN = "arn:aws:lambda:us-east-1:111111111111:function:payment-webhook"


def _batch(name="payment-webhook", extra=None):
    attrs = {"runtime": "python3.12", "handler": "app.handler", **(extra or {})}
    return Batch(
        facts=[FactRecord(kind=k.LAMBDA_FUNCTION, external_id=ARN, name=name, account="111111111111",
                          region="us-east-1", attributes=attrs, tags={"team": "payments"},
                          operation="lambda:ListFunctions")],
        links=[LinkRecord(k.SQS_QUEUE, "arn:aws:sqs:us-east-1:111111111111:q", k.TRIGGERS, k.LAMBDA_FUNCTION, ARN)],
    )


def _finish(run, status=RunStatus.SUCCEEDED):
    for job in run.jobs.all():
        runs.record_job_outcome(job, status=status)
    return runs.finish_run(run)


@pytest.fixture
def conn(workspace):
    return ConnectionFactory()


def test_upsert_is_idempotent_and_keeps_first_seen(conn):
    run1 = runs.create_scan_run(conn, selection={"kinds": ["lambda"]})
    job1 = run1.jobs.get()
    store.persist_batch(run1, job1, _batch())
    first = Fact.objects.get()
    _finish(run1)
    run2 = runs.create_scan_run(conn, selection={"kinds": ["lambda"]})
    store.persist_batch(run2, run2.jobs.get(), _batch(name="payment-webhook"))
    assert Fact.objects.count() == 1 and FactLink.objects.count() == 1
    again = Fact.objects.get()
    assert again.first_seen == first.first_seen
    assert again.last_seen > first.last_seen
    assert again.last_seen_run_id == run2.id
    assert again.provenance["run"] == str(run2.id) and again.provenance["operation"] == "lambda:ListFunctions"
    assert set(again.provenance) == {"connection", "run", "job", "operation", "account", "region", "observed_at"}


def test_unknown_attributes_are_dropped_not_an_error(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["lambda"]})
    store.persist_batch(run, run.jobs.get(), _batch(extra={"Environment": {"SECRET": "x"}, "CodeSha256": "abc"}))
    assert Fact.objects.get().attributes == {"runtime": "python3.12", "handler": "app.handler"}


def test_missing_is_derived_against_latest_completed_run_of_same_selection(conn):
    sel = {"kinds": ["lambda"]}
    run1 = runs.create_scan_run(conn, selection=sel)
    store.persist_batch(run1, run1.jobs.get(), _batch())
    _finish(run1)
    run2 = runs.create_scan_run(conn, selection=sel)
    _finish(run2)  # saw nothing
    missing = store.missing_facts(conn, run2.selection, run2.selection_hash)
    assert [f.external_id for f in missing.facts] == [ARN]
    assert missing.confidence == "high" and missing.run == run2


def test_missing_is_low_confidence_after_partial_or_failed_run(conn):
    sel = {"kinds": ["lambda", "ecs"]}
    run1 = runs.create_scan_run(conn, selection=sel)
    store.persist_batch(run1, run1.jobs.get(key__endswith=":lambda"), _batch())
    _finish(run1)
    run2 = runs.create_scan_run(conn, selection=sel)
    jobs = list(run2.jobs.all())
    runs.record_job_outcome(jobs[0], status=RunStatus.SUCCEEDED)
    runs.record_job_outcome(jobs[1], status=RunStatus.FAILED, failure={"reason_code": "throttled"})
    assert runs.finish_run(run2).status == RunStatus.PARTIAL
    assert store.missing_facts(conn, run2.selection, run2.selection_hash).confidence == "low"
    # ... and current_facts still believes the fact exists: nothing is gone on a partial run.
    facts, _ = store.current_facts()
    assert facts.filter(external_id=ARN).exists()


def test_selection_isolation(conn):
    run_lambda = runs.create_scan_run(conn, selection={"kinds": ["lambda"]})
    store.persist_batch(run_lambda, run_lambda.jobs.get(), _batch())
    _finish(run_lambda)
    run_ecs = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    _finish(run_ecs)
    # The ECS run saw no Lambda, but it was not asked to: the Lambda is not missing for either selection.
    assert store.missing_facts(conn, run_ecs.selection, run_ecs.selection_hash).facts == []
    assert store.missing_facts(conn, run_lambda.selection, run_lambda.selection_hash).facts == []


def test_successful_full_scan_retires_unseen_facts_from_current(conn):
    run1 = runs.create_scan_run(conn)
    store.persist_batch(run1, run1.jobs.get(key__endswith=":lambda"), _batch())
    _finish(run1)
    assert store.current_facts()[0].filter(external_id=ARN).exists()
    run2 = runs.create_scan_run(conn)
    _finish(run2)
    assert not store.current_facts()[0].filter(external_id=ARN).exists()
    assert Fact.objects.filter(external_id=ARN).exists()  # never deleted


def test_touch_marks_unchanged_facts_seen(conn):
    run1 = runs.create_scan_run(conn)
    store.persist_batch(run1, run1.jobs.first(), _batch())
    _finish(run1)
    run2 = runs.create_scan_run(conn)
    assert store.touch(run2, ["arn:aws:lambda:us-east-1:111111111111:function"]) == 0  # prefix must be a path
    assert store.touch(run2, [ARN]) == 1
    assert Fact.objects.get().last_seen_run_id == run2.id


def test_job_outcome_counts_once(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["lambda"]})
    job = run.jobs.get()
    runs.record_job_outcome(job, status=RunStatus.SUCCEEDED)
    runs.record_job_outcome(Job.objects.get(pk=job.pk), status=RunStatus.FAILED)  # a redelivered duplicate
    run.refresh_from_db()
    assert (run.processed, run.succeeded, run.failed) == (1, 1, 0)
