"""One discovery after its scans, step by step, through the real tasks (run in-process): discovery finishes
the scans and hands the reconcile run over by task name; reconcile chains ownership inference, indexing
and the end of the run. Every way it ends leaves the run with a final status and its audit events."""
import pytest
from django.db import connection

import discovery.tasks
import ownership.tasks
import search.tasks  # noqa: F401  (registers search.index_workspace, which the chain names)
from audit.models import AuditEvent
from catalog import actions
from catalog import tasks as catalog_tasks  # noqa: F401  (registers the catalog tasks)
from catalog.models import DiscoveryEvent, Service
from peers.simulate import records_from_scenario
from catalog.tests.test_reconcile import company
from discovery import runs, store
from discovery.facts import Batch
from discovery.models import Run, RunStatus
from discovery.tests.factories import ConnectionFactory
from ownership.models import OwnershipInput
from search.documents import service_key
from search.models import SearchDocument

SCENARIO = company(prod={"lambdas": [{"name": "cert-rotator", "tags": {"team": "sre"}},
                                     {"name": "log-shipper", "tags": {"team": "sre"}}]},
                   teams=[{"slug": "sre"}])


@pytest.fixture
def eager(settings):
    """Tasks run in-process through apply_async; a failing step calls its error callback, as a worker does."""
    from celery_app import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def scanned(workspace):
    """A scan that stored the scenario's facts, and the reconcile run waiting for it."""
    scan = runs.create_scan_run(ConnectionFactory(), selection={"kinds": ["lambda"]})
    job = scan.jobs.get()
    facts, links = records_from_scenario(SCENARIO)
    store.persist_batch(scan, job, Batch(facts=facts, links=links))
    runs.record_job_outcome(job, status=RunStatus.SUCCEEDED)
    reconcile = runs.create_reconcile_run(workspace.pk, trigger="test", group_id=scan.group_id)
    return scan, reconcile


def discover(scan, reconcile):
    """The scans' chord callback, as the chord calls it."""
    discovery.tasks.finish_runs.apply_async(args=[connection.schema_name, str(scan.workspace_id), [str(scan.pk)],
                                                  str(reconcile.pk)])
    scan.refresh_from_db()
    reconcile.refresh_from_db()
    return reconcile


def audit(run):
    return sorted(AuditEvent.objects.filter(object_id=str(run.pk)).values_list("action", flat=True))


def test_a_discovery_reconciles_infers_owners_indexes_and_finishes(scanned, eager):
    scan, reconcile = scanned
    run = discover(scan, reconcile)
    assert scan.status == RunStatus.SUCCEEDED
    assert run.status == RunStatus.SUCCEEDED and run.failures == [] and (run.processed, run.succeeded) == (1, 1)
    assert {k: run.stats[k] for k in ("services_created", "services", "owned", "ambiguous", "unowned")} == {
        "services_created": 2, "services": 2, "owned": 2, "ambiguous": 0, "unowned": 0}
    assert audit(run) == ["run.finished", "run.started"]
    finished = AuditEvent.objects.get(object_id=str(run.pk), action="run.finished")
    assert finished.data["status"] == "succeeded" and finished.data["owned"] == 2
    services = Service.objects.select_related("owner").order_by("name")
    assert [(s.name, s.owner.slug, s.ownership_status) for s in services] == [
        ("cert-rotator", "sre", "owned"), ("log-shipper", "sre", "owned")]
    assert set(DiscoveryEvent.objects.filter(run=run, event_type="ownership_changed").values_list(
        "service_name", "new_value")) == {("cert-rotator", "sre"), ("log-shipper", "sre")}
    assert all(SearchDocument.objects.filter(key=service_key(s.pk)).exists() for s in services)


def test_a_second_discovery_of_the_same_facts_changes_nothing(scanned, eager, workspace):
    discover(*scanned)
    scan = runs.create_scan_run(ConnectionFactory(), selection={"kinds": ["lambda"]})
    job = scan.jobs.get()  # the second scan finds the same facts again
    facts, links = records_from_scenario(SCENARIO)
    store.persist_batch(scan, job, Batch(facts=facts, links=links))
    runs.record_job_outcome(job, status=RunStatus.SUCCEEDED)
    again = discover(scan, runs.create_reconcile_run(workspace.pk, trigger="test", group_id=scan.group_id))
    assert again.status == RunStatus.SUCCEEDED
    assert (again.stats["services_unchanged"], again.stats["owned"]) == (2, 2)
    assert not DiscoveryEvent.objects.filter(run=again).exists()


def test_a_failed_ownership_step_fails_the_run_with_a_reason(scanned, eager, monkeypatch):
    def broken(run_id):
        raise RuntimeError("scoring exploded")

    monkeypatch.setattr(ownership.tasks.inference, "infer", broken)
    run = discover(*scanned)
    assert run.status == RunStatus.FAILED and (run.processed, run.failed) == (1, 1)
    (failure,) = run.failures
    assert (failure["reason_code"], failure["item"]) == ("ownership_failed", "ownership")
    assert "scoring exploded" in failure["message"] and failure["remediation"]
    assert run.stats["services_created"] == 2  # reconcile's stats stay: the catalog was rebuilt
    assert audit(run) == ["run.finished", "run.started"]
    assert not Service.objects.filter(owner__isnull=False).exists()
    assert not SearchDocument.objects.filter(kind="service").exists()  # the chain stopped there


def test_a_failed_index_step_fails_the_run_with_a_reason(scanned, eager, monkeypatch):
    def broken(kind, rows):
        raise RuntimeError("backend gone")

    monkeypatch.setattr(search.tasks, "_pending", broken)
    run = discover(*scanned)
    assert run.status == RunStatus.FAILED
    assert [(f["reason_code"], f["item"]) for f in run.failures] == [("index_failed", "index")]
    assert Service.objects.filter(owner__slug="sre").count() == 2  # ownership ran before
    assert audit(run) == ["run.finished", "run.started"]


def test_a_failed_reconcile_fails_the_run_and_stops_there(scanned, eager, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("bad facts")

    monkeypatch.setattr(actions, "reconcile", broken)
    run = discover(*scanned)
    assert run.status == RunStatus.FAILED and run.stats == {}
    assert run.failures[0]["item"] == "reconcile"
    assert not Service.objects.exists() and not OwnershipInput.objects.exists()
    assert audit(run) == ["run.finished", "run.started"]


def test_a_cancelled_reconcile_run_is_not_reconciled(scanned, eager):
    scan, reconcile = scanned
    assert runs.cancel_run(reconcile, actor="op")
    run = discover(scan, reconcile)
    assert run.status == RunStatus.CANCELLED and not Service.objects.exists()
    assert "run.finished" not in audit(run)


def test_the_reconcile_task_refuses_a_run_of_another_workspace(scanned, eager):
    scan, reconcile = scanned
    result = catalog_tasks.reconcile_workspace.apply_async(
        args=[connection.schema_name, "00000000-0000-0000-0000-000000000000", str(reconcile.pk)])
    assert result.get() == "refused"
    assert Run.objects.get(pk=reconcile.pk).status == RunStatus.QUEUED
