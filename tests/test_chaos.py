"""A worker dies (kill -9) in the middle of a discovery: every run still finishes, once, within two minutes
of the kill, with every AWS resource a fact exactly once and the same catalog as without the kill. And a
scan chord whose header task raised a database error does not leave its reconcile run queued.

Real processes: moto, the GitHub emulator, the fault proxy (with latency), beat (the watchdog) and workers;
``scripts/chaos.py`` is the same scenario as a command that prints the recovery figures."""
from pathlib import Path

import pytest
from django.db import connection as db
from django_tenants.utils import tenant_context

from peers.demo import setup_tenant
from peers.scenario import load_scenario
from portal.models import Tenant
from scripts import chaos
from tests.test_e2e_discovery import expected_aws

pytestmark = pytest.mark.e2e
SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "multi-account-co.yaml"


@pytest.fixture(scope="module")
def company(live_peers, django_db_setup, django_db_blocker):
    scenario = load_scenario(SCENARIO)
    with django_db_blocker.unblock():
        setup_tenant(scenario, aws_endpoint=live_peers["aws"], github_url=live_peers["github"],
                     tenant_name="e2e-chaos")
        tenant = Tenant.objects.get(name="e2e-chaos")
        chaos.set_latency(live_peers["aws_proxy"], 200)  # scans take a while: there is a middle to kill in
        try:
            with chaos.only_our_workers(), chaos.beat(db.settings_dict["NAME"]):
                yield scenario, tenant
        finally:
            chaos.set_latency(live_peers["aws_proxy"], 0)
            tenant.delete(force_drop=True)


@pytest.mark.django_db  # also makes pytest-django set up the test database for a session of e2e tests only
def test_the_watchdog_runs_every_30_seconds_on_the_scan_queue():
    from celery_app import app

    entry = app.conf.beat_schedule["discovery-watchdog"]
    assert (entry["task"], entry["schedule"], entry["options"]["queue"]) == ("discovery.watchdog", 30.0, "discovery")


def statuses(tenant, ids):
    from discovery.models import Run

    with tenant_context(tenant):
        return {r.kind + ":" + r.status for r in Run.objects.filter(pk__in=ids)}


def test_kill_9_a_worker_mid_discovery_loses_nothing(company, django_db_blocker):
    scenario, tenant = company
    db_name = db.settings_dict["NAME"]
    with django_db_blocker.unblock():
        worker = chaos.start_worker(db_name, "chaos-reference")
        try:
            reference = chaos.discover(tenant)
            chaos.wait_finished(tenant, reference, 300)
        finally:
            worker.stop()
        assert statuses(tenant, reference) == {"scan:succeeded", "reconcile:succeeded"}
        facts, services = chaos.aws_facts(tenant), chaos.services(tenant)
        assert {(kind, acct, name) for kind, acct, _, name in facts} == expected_aws(scenario)
        assert len(facts) == len(set(facts))
        assert services

        figures = chaos.kill_and_recover(tenant, db_name, timeout=120)
        print("chaos figures:", {k: v for k, v in figures.items() if k != "runs"})  # shown with -s

        assert figures["kill_to_runs_finished_s"] <= 120, figures
        assert figures["killed_jobs"] >= 2 and figures["max_attempts"] >= 2, figures  # they were run again
        assert figures["dead_lettered"] == 0, figures
        assert statuses(tenant, figures["runs"]) == {"scan:succeeded", "reconcile:succeeded"}, figures
        assert chaos.aws_facts(tenant) == facts  # every resource a fact, exactly once
        assert chaos.services(tenant) == services  # and the same catalog as without the kill
        with tenant_context(tenant):
            from audit.models import AuditEvent

            finished = AuditEvent.objects.filter(action="run.finished", object_id__in=[str(i) for i in figures["runs"]])
            assert finished.count() == len(figures["runs"])  # each run finished once


def test_the_watchdog_finishes_a_reconcile_run_whose_chord_header_failed(company, django_db_blocker):
    """One job's claim raises a database error (a trigger, once) in the worker: the header task fails, so the
    chord never calls back. The job is sent again, and the watchdog finishes the scans and hands over the
    reconcile run: nothing stays queued."""
    scenario, tenant = company
    db_name = db.settings_dict["NAME"]
    with django_db_blocker.unblock():
        with tenant_context(tenant), db.cursor() as cursor:
            cursor.execute("""
                CREATE SEQUENCE chaos_once;
                CREATE FUNCTION chaos_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF NEW.status = 'running' AND OLD.status = 'queued' AND NEW.key LIKE '%:ecs'
                     AND nextval('chaos_once') = 1 THEN
                    RAISE EXCEPTION 'chaos: the database refused this update';
                  END IF;
                  RETURN NEW;
                END $$;
                CREATE TRIGGER chaos_fail_once BEFORE UPDATE ON discovery_job
                  FOR EACH ROW EXECUTE FUNCTION chaos_fail_once();
            """)
        worker = chaos.start_worker(db_name, "chaos-header")
        try:
            ids = chaos.discover(tenant)
            chaos.wait_finished(tenant, ids, 150)
        finally:
            worker.stop()
            with tenant_context(tenant), db.cursor() as cursor:
                cursor.execute("DROP TRIGGER chaos_fail_once ON discovery_job")
                cursor.execute("DROP FUNCTION chaos_fail_once()")
                cursor.execute("SELECT nextval('chaos_once')")
                fired = cursor.fetchone()[0] > 1
                cursor.execute("DROP SEQUENCE chaos_once")
        assert fired, "the trigger never fired: no header task failed"
        assert statuses(tenant, ids) == {"scan:succeeded", "reconcile:succeeded"}
        assert {(kind, acct, name) for kind, acct, _, name in chaos.aws_facts(tenant)} == expected_aws(scenario)


@pytest.mark.parametrize("server", ["redis", "postgres"])
def test_a_restarted_server_mid_discovery_never_leaves_a_run_stuck(company, django_db_blocker, server):
    """Redis (its queues lost: no persistence) or PostgreSQL (every connection cut) restarts while jobs run:
    every run still ends, succeeded or with a reason code for each failure, and nothing is stored twice."""
    scenario, tenant = company
    db_name = db.settings_dict["NAME"]
    with django_db_blocker.unblock():
        figures = chaos.restart_and_recover(tenant, db_name, server, timeout=240)
        print("chaos figures:", {k: v for k, v in figures.items() if k != "runs"})  # shown with -s
        assert figures["jobs_running_at_restart"] >= 1, figures
        with tenant_context(tenant):
            from discovery.models import Run

            runs = list(Run.objects.filter(pk__in=figures["runs"]))
        assert all(not r.is_active for r in runs), figures
        for run in runs:
            if run.status != "succeeded":
                assert run.failures and all(f.get("reason_code") for f in run.failures), (run.kind, run.failures)
        facts = chaos.aws_facts(tenant)
        assert len(facts) == len(set(facts))  # never a resource twice, whatever was retried
        if "scan:succeeded" in figures["statuses"] and "scan:partial" not in figures["statuses"]:
            assert {(kind, acct, name) for kind, acct, _, name in facts} == expected_aws(scenario)
