"""Runs you can trust: reconciles of one tenant take turns, and a correction saved while one runs survives it.

Real concurrency: each test has its own tenant with committed data, and the reconciles (and the correction)
run in threads, each on its own PostgreSQL connection."""
import threading
import time

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from catalog import actions, locks, sync
from catalog import tasks as catalog_tasks
from catalog.models import Service
from catalog.tests.test_reconcile import company
from discovery import runs, store
from discovery.facts import Batch
from discovery.models import Run, RunStatus
from discovery.tests.factories import ConnectionFactory
from ownership.corrections import correct
from peers.simulate import records_from_scenario
from portal.workspaces.models import Workspace

SCENARIO = company(prod={"lambdas": [{"name": "cert-rotator", "tags": {"team": "sre"}},
                                     {"name": "log-shipper", "tags": {"team": "sre"}}]},
                   teams=[{"slug": "sre"}, {"slug": "platform"}])


@pytest.fixture(autouse=True)
def no_index_messages(monkeypatch):
    """These tests commit: search would queue an index task per service written, for a tenant dropped at the
    end and for workers this session may never start. What is indexed is not under test here."""
    import search.signals

    monkeypatch.setattr(search.signals, "_send", lambda *args, **kwargs: None)


@pytest.fixture(scope="module")
def scanned_tenant(django_db_setup, django_db_blocker):
    """A tenant of its own whose facts (one scan of SCENARIO) are committed: other connections see them."""
    from portal.tenancy import create_tenant

    with django_db_blocker.unblock():
        tenant = create_tenant("reconcile-turns", reset=True)
        with tenant_context(tenant):
            scan = runs.create_scan_run(ConnectionFactory(), selection={"kinds": ["lambda"]})
            job = scan.jobs.get()
            facts, links = records_from_scenario(SCENARIO)
            store.persist_batch(scan, job, Batch(facts=facts, links=links))
            runs.record_job_outcome(job, status=RunStatus.SUCCEEDED)
            runs.finish_run(scan)
        connection.set_schema_to_public()
        yield tenant
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)


@pytest.fixture
def tenant(scanned_tenant, django_db_blocker):
    """The scanned tenant with an empty catalog and no reconcile run."""
    with django_db_blocker.unblock():
        with tenant_context(scanned_tenant):
            Service.objects.all().delete()
            Run.objects.filter(kind=Run.Kind.RECONCILE).delete()
        connection.set_schema_to_public()
    return scanned_tenant


def reconcile_run(tenant) -> Run:
    with tenant_context(tenant):
        return runs.create_reconcile_run(Workspace.default().pk, trigger="test")


def in_thread(tenant, target, *args):
    """Run ``target(*args)`` in the tenant on a connection of its own; returns (thread, outcome dict)."""
    outcome = {}

    def body():
        try:
            with tenant_context(tenant):
                outcome["value"] = target(*args)
        except BaseException as exc:  # noqa: BLE001  (reported to the test)
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, outcome


def test_two_reconciles_of_a_tenant_take_turns(tenant, django_db_blocker, monkeypatch):
    spans = {}  # thread -> [read the facts, committed the catalog] in time.time()
    slow_reconcile, real_load = actions.reconcile, actions.load_inputs

    def load(*args, **kwargs):
        spans.setdefault(threading.get_ident(), [time.time(), None])
        return real_load(*args, **kwargs)

    def deciding(*args, **kwargs):
        time.sleep(0.6)  # a wide window: without the lock both would read before either writes
        return slow_reconcile(*args, **kwargs)

    monkeypatch.setattr(actions, "load_inputs", load)
    monkeypatch.setattr(actions, "reconcile", deciding)

    with django_db_blocker.unblock():
        first, second = reconcile_run(tenant), reconcile_run(tenant)
        start = threading.Barrier(2)

        def reconcile(run_id):
            run = Run.objects.get(pk=run_id)
            start.wait(timeout=10)
            done = actions.reconcile_run(run)
            spans[threading.get_ident()][1] = time.time()  # returned: its write has committed
            return done

        threads = [in_thread(tenant, reconcile, run.pk) for run in (first, second)]
        for thread, _ in threads:
            thread.join(timeout=60)
        assert [outcome.get("error") for _, outcome in threads] == [None, None]
        assert [outcome["value"] for _, outcome in threads] == [True, True]  # neither failed, both reconciled

        (_, a_end), (b_start, _) = sorted(spans.values())
        assert a_end <= b_start, f"reconciles overlapped: {spans}"
        with tenant_context(tenant):
            done = sorted(Run.objects.filter(pk__in=[first.pk, second.pk]), key=lambda r: r.started_at)
            assert [r.status for r in done] == [RunStatus.RUNNING, RunStatus.RUNNING]  # the next steps are queued
            assert done[1].started_at.timestamp() >= a_end - 0.05  # the one that waited started after the other
            assert done[1].stats["lock_wait_seconds"] >= 0.5
            # The catalog is consistent: the second saw what the first wrote, and created nothing again.
            assert sorted(Service.objects.values_list("name", flat=True)) == ["cert-rotator", "log-shipper"]
            assert (done[0].stats["services_created"], done[1].stats["services_created"]) == (2, 0)
            assert done[1].stats["services_unchanged"] == 2
        connection.set_schema_to_public()


def test_a_reconcile_that_waits_too_long_is_queued_again_and_its_run_stays_queued(tenant, django_db_blocker,
                                                                                    monkeypatch):
    sent = []
    monkeypatch.setattr(actions, "LOCK_WAIT_SECONDS", 0.3)
    monkeypatch.setattr(catalog_tasks.reconcile_workspace, "apply_async", lambda **kwargs: sent.append(kwargs))
    with django_db_blocker.unblock():
        run = reconcile_run(tenant)
        holding, release = threading.Event(), threading.Event()

        def hold():
            with locks.reconcile_lock(tenant.schema_name):
                holding.set()
                release.wait(timeout=30)

        holder, outcome = in_thread(tenant, hold)
        assert holding.wait(timeout=10)
        try:
            with tenant_context(tenant):
                ws = str(run.workspace_id)
                began = time.monotonic()
                status = catalog_tasks.reconcile_workspace.run(tenant.schema_name, ws, str(run.pk))
                waited = time.monotonic() - began
                run.refresh_from_db()
        finally:
            release.set()
            holder.join(timeout=10)
        assert "error" not in outcome
        assert status == "waiting" and run.status == RunStatus.QUEUED and run.failures == []
        assert waited >= 0.3  # it waited for the lock before giving its turn away
        assert sent == [{"args": [tenant.schema_name, ws, str(run.pk)], "kwargs": {"attempt": 1},
                         "countdown": catalog_tasks.BUSY_RETRY_SECONDS,
                         "headers": {"_schema_name": tenant.schema_name}}]
        with tenant_context(tenant), locks.reconcile_lock(wait_seconds=1):
            pass  # free again once its holder let go
        connection.set_schema_to_public()


def test_a_reconcile_that_gives_up_fails_its_run_with_a_reason(tenant, django_db_blocker, monkeypatch):
    monkeypatch.setattr(actions, "LOCK_WAIT_SECONDS", 0.1)
    with django_db_blocker.unblock():
        run = reconcile_run(tenant)
        holding, release = threading.Event(), threading.Event()

        def hold():
            with locks.reconcile_lock(tenant.schema_name):
                holding.set()
                release.wait(timeout=30)

        holder, _ = in_thread(tenant, hold)
        assert holding.wait(timeout=10)
        try:
            with tenant_context(tenant):
                status = catalog_tasks.reconcile_workspace.run(
                    tenant.schema_name, str(run.workspace_id), str(run.pk), attempt=catalog_tasks.BUSY_MAX_ATTEMPTS - 1)
                run.refresh_from_db()
        finally:
            release.set()
            holder.join(timeout=10)
        assert status == RunStatus.FAILED == run.status
        assert [f["reason_code"] for f in run.failures] == ["reconcile_busy"]
        connection.set_schema_to_public()


def test_tenants_do_not_wait_for_each_other():
    assert locks.lock_key("t_alpha") != locks.lock_key("t_beta")
    assert locks.lock_key("t_alpha") == locks.lock_key("t_alpha")


def test_a_correction_saved_while_reconcile_writes_survives_it(tenant, django_db_blocker, monkeypatch):
    """The correction is made in another connection after reconcile read the services it is about to rewrite
    and before it wrote them: it waits for reconcile's transaction, then applies on top of what was written,
    and reconcile wrote back nothing it read before the correction."""
    real_current = sync.current_services
    window = {}

    with django_db_blocker.unblock():
        first = reconcile_run(tenant)
        with tenant_context(tenant):
            assert actions.reconcile_run(first)
            service = Service.objects.get(name="cert-rotator")
            # The next reconcile rewrites every service (as when their facts changed).
            Service.objects.update(fingerprint="")

        def correct_in_another_connection(pk):
            svc = Service.objects.get(pk=pk)
            correct(svc, "tier", "critical", user="oncall", reason="pager duty")
            correct(Service.objects.get(pk=pk), "repo", "acme/certs", user="oncall", reason="moved")
            return correct(Service.objects.get(pk=pk), "owner", "platform", user="oncall", reason="reorg")

        def read_then_let_a_correction_in(*args, **kwargs):
            services = real_current(*args, **kwargs)  # reconcile has read what it will write
            thread, outcome = in_thread(tenant, correct_in_another_connection, service.pk)
            thread.join(timeout=1.5)  # the correction gets its chance to commit now (it must not)
            window["finished_inside"] = not thread.is_alive()
            window["thread"], window["outcome"] = thread, outcome
            return services

        monkeypatch.setattr(sync, "current_services", read_then_let_a_correction_in)
        second = reconcile_run(tenant)
        with tenant_context(tenant):
            assert actions.reconcile_run(second)
            window["thread"].join(timeout=30)
            assert "error" not in window["outcome"], window["outcome"]
            second.refresh_from_db()
            assert second.stats["services_updated"] == 2  # reconcile did rewrite the corrected service

            service.refresh_from_db()
            assert service.tier == "critical" and service.repo == "acme/certs"
            assert service.owner.slug == "platform" and service.owner_source == "user_correction"
            assert {"tier", "repo", "owner"} <= set(service.locked_fields)
            assert service.corrections.count() == 3
            assert window["finished_inside"] is False  # it waited for reconcile's write to commit

            # And the next discovery keeps them, as any correction.
            third = runs.create_reconcile_run(Workspace.default().pk, trigger="test")
            monkeypatch.setattr(sync, "current_services", real_current)
            Service.objects.update(fingerprint="")
            assert actions.reconcile_run(third)
            service.refresh_from_db()
            assert (service.tier, service.repo, service.owner.slug) == ("critical", "acme/certs", "platform")
        connection.set_schema_to_public()


def test_a_correction_saved_after_reconcile_read_the_catalog_survives_it(tenant, django_db_blocker, monkeypatch):
    """The other window: between reconcile reading the existing services (to match identities) and its write."""
    real_reconcile = actions.reconcile

    with django_db_blocker.unblock():
        first = reconcile_run(tenant)
        with tenant_context(tenant):
            assert actions.reconcile_run(first)
            service = Service.objects.get(name="log-shipper")
            Service.objects.update(fingerprint="")

        def correct_meanwhile(facts, links, **kwargs):
            result = real_reconcile(facts, links, **kwargs)
            thread, outcome = in_thread(
                tenant, lambda: correct(Service.objects.get(pk=service.pk), "name", "log-forwarder", user="oncall",
                                        reason="renamed"))
            thread.join(timeout=30)
            assert "error" not in outcome, outcome
            return result

        monkeypatch.setattr(actions, "reconcile", correct_meanwhile)
        second = reconcile_run(tenant)
        with tenant_context(tenant):
            assert actions.reconcile_run(second)
            service.refresh_from_db()
            assert service.name == "log-forwarder" and service.locked_fields["name"] == "log-forwarder"
            assert sorted(Service.objects.values_list("name", flat=True)) == ["cert-rotator", "log-forwarder"]
        connection.set_schema_to_public()
