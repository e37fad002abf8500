"""End to end: the local PagerDuty and Opsgenie (subprocesses serving oncall-co.yaml's oncall section), a real
Celery worker running ``oncall.sync`` in a tenant whose catalog came from the same company, then the routing API
says who is on call now and the next handover, as the rotations have it at this moment.

The worker is this module's own, on a queue of its own, started after the peers: it reads where they are from
its environment (ROSTER_PAGERDUTY_URL, ROSTER_OPSGENIE_URL), as every worker reads the operator's settings."""
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts.testing import user_with_token
from catalog import sync as catalog_sync
from catalog.models import Service, Team
from catalog.reconcile import reconcile
from discovery.models import Run
from oncall import tasks
from ownership import inference
from oncall.models import OnCallConnection
from peers.scenario import load_scenario, rotation_shifts
from peers.simulate import facts_from_scenario
from portal.tenancy import create_tenant
from portal.workspaces.models import Workspace
from tests.peers import Process, drop_tenant, oncall_peers, worker_env

pytestmark = pytest.mark.e2e
SCENARIO = Path(__file__).with_name("oncall-co.yaml")
TENANT = "e2e-oncall"
QUEUE = f"oncall-e2e-{os.getpid()}"
PD_KEY, OG_KEY = "e2e-pd-key-0123456789", "e2e-og-key-0123456789"


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker):
    from celery_app import app
    from django.db import connection

    with oncall_peers(SCENARIO, pagerduty_key=PD_KEY, opsgenie_key=OG_KEY) as urls:
        name = f"{QUEUE}@localhost"
        worker = Process("oncall-worker", [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", QUEUE,
                                           "-c", "1", "--without-gossip", "--without-mingle", "-n", name,
                                           "--loglevel", "INFO"], env=worker_env(connection.settings_dict["NAME"]))
        try:
            deadline = time.monotonic() + 60
            while not app.control.inspect(destination=[name], timeout=1).ping():
                assert worker.proc.poll() is None, "the worker exited: see .run/log/test-oncall-worker.log"
                assert time.monotonic() < deadline, "the worker did not answer"
            yield urls
        finally:
            worker.stop()


@pytest.fixture(scope="module")
def company(stack, django_db_blocker):
    with django_db_blocker.unblock():
        tenant = create_tenant(TENANT, reset=True)
        try:
            with tenant_context(tenant):
                facts, links = facts_from_scenario(load_scenario(SCENARIO))
                catalog_sync.sync_teams(facts, links)
                run = Run.objects.create(workspace=Workspace.default(), kind=Run.Kind.RECONCILE, selection_hash="e2e")
                catalog_sync.apply(reconcile(facts, links), run=run)
                inference.infer(run.pk)  # ownership's step of a discovery, inline here
                for provider, key in (("pagerduty", PD_KEY), ("opsgenie", OG_KEY)):
                    conn = OnCallConnection(workspace=Workspace.default(), provider=provider, name=provider)
                    conn.set_key(key)
                    conn.save()
                _, token = user_with_token("e2e-oncall-viewer", "viewer")
            yield tenant, token
        finally:
            drop_tenant(tenant)


def on_call(schedule_name: str, vendor: str, at: datetime) -> tuple[str, datetime]:
    schedule = next(s for s in load_scenario(SCENARIO)["oncall"][vendor]["schedules"] if s["name"] == schedule_name)
    start, end, email = rotation_shifts(schedule, at, at + timedelta(seconds=1))[0]
    return email, end


def z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def test_sync_through_the_worker_then_routing_says_who_is_on_call(company, django_db_blocker):
    tenant, token = company
    with django_db_blocker.unblock(), tenant_context(tenant):
        tasks.sync.apply_async(queue=QUEUE, headers={"_schema_name": tenant.schema_name})
        deadline = time.monotonic() + 90
        while set(OnCallConnection.objects.values_list("last_status", flat=True)) != {"ok"}:
            failed = OnCallConnection.objects.filter(last_status="failed").values_list("last_failure", flat=True)
            assert not failed, list(failed)
            assert time.monotonic() < deadline, "the sync did not finish (see .run/log/test-oncall-worker.log)"
            time.sleep(0.3)
        payments = Team.objects.get(slug="payments")
        assert payments.pagerduty_schedule_id == "PPAYPRI"  # suggested from "Payments Primary"
        gateway = Service.objects.get(name="payment-gateway")
        deploy_bot = Service.objects.get(name="deploy-bot")
        assert gateway.owner_id == payments.pk and deploy_bot.owner.slug == "platform"
        client = APIClient(HTTP_HOST=f"{TENANT}.localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        now = datetime.now(timezone.utc)
        body = client.get(f"/api/v1/services/{gateway.pk}/routing/").json()
        platform = client.get(f"/api/v1/services/{deploy_bot.pk}/routing/").json()

    email, until = on_call("Payments Primary", "pagerduty", now)
    assert [(p["email"], p["provider"], p["schedule"], p["until"]) for p in body["oncall"]] == [
        (email, "pagerduty", "Payments Primary", z(until))]
    assert body["next_handover_at"] == z(until)
    following, _ = on_call("Payments Primary", "pagerduty", until)
    assert [p["email"] for p in body["next_oncall"]] == [following] and body["next_oncall"][0]["from"] == z(until)
    assert body["escalation_policy"]["name"] == "Payments Escalation"  # the PagerDuty service of the same name
    assert body["team"]["slug"] == "payments" and body["ownership_status"] == "owned"

    email, until = on_call("Platform_schedule", "opsgenie", now)
    assert [(p["email"], p["provider"], p["until"]) for p in platform["oncall"]] == [(email, "opsgenie", z(until))]
    assert platform["oncall"][0]["name"] in ("Dave Iyer", "Erin Wu")  # full names from Opsgenie's users
    assert platform["next_handover_at"] == z(until)
