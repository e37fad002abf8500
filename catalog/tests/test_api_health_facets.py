"""The director view's health overview, the services list's health/environment/source filters and facet counts,
and the relationships of a service's page."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts.testing import token_for
from catalog.models import Service, ServiceResource, Team
from discovery.models import FactLink
from discovery.tests.factories import ConnectionFactory
from portal.workspaces.models import Workspace

HEALTH = "/api/v1/dashboard/health/"
LIST = "/api/v1/services/"


def client_for(host: str, name: str, role: str = "viewer") -> APIClient:
    client = APIClient(HTTP_HOST=host)
    client.credentials(HTTP_AUTHORIZATION="Token " + token_for(get_user_model().objects.create_user(name), role))
    return client


@pytest.fixture
def viewer(in_alpha):
    return client_for("alpha.localhost", "health-viewer")


@pytest.fixture
def catalog(in_alpha):
    payments = Team.objects.create(slug="payments", name="Payments")
    search = Team.objects.create(slug="search", name="Search")
    rows = {
        "gateway": dict(owner=payments, tier="critical", health="down", environments=["prod", "staging"],
                        sources=["ecs_service", "github_repo"], tech_stack=["Go"]),
        "billing": dict(owner=payments, tier="standard", health="down", environments=["prod"],
                        sources=["lambda_function"], tech_stack=["Python"]),
        "indexer": dict(owner=search, tier="critical", health="degraded", environments=["preprod"],
                        sources=["lambda_function", "github_repo"], tech_stack=["Python"]),
        "crawler": dict(owner=search, health="healthy", environments=["prod"], sources=["github_repo"]),
        "orphan": dict(health="unknown", environments=[], sources=["github_repo"]),
        "ledger": dict(owner=payments, lifecycle="eol", health="down", environments=["prod"]),  # eol: left out
        "ghost": dict(owner=search, health="down", hidden=True),  # merged away: left out
    }
    return {name: Service.objects.create(key=f"key:{name}", name=name, **fields) for name, fields in rows.items()}


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {s["name"] for s in response.json()["results"]}


# --- GET /api/v1/dashboard/health/ --------------------------------------------------------------------------

def test_health_overview_counts_and_the_worst_services_first(viewer, catalog):
    response = viewer.get(HEALTH)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("total", "healthy", "degraded", "down", "unknown")} == {
        "total": 5, "healthy": 1, "degraded": 1, "down": 2, "unknown": 1}
    # down before degraded, critical before standard; each row links to its service and owner team
    assert [s["name"] for s in body["unhealthy"]] == ["gateway", "billing", "indexer"]
    first = body["unhealthy"][0]
    assert first == {"id": str(catalog["gateway"].pk), "name": "gateway", "health": "down", "tier": "critical",
                     "lifecycle": "production", "team_slug": "payments", "team_name": "Payments"}


def test_health_overview_answers_an_empty_catalog(viewer):
    body = viewer.get(HEALTH).json()
    assert body["total"] == 0 and body["unhealthy"] == [] and body["down"] == 0


def test_health_overview_needs_a_sign_in(in_alpha, catalog):
    assert APIClient(HTTP_HOST="alpha.localhost").get(HEALTH).status_code in (401, 403)


def test_health_overview_stays_in_its_tenant(tenant_alpha, tenant_beta):
    """beta's numbers never count alpha's services; alpha's token on beta's host is refused."""
    with tenant_context(tenant_alpha):
        Service.objects.create(key="a", name="alpha-only", health="down")
        alpha = client_for("alpha.localhost", "alpha-health")
        assert alpha.get(HEALTH).json()["down"] == 1
    with tenant_context(tenant_beta):
        beta = client_for("beta.localhost", "beta-health")
        body = beta.get(HEALTH).json()
    assert body["total"] == 0 and body["unhealthy"] == []
    alpha.defaults["HTTP_HOST"] = "beta.localhost"
    assert alpha.get(HEALTH).status_code == 401


# --- filters and facets -------------------------------------------------------------------------------------

def test_health_environment_and_source_filters(viewer, catalog):
    assert names(viewer.get(LIST, {"health": "down"})) == {"gateway", "billing"}
    assert names(viewer.get(LIST, {"health": "down", "include_eol": "1"})) == {"gateway", "billing", "ledger"}
    # one exact environment of the list: "prod" is not "preprod"
    assert names(viewer.get(LIST, {"environment": "prod"})) == {"gateway", "billing", "crawler"}
    assert names(viewer.get(LIST, {"environment": "staging", "health": "down"})) == {"gateway"}
    assert names(viewer.get(LIST, {"source": "lambda_function"})) == {"billing", "indexer"}
    assert names(viewer.get(LIST, {"source": "github", "environment": ""})) == set()
    team = catalog["gateway"].owner
    assert names(viewer.get(f"/api/v1/teams/{team.pk}/services/", {"environment": "prod", "health": "down"})) == {
        "gateway", "billing"}


@pytest.mark.parametrize("parameter, value", [
    ("health", "sick"), ("environment", "pr\x00d"), ("environment", "e" * 101), ("source", "s\x00"),
    ("facets", "maybe"),
])
def test_bad_values_are_400(viewer, catalog, parameter, value):
    response = viewer.get(LIST, {parameter: value})
    assert response.status_code == 400, response.content
    assert parameter in response.json()


def test_facets_count_each_value_with_every_other_filter_applied(viewer, catalog):
    assert "facets" not in viewer.get(LIST).json()  # only when asked
    facets = viewer.get(LIST, {"facets": "true"}).json()["facets"]
    assert facets["health"] == {"down": 2, "degraded": 1, "healthy": 1, "unknown": 1}
    assert facets["environment"] == {"prod": 3, "preprod": 1, "staging": 1}
    assert facets["source"] == {"github_repo": 4, "lambda_function": 2, "ecs_service": 1}
    assert facets["team"] == {"payments": 2, "search": 2}
    assert facets["tier"] == {"critical": 2, "standard": 3}
    assert facets["language"] == {"Python": 2, "Go": 1}
    assert set(facets) == {"team", "lifecycle", "tier", "language", "ownership_status", "health", "environment",
                           "source"}

    body = viewer.get(LIST, {"facets": "true", "health": "down", "environment": "prod"}).json()
    assert {s["name"] for s in body["results"]} == {"gateway", "billing"}
    facets = body["facets"]
    # a facet ignores its own filter (choose another value) and applies the others
    assert facets["health"] == {"down": 2, "healthy": 1}  # prod services by health
    assert facets["environment"] == {"prod": 2, "staging": 1}  # down services by environment
    assert facets["team"] == {"payments": 2}
    assert facets["source"] == {"ecs_service": 1, "github_repo": 1, "lambda_function": 1}


def test_facets_cost_one_query_however_large_the_catalog(viewer, catalog):
    def count(params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert viewer.get(LIST, params).status_code == 200
        return len(captured)

    count({"facets": "true"})  # warm: token lookup cached
    small = count({"facets": "true", "health": "down"})
    plain = count({"health": "down"})
    for i in range(30):
        Service.objects.create(key=f"more-{i}", name=f"more-{i}", health="down", environments=[f"env-{i}"],
                               sources=["lambda_function"], tech_stack=["Rust"])
    assert count({"facets": "true", "health": "down"}) == small == plain + 1


# --- relationships on a service's page ----------------------------------------------------------------------

ARN = "arn:aws:{}:us-east-1:111111111111:{}"


def test_the_service_page_has_its_relationships_as_nodes_and_edges(viewer, catalog):
    service = catalog["gateway"]
    service.repo, service.repo_rule = "acme/gateway", "ecr_image"
    service.save()
    api, fn, queue, image = (ARN.format("apigateway", "/restapis/abc"), ARN.format("lambda", "function:gw"),
                             ARN.format("sqs", "gw-jobs"), ARN.format("ecr", "repository/gateway"))
    other = ARN.format("lambda", "function:not-ours")
    for arn, kind, name in ((api, "apigateway_rest_api", "gw-api"), (fn, "lambda_function", "gw"),
                            (queue, "sqs_queue", "gw-jobs"), (image, "ecr_repository", "gateway")):
        ServiceResource.objects.create(service=service, external_id=arn, kind=kind, name=name)
    ServiceResource.objects.create(service=catalog["billing"], external_id=other, kind="lambda_function", name="x")
    conn, now = ConnectionFactory(name="rel"), timezone.now()
    for source, relation, target in ((api, "integrates", fn), (queue, "triggers", fn), (api, "integrates", other),
                                     (queue, "triggers", other)):
        FactLink.objects.create(workspace=Workspace.default(), connection=conn, source_kind="", source_id=source,
                                relation=relation, target_kind="", target_id=target, provenance={}, first_seen=now,
                                last_seen=now)
    body = viewer.get(f"/api/v1/services/{service.pk}/").json()["relationships"]
    assert {n["id"]: n["kind"] for n in body["nodes"]} == {
        api: "apigateway_rest_api", fn: "lambda_function", queue: "sqs_queue", image: "ecr_repository",
        "github:repo/acme/gateway": "github_repository"}
    # links to another service's resources are not this service's to show
    assert sorted((e["source"], e["relation"], e["target"]) for e in body["edges"]) == sorted([
        (api, "integrates", fn), (queue, "triggers", fn), (image, "built_from", "github:repo/acme/gateway")])


def test_a_service_without_resources_has_no_edges(viewer, catalog):
    body = viewer.get(f"/api/v1/services/{catalog['orphan'].pk}/").json()["relationships"]
    assert body == {"nodes": [], "edges": []}
