"""API list filters (django-filter FilterSets): each documented parameter, and a bad value is a 400, never a 500."""
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.testing import token_for
from audit.models import AuditEvent
from catalog.models import DiscoveryEvent, Service, Team
from discovery.models import Fact, Run, RunStatus
from discovery.tests.factories import ConnectionFactory, GithubConnectionFactory


def api(role: str) -> APIClient:
    client = APIClient(HTTP_HOST="alpha.localhost")
    user = get_user_model().objects.create_user(f"filters-{role}")
    client.credentials(HTTP_AUTHORIZATION="Token " + token_for(user, role))
    return client


@pytest.fixture
def viewer(in_alpha):
    return api("viewer")


@pytest.fixture
def admin(in_alpha):
    return api("admin")


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["results"]}


def bad(response, parameter: str) -> str:
    """A 400 whose body names the parameter with a message."""
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    assert parameter in body and body[parameter] and isinstance(body[parameter][0], str), body
    return body[parameter][0]


# --- services ---------------------------------------------------------------------------------------------

@pytest.fixture
def services(in_alpha):
    payments = Team.objects.create(slug="payments", name="Payments")
    search = Team.objects.create(slug="search", name="Search")
    made = {
        "gateway": dict(owner=payments, tier="critical", tech_stack=["Python", "Go"], confidence=0.9,
                        ownership_status="owned"),
        "ledger": dict(owner=payments, lifecycle="eol", tech_stack=["Java"], confidence=0.4,
                       ownership_status="ambiguous"),
        "indexer": dict(owner=search, lifecycle="staging", tech_stack=["JavaScript"], confidence=0.6,
                        ownership_status="owned"),
        "orphan": dict(tier="experimental", tech_stack=[], confidence=0.1, ownership_status="unowned"),
        "ghost": dict(owner=search, hidden=True),
    }
    for name, fields in made.items():
        Service.objects.create(key=f"key:{name}", name=name, **fields)
    return {"payments": payments, "search": search}


def test_services_hide_eol_unless_asked(viewer, services):
    url = "/api/v1/services/"
    assert names(viewer.get(url)) == {"gateway", "indexer", "orphan"}
    for yes in ("1", "true", "True"):
        assert names(viewer.get(url, {"include_eol": yes})) == {"gateway", "ledger", "indexer", "orphan"}
    for no in ("0", "false", ""):
        assert names(viewer.get(url, {"include_eol": no})) == {"gateway", "indexer", "orphan"}
    assert names(viewer.get(url, {"lifecycle": "eol"})) == {"ledger"}
    assert names(viewer.get(url, {"lifecycle": "staging"})) == {"indexer"}


def test_services_filters(viewer, services):
    url = "/api/v1/services/"
    assert names(viewer.get(url, {"team": "payments"})) == {"gateway"}
    assert names(viewer.get(url, {"team": "payments", "include_eol": "1"})) == {"gateway", "ledger"}
    assert names(viewer.get(url, {"team": "nobody"})) == set()
    assert names(viewer.get(url, {"tier": "critical"})) == {"gateway"}
    assert names(viewer.get(url, {"tier": "experimental"})) == {"orphan"}
    # language matches inside the tech stack, case-insensitively
    assert names(viewer.get(url, {"language": "python"})) == {"gateway"}
    assert names(viewer.get(url, {"language": "java", "include_eol": "1"})) == {"ledger", "indexer"}
    assert names(viewer.get(url, {"confidence_min": "0.5"})) == {"gateway", "indexer"}
    assert names(viewer.get(url, {"confidence_max": "0.6"})) == {"indexer", "orphan"}
    assert names(viewer.get(url, {"confidence_min": "0.2", "confidence_max": "0.8", "include_eol": "1"})) == {
        "ledger", "indexer"}
    assert names(viewer.get(url, {"ownership_status": "unowned"})) == {"orphan"}
    assert names(viewer.get(url, {"ownership_status": "ambiguous", "include_eol": "1"})) == {"ledger"}
    # empty values are no filter
    assert names(viewer.get(url, {"team": "", "tier": "", "confidence_min": ""})) == {"gateway", "indexer", "orphan"}


def test_services_filter_only_the_list(viewer, services):
    ledger = Service.objects.get(name="ledger")  # eol: left out of the list, but its page is there
    assert viewer.get(f"/api/v1/services/{ledger.pk}/", {"tier": "critical"}).status_code == 200
    assert viewer.get(f"/api/v1/services/{ledger.pk}/events/", {"confidence_min": "x"}).status_code == 200


def ordered(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["name"] for s in response.json()["results"]]


def test_services_sort_the_whole_catalog_server_side(viewer, services):
    url = "/api/v1/services/"
    assert ordered(viewer.get(url, {"ordering": "-confidence"})) == ["gateway", "indexer", "orphan"]
    assert ordered(viewer.get(url, {"ordering": "confidence", "limit": 2})) == ["orphan", "indexer"]  # not one page
    assert ordered(viewer.get(url, {"ordering": "confidence", "limit": 2, "offset": 2})) == ["gateway"]
    assert ordered(viewer.get(url, {"ordering": "team", "include_eol": "1"}))[:2] == ["gateway", "ledger"]  # ties by name
    assert ordered(viewer.get(url, {"ordering": "-status"})) == ["orphan", "gateway", "indexer"]


@pytest.mark.parametrize("parameter, value", [
    ("confidence_min", "x"), ("confidence_max", "1e"), ("confidence_min", "nan"), ("confidence_max", "inf"),
    ("lifecycle", "retired"), ("tier", "gold"), ("ownership_status", "mine"),
    ("team", "pay\x00ments"), ("language", "py\x00"), ("team", "t" * 101), ("ordering", "secret_field"),
    ("ordering", "owner__members"),
])
def test_services_bad_values_are_400(viewer, services, parameter, value):
    bad(viewer.get("/api/v1/services/", {parameter: value}), parameter)
    bad(viewer.get(f"/api/v1/teams/{services['payments'].pk}/services/", {parameter: value}), parameter)


def test_bad_filter_message(viewer, services):
    assert bad(viewer.get("/api/v1/services/", {"confidence_min": "x"}), "confidence_min") == "Enter a number."
    assert "retired" in bad(viewer.get("/api/v1/services/", {"lifecycle": "retired"}), "lifecycle")


def test_team_services_filters(viewer, services):
    url = f"/api/v1/teams/{services['payments'].pk}/services/"
    assert names(viewer.get(url)) == {"gateway"}
    assert names(viewer.get(url, {"include_eol": "1"})) == {"gateway", "ledger"}
    assert names(viewer.get(url, {"lifecycle": "eol"})) == {"ledger"}
    assert names(viewer.get(url, {"language": "go"})) == {"gateway"}
    assert names(viewer.get(url, {"confidence_min": "0.95"})) == set()


# --- runs and facts ---------------------------------------------------------------------------------------

@pytest.fixture
def discovered(workspace):
    aws, github = ConnectionFactory(name="aws-prod"), GithubConnectionFactory(name="github-acme")
    runs = {
        "aws-ok": Run.objects.create(workspace=workspace, connection=aws, status=RunStatus.SUCCEEDED,
                                     selection_hash="a"),
        "aws-queued": Run.objects.create(workspace=workspace, connection=aws, status=RunStatus.QUEUED,
                                         selection_hash="b"),
        "github-failed": Run.objects.create(workspace=workspace, connection=github, status=RunStatus.FAILED,
                                            selection_hash="c"),
        "reconcile": Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, status=RunStatus.SUCCEEDED,
                                        selection_hash="d"),
    }
    now = timezone.now()
    for conn, kind, name, account, region in [
        (aws, "lambda_function", "fn-eu", "111111111111", "eu-west-1"),
        (aws, "lambda_function", "fn-us", "111111111111", "us-east-1"),
        (aws, "ecs_service", "svc-us", "222222222222", "us-east-1"),
        (github, "repository", "acme/api", "", ""),
    ]:
        Fact.objects.create(workspace=workspace, connection=conn, kind=kind, external_id=f"id:{name}", name=name,
                            account=account, region=region, first_seen=now, last_seen=now)
    return {"aws": aws, "github": github, "runs": runs}


def run_ids(response) -> set:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def test_runs_filters(viewer, discovered):
    runs, url = discovered["runs"], "/api/v1/runs/"
    ids = {key: str(run.pk) for key, run in runs.items()}
    assert run_ids(viewer.get(url)) == set(ids.values())
    assert run_ids(viewer.get(url, {"status": "succeeded"})) == {ids["aws-ok"], ids["reconcile"]}
    assert run_ids(viewer.get(url, {"kind": "reconcile"})) == {ids["reconcile"]}
    assert run_ids(viewer.get(url, {"connection": discovered["aws"].pk})) == {ids["aws-ok"], ids["aws-queued"]}
    assert run_ids(viewer.get(url, {"connection": discovered["aws"].pk, "status": "queued"})) == {ids["aws-queued"]}
    assert run_ids(viewer.get(url, {"connection": uuid.uuid4()})) == set()


@pytest.mark.parametrize("parameter, value", [
    ("connection", "x"), ("connection", "1"), ("status", "done"), ("kind", "scan\x00"),
])
def test_runs_bad_values_are_400(viewer, discovered, parameter, value):
    bad(viewer.get("/api/v1/runs/", {parameter: value}), parameter)


def test_facts_filters(viewer, discovered):
    url = "/api/v1/facts/"
    assert names(viewer.get(url)) == {"fn-eu", "fn-us", "svc-us", "acme/api"}
    assert names(viewer.get(url, {"kind": "lambda_function"})) == {"fn-eu", "fn-us"}
    assert names(viewer.get(url, {"connection": discovered["github"].pk})) == {"acme/api"}
    assert names(viewer.get(url, {"account": "222222222222"})) == {"svc-us"}
    assert names(viewer.get(url, {"region": "us-east-1"})) == {"fn-us", "svc-us"}
    assert names(viewer.get(url, {"region": "us-east-1", "kind": "lambda_function"})) == {"fn-us"}


@pytest.mark.parametrize("parameter, value", [
    ("connection", "x"), ("kind", "k\x00"), ("account", "a" * 65), ("region", "\x00"),
])
def test_facts_bad_values_are_400(viewer, discovered, parameter, value):
    bad(viewer.get("/api/v1/facts/", {parameter: value}), parameter)


def test_workspace_that_is_no_slug_is_404_not_500(viewer, discovered):
    for url in ("/api/v1/runs/", "/api/v1/facts/"):
        assert viewer.get(url, {"workspace": "a\x00b"}).status_code == 404
        assert viewer.get(url, {"workspace": "nope"}).status_code == 404


# --- discovery events -------------------------------------------------------------------------------------

def test_discovery_event_filters(viewer, services, discovered):
    gateway, indexer = Service.objects.get(name="gateway"), Service.objects.get(name="indexer")
    run = discovered["runs"]["reconcile"]
    created = DiscoveryEvent.objects.create(run=run, service=gateway, service_name="gateway",
                                            event_type="service_created")
    owner = DiscoveryEvent.objects.create(run=run, service=indexer, service_name="indexer",
                                          event_type="ownership_changed")
    manual = DiscoveryEvent.objects.create(service=gateway, service_name="gateway", event_type="correction_applied")
    url = "/api/v1/discovery-events/"
    assert run_ids(viewer.get(url)) == {created.pk, owner.pk, manual.pk}
    assert run_ids(viewer.get(url, {"event_type": "ownership_changed"})) == {owner.pk}
    assert run_ids(viewer.get(url, {"run": run.pk})) == {created.pk, owner.pk}
    assert run_ids(viewer.get(url, {"service": gateway.pk})) == {created.pk, manual.pk}
    assert run_ids(viewer.get(url, {"service": gateway.pk, "run": run.pk})) == {created.pk}
    bad(viewer.get(url, {"run": "x"}), "run")
    bad(viewer.get(url, {"service": "12"}), "service")
    bad(viewer.get(url, {"event_type": "exploded"}), "event_type")


# --- audit events -----------------------------------------------------------------------------------------

def test_audit_event_filters(admin, in_alpha):
    one = AuditEvent.objects.create(action="filters.one", actor="ana", object_type="connection", object_id="c1")
    two = AuditEvent.objects.create(action="filters.two", actor="ana", object_type="user", object_id="u1")
    three = AuditEvent.objects.create(action="filters.one", actor="bob", object_type="connection", object_id="c2")
    url = "/api/v1/audit-events/"
    ours = {one.pk, two.pk, three.pk}
    assert run_ids(admin.get(url, {"action": "filters.one"})) == {one.pk, three.pk}
    assert run_ids(admin.get(url, {"actor": "ana"})) & ours == {one.pk, two.pk}
    assert run_ids(admin.get(url, {"object_type": "user", "actor": "ana"})) == {two.pk}
    assert run_ids(admin.get(url, {"object_id": "c2"})) == {three.pk}
    assert run_ids(admin.get(url, {"action": "filters.one", "actor": "bob"})) == {three.pk}
    bad(admin.get(url, {"actor": "x" * 151}), "actor")
    bad(admin.get(url, {"object_id": "c\x00"}), "object_id")
