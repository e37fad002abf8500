"""End to end: a scenario loaded into moto and the GitHub emulator, discovered through real Celery workers.

Stores exactly the scenario's AWS resources and GitHub objects as facts with provenance, adds no duplicates
on a second discovery, survives 30% throttling, reconciles into an accurate catalog, and keeps corrections.
"""
import json
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context
from accounts.testing import token_for
from rest_framework.test import APIClient

from peers.accuracy import score
from catalog.export import catalog_document
from catalog.models import Service
from discovery import facts as k
from discovery import workflow
from discovery.connectors.github import queries
from discovery.connectors.github.repo_facts import repo_batch, team_batch
from peers.demo import setup_tenant
from discovery.models import ACTIVE_STATUSES, Connection, Fact, FactLink, Run
from peers.scenario import load_scenario
from portal.models import Tenant
from portal.workspaces.models import Workspace
from tests.peers import drop_tenant

pytestmark = pytest.mark.e2e
SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "sample-messy.yaml"
AWS_KINDS = {"ecs": k.ECS_SERVICE, "lambda": k.LAMBDA_FUNCTION, "rds": k.RDS_INSTANCE, "sqs": k.SQS_QUEUE}


def discover_and_wait(tenant, timeout=240) -> list[Run]:
    with tenant_context(tenant):
        with transaction.atomic():
            result = workflow.discover_workspace(Workspace.default(), trigger="test")
        ids = [r.pk for r in result["runs"]] + [result["reconcile_run"].pk]
        deadline = time.monotonic() + timeout
        while Run.objects.filter(pk__in=ids, status__in=ACTIVE_STATUSES).exists():
            assert time.monotonic() < deadline, "discovery did not finish"
            time.sleep(0.3)
        return list(Run.objects.filter(pk__in=ids).order_by("kind"))


def expected_aws(scenario) -> set[tuple[str, str, str]]:
    out = set()
    for account in scenario["aws"]["accounts"]:
        for region in account["regions"]:
            acct = account["id"]
            out |= {(k.CFN_STACK, acct, s["name"]) for s in region["stacks"]}
            out |= {(k.ECS_CLUSTER, acct, c["name"]) for c in region["ecs_clusters"]}
            out |= {(k.ECS_SERVICE, acct, s["name"]) for c in region["ecs_clusters"] for s in c["services"]}
            out |= {(k.LAMBDA_FUNCTION, acct, f["name"]) for f in region["lambdas"]}
            out |= {(k.APIGW_REST_API if a["type"] == "REST" else k.APIGW_HTTP_API, acct, a["name"])
                    for a in region["apis"]}
            out |= {(k.RDS_INSTANCE, acct, d["id"]) for d in region["rds_instances"]}
            out |= {(k.SQS_QUEUE, acct, q["name"]) for q in region["sqs_queues"]}
            # ECR repository names are lowercase in AWS; a scenario's "TicketConsumer" is created as such.
            out |= {(k.ECR_REPOSITORY, acct, r.lower()) for r in region["ecr_repositories"]}
            out |= {(k.CLOUDWATCH_ALARM, acct, a["name"]) for a in region["alarms"]}
    return out


def expected_github(scenario) -> set[tuple[str, str]]:
    """What extraction yields from the scenario's own files: the emulator + client must deliver the same."""
    fetched = set(queries.FILE_PATHS.values())
    trees = tuple(path + "/" for path in queries.TREE_PATHS.values())
    out = set()
    for org in scenario["github"]["orgs"]:
        batch = team_batch(org["login"], org["teams"], org["members"])
        for repo in org["repos"]:
            if repo["archived"] or repo["fork"]:
                continue
            files = {p: t for p, t in repo["files"].items()
                     if p in fetched or any(p.startswith(t) and p.count("/") - t.count("/") <= 1 for t in trees)}
            rb = repo_batch(org["login"], {**repo, "files": files, "primary_language": repo["language"],
                                           "commits": [{"login": c["author"], "date": c["date"]}
                                                       for c in repo["commits"]]})
            batch.facts += rb.facts
            batch.links += rb.links
        out |= {(f.kind, f.external_id) for f in batch.facts}
        out |= {("link:" + link.relation, f"{link.source_id}->{link.target_id}") for link in batch.links}
    return out


@pytest.fixture(scope="module")
def messy(live_peers, live_workers, django_db_blocker):
    # live_peers before live_workers: the workers get the peers' URLs as the operator's endpoints.
    scenario = load_scenario(SCENARIO)
    with django_db_blocker.unblock():
        setup_tenant(scenario, aws_endpoint=live_peers["aws"], github_url=live_peers["github"],
                     tenant_name="e2e-messy")
        tenant = Tenant.objects.get(name="e2e-messy")
        yield scenario, tenant
        drop_tenant(tenant)


def test_discovery_stores_the_scenario_as_facts_once(messy, django_db_blocker):
    scenario, tenant = messy
    with django_db_blocker.unblock():
        runs = discover_and_wait(tenant)
        assert [r.status for r in runs] == ["succeeded"] * len(runs), [r.failures for r in runs]
        with tenant_context(tenant):
            stored = set(Fact.objects.filter(kind__in=k.AWS_KINDS).values_list("kind", "account", "name"))
            assert stored == expected_aws(scenario)
            github = set(Fact.objects.filter(kind__in=k.GITHUB_KINDS).values_list("kind", "external_id"))
            github |= {("link:" + rel, f"{s}->{t}") for s, rel, t in FactLink.objects.filter(
                relation__in=[k.MEMBER_OF, k.HAS_PERMISSION, k.CHILD_OF, k.DECLARES]).values_list(
                "source_id", "relation", "target_id")}
            assert github == expected_github(scenario)
            assert not Fact.objects.filter(provenance__run__isnull=True).exists()
            assert set(Fact.objects.values_list("provenance__operation", flat=True)) - {""}
            first = dict(Fact.objects.values_list("external_id", "first_seen"))
            counts = (Fact.objects.count(), FactLink.objects.count())

        again = discover_and_wait(tenant)
        assert all(r.status == "succeeded" for r in again)
        with tenant_context(tenant):
            assert (Fact.objects.count(), FactLink.objects.count()) == counts
            assert dict(Fact.objects.values_list("external_id", "first_seen")) == first
            assert Fact.objects.filter(last_seen_run__in=[r.pk for r in again]).count() == counts[0]
            report = score(catalog_document("e2e-messy"), scenario)
            assert report.recall >= 0.97 and report.accuracy >= 0.95, report
            assert not report.duplicates


def proxy_control(proxy_url: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(proxy_url + path, method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_thirty_percent_throttling_loses_nothing(messy, live_peers, django_db_blocker):
    # Workers scan AWS through the fault proxy (the operator's endpoint; a connection cannot name one).
    scenario, tenant = messy
    proxy = live_peers["aws_proxy"]
    proxy_control(proxy, "/_proxy/stats/reset", {})
    proxy_control(proxy, "/_proxy/settings", {"throttle_rate": 0.3, "seed": 7})
    try:
        with django_db_blocker.unblock():
            with tenant_context(tenant):
                before = Fact.objects.filter(kind__in=k.AWS_KINDS).count()
            runs = discover_and_wait(tenant)
            with tenant_context(tenant):
                scans = [r for r in runs if r.kind == "scan" and r.connection.provider == "aws"]
                assert all(r.status == "succeeded" for r in scans), [r.failures for r in scans]
                assert sum(r.stats["throttled"] for r in scans) > 0  # throttling happened and was absorbed
                assert Fact.objects.filter(kind__in=k.AWS_KINDS, last_seen_run__in=scans).count() == before
        assert proxy_control(proxy, "/_proxy/stats")["throttled"] > 0
    finally:
        proxy_control(proxy, "/_proxy/settings", {"throttle_rate": 0.0})


def test_corrections_survive_rediscovery(messy, django_db_blocker):
    scenario, tenant = messy
    with django_db_blocker.unblock():
        with tenant_context(tenant):
            from django.contrib.auth import get_user_model

            user, _ = get_user_model().objects.get_or_create(username="e2e-ops")
            token = token_for(user, "editor")
            service = Service.objects.filter(hidden=False, owner__isnull=False).order_by("name").first()
            other_team = (service.owner.__class__.objects.exclude(pk=service.owner_id).order_by("slug").first())
        client = APIClient(HTTP_HOST="e2e-messy.localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.patch(f"/api/v1/services/{service.pk}/", {"owner": other_team.slug, "tier": "critical",
                                                                     "correction_reason": "team reorg"},
                                format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["owner"]["slug"] == other_team.slug and body["owner"]["source"] == "user_correction"
        assert "improved_similar_services" in body
        discover_and_wait(tenant)
        with tenant_context(tenant):
            service.refresh_from_db()
            assert service.owner_id == other_team.pk and service.tier == "critical"
            assert service.corrections.count() == 2
        # The workers indexed the catalog: the corrected service is found, with its corrected owner.
        deadline = time.monotonic() + 30
        while True:
            hits = client.get("/api/v1/services/search", {"q": service.name[:5]}).json()["hits"]
            found = [h for h in hits if h["id"] == str(service.pk)]
            if found and found[0].get("team_slug", other_team.slug) == other_team.slug or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert found, hits


def test_two_tenants_discovered_at_once_each_see_only_their_own(messy, django_db_blocker):
    """A twin tenant connected to the same upstreams, both discoveries in flight together on the same
    workers: each schema ends with exactly the scenario's facts, written by its own runs, none of the other's."""
    from portal.tenancy import create_tenant

    scenario, tenant = messy
    with django_db_blocker.unblock():
        twin = create_tenant("e2e-twin", reset=True)
        try:
            with tenant_context(tenant):
                originals = [(c.provider, c.name, dict(c.config), c.get_secret()) for c in Connection.objects.all()]
            with tenant_context(twin):
                for provider, name, config, secret in originals:
                    conn = Connection(workspace=Workspace.default(), provider=provider, name=name, config=config)
                    conn.set_secret(secret)
                    conn.save()
            started = {}
            for each in (tenant, twin):  # both queued before either finishes
                with tenant_context(each), transaction.atomic():
                    result = workflow.discover_workspace(Workspace.default(), trigger="test")
                    started[each.name] = [r.pk for r in result["runs"]] + [result["reconcile_run"].pk]
            deadline = time.monotonic() + 300
            for each in (tenant, twin):
                with tenant_context(each):
                    while Run.objects.filter(pk__in=started[each.name], status__in=ACTIVE_STATUSES).exists():
                        assert time.monotonic() < deadline, "discovery did not finish"
                        time.sleep(0.3)
            for each in (tenant, twin):
                with tenant_context(each):
                    finished = Run.objects.filter(pk__in=started[each.name])
                    assert {r.status for r in finished} == {"succeeded"}, [r.failures for r in finished]
                    aws = set(Fact.objects.filter(kind__in=k.AWS_KINDS).values_list("kind", "account", "name"))
                    assert aws == expected_aws(scenario)
                    own_runs = {str(pk) for pk in Run.objects.values_list("pk", flat=True)}
                    provenance_runs = set(Fact.objects.values_list("provenance__run", flat=True))
                    assert provenance_runs <= own_runs, provenance_runs - own_runs
                    assert not Fact.objects.exclude(connection__in=Connection.objects.all()).exists()
        finally:
            twin.delete(force_drop=True)
