"""End to end: the GitHub emulator sends real, signed webhooks to a real Roster web server as its state changes;
real workers refresh just what changed, and the catalog (API and search) follows."""
import http.client
import json
import urllib.request
from pathlib import Path

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.testing import user_with_token
from catalog.models import Service
from discovery import workflow
from discovery.models import ACTIVE_STATUSES, Connection, Fact, Run
from freshness import receiving
from freshness.models import InboundDelivery
from peers.demo import setup_tenant
from peers.scenario import load_scenario
from portal.models import Tenant
from tests.peers import drop_tenant, wait_for
from portal.workspaces.models import Workspace

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TENANT = "e2e-hooks"


def control(github: str, path: str, body: dict | None = None, method: str | None = None) -> dict:
    request = urllib.request.Request(github + path, method=method or ("POST" if body is not None else "GET"),
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


def api(port: int, token: str, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": f"{TENANT}.localhost:{port}", "Authorization": f"Token {token}"})
    answer = conn.getresponse()
    assert answer.status == 200, answer.read()[:300]
    return json.loads(answer.read())


def answered(github: str, sent: dict) -> dict:
    """hook id -> the status code its receiver answered, for the deliveries of one change (after ?wait=1)."""
    guids = {d["guid"] for d in sent["deliveries"]}
    return {d["hook_id"]: d["status_code"] for d in control(github, "/_emulator/deliveries") if d["guid"] in guids}


def idle() -> bool:
    return not Run.objects.filter(status__in=ACTIVE_STATUSES).exists()


@pytest.fixture(scope="module")
def hooked(live_peers, live_web, django_db_blocker):
    """The messy company discovered once, its GitHub connection's webhook registered in the emulator."""
    scenario = load_scenario(ROOT / "scenarios" / "sample-messy.yaml")
    with django_db_blocker.unblock():
        # GitHub only: moto is shared by the session, and another module loads this company's AWS accounts.
        setup_tenant({**scenario, "aws": {**scenario["aws"], "accounts": []}}, aws_endpoint=live_peers["aws"],
                     github_url=live_peers["github"], tenant_name=TENANT)
        tenant = Tenant.objects.get(name=TENANT)
        with tenant_context(tenant):
            with transaction.atomic():
                workflow.discover_workspace(Workspace.default(), trigger="test")
            wait_for(idle, timeout=300)
            github = Connection.objects.get(provider="github")
            with transaction.atomic():
                secret = receiving.configure(github)
                _, token = user_with_token("hooks-viewer", "viewer")
        url = f"http://{TENANT}.localhost:{live_web}/webhooks/github/{github.pk}/"
        hook = control(live_peers["github"], "/_emulator/hooks", {"url": url, "secret": secret, "events": ["*"],
                                                                  "org": github.config["org"]})
        yield {"tenant": tenant, "github": github, "token": token, "port": live_web, "hook": hook,
               "emulator": live_peers["github"], "org": github.config["org"], "scenario": scenario}
        control(live_peers["github"], f"/_emulator/hooks/{hook['id']}", method="DELETE")
        drop_tenant(tenant)


def pick_codeowned_service(org: str):
    """A service owned through its repository's CODEOWNERS, and another team to hand it to."""
    from catalog.models import Team

    for service in Service.objects.filter(owner_source="codeowners", repo__startswith=f"{org}/",
                                          hidden=False).select_related("owner").order_by("name"):
        other = Team.objects.filter(github_org=org).exclude(pk=service.owner_id).order_by("slug").first()
        if other is not None:
            return service, other
    raise AssertionError("the scenario has no service owned through CODEOWNERS")


def test_a_codeowners_push_moves_the_owner_in_the_api_and_search(hooked, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(hooked["tenant"]):
        service, new_owner = pick_codeowned_service(hooked["org"])
        before = set(Run.objects.values_list("pk", flat=True))
        sent = control(hooked["emulator"], "/_emulator/push?wait=1", {
            "repo": service.repo, "files": {".github/CODEOWNERS": f"* @{hooked['org']}/{new_owner.slug}\n"}})
        assert answered(hooked["emulator"], sent) == {hooked["hook"]["id"]: 202}

        def moved():
            data = api(hooked["port"], hooked["token"], f"/api/v1/services/{service.pk}/")
            return data if (data.get("owner") or {}).get("slug") == new_owner.slug else None
        detail = wait_for(moved)
        assert detail["owner"]["source"] == "codeowners" and detail["owner"]["status"] in ("owned", "ambiguous")
        wait_for(idle)
        hits = api(hooked["port"], hooked["token"], f"/api/v1/services/search/?q={service.name}")
        [hit] = [h for h in hits["hits"] if h["id"] == str(service.pk)]
        assert hit["team_slug"] == new_owner.slug
        [delivery] = InboundDelivery.objects.filter(event="push")
        assert delivery.status == "applied" and delivery.plan["repos"] == [service.repo.split("/", 1)[1]]
        scans = Run.objects.filter(kind=Run.Kind.SCAN).exclude(pk__in=before)
        assert [(r.trigger, r.full_scan, r.status, r.total) for r in scans] == [("webhook", False, "succeeded", 1)]


def test_a_push_to_another_branch_changes_nothing(hooked, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(hooked["tenant"]):
        service, new_owner = pick_codeowned_service(hooked["org"])
        runs = Run.objects.count()
        control(hooked["emulator"], "/_emulator/push?wait=1", {
            "repo": service.repo, "branch": "feature/x", "files": {".github/CODEOWNERS": "* @nobody\n"}})
        delivery = wait_for(lambda: InboundDelivery.objects.filter(event="push", status="ignored").first())
        assert "not the default branch" in delivery.detail
        assert Run.objects.count() == runs


def test_a_deleted_repository_is_forgotten_at_once_and_its_service_retires_by_the_full_reads(hooked,
                                                                                             django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(hooked["tenant"]):
        service = Service.objects.filter(repo__startswith=f"{hooked['org']}/", hidden=False).order_by("name").first()
        owner, name = service.repo.split("/", 1)
        control(hooked["emulator"], f"/_emulator/repos/{owner}/{name}?wait=1", method="DELETE")
        delivery = wait_for(lambda: InboundDelivery.objects.filter(event="repository", action="deleted",
                                                                   status="applied").first())
        assert delivery.plan["forget"] == [name] and delivery.run.kind == Run.Kind.RECONCILE
        assert not Fact.objects.filter(external_id__startswith=f"github:repo/{owner}/{name}").exists()
        assert not Fact.objects.filter(external_id__startswith=f"github:codeowners/{owner}/{name}/").exists()
        wait_for(idle)
        delivery.run.refresh_from_db()
        assert delivery.run.status == "succeeded"
        service.refresh_from_db()
        assert service.missed_scans == 0  # a webhook never retires: only full reads count a service as missed
        with transaction.atomic():
            workflow.discover_workspace(Workspace.default(), trigger="test", scan_mode="full")
        wait_for(idle, timeout=300)
        service.refresh_from_db()
        assert service.missed_scans == 1


def test_a_delivery_signed_with_another_secret_is_refused_and_queues_nothing(hooked, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(hooked["tenant"]):
        url = f"http://{TENANT}.localhost:{hooked['port']}/webhooks/github/{hooked['github'].pk}/"
        rogue = control(hooked["emulator"], "/_emulator/hooks", {"url": url, "secret": "not-the-secret",
                                                                 "events": ["push"], "org": hooked["org"]})
        try:
            recorded = InboundDelivery.objects.count()
            repo = Fact.objects.filter(kind="github_repository").order_by("name").first()  # one that still exists
            sent = control(hooked["emulator"], "/_emulator/push?wait=1", {
                "repo": repo.attributes["full_name"], "files": {"README.md": "# rogue\n"}})
            assert answered(hooked["emulator"], sent) == {rogue["id"]: 401, hooked["hook"]["id"]: 202}
            assert InboundDelivery.objects.count() == recorded + 1  # the genuine one only
        finally:
            control(hooked["emulator"], f"/_emulator/hooks/{rogue['id']}", method="DELETE")
            wait_for(idle)
