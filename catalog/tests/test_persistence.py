"""Persisting reconcile results (and the ownership step after it): identity, minimal rewrites, corrections,
staleness and the API."""
from pathlib import Path

import pytest
from django.test import override_settings
from accounts.testing import token_for
from rest_framework.test import APIClient

from catalog import staleness, sync
from catalog.models import DiscoveryEvent, RetirementHold, Service, ServiceResource, Team
from catalog.reconcile import reconcile
from peers.simulate import facts_from_scenario
from discovery.models import Run
from ownership import inference
from ownership.corrections import correct, similar_services
from peers.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "sample-messy.yaml"


@pytest.fixture(scope="module")
def inputs():
    return facts_from_scenario(load_scenario(SCENARIO))


@pytest.fixture
def run(workspace):
    return Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, selection_hash="x")


def persist(inputs, run, facts=None):
    """Reconcile and persist, then the ownership step, as a discovery does (catalog.actions, ownership.tasks)."""
    facts_, links = inputs
    facts_ = facts if facts is not None else facts_
    sync.sync_teams(facts_, links)
    stats = sync.apply(reconcile(facts_, links, existing=sync.existing_inputs()), run=run)
    stats["owners"] = inference.infer(run.pk)
    return stats


def test_first_reconcile_creates_services_with_provenance(inputs, run):
    stats = persist(inputs, run)
    assert stats["services_created"] == Service.objects.count() == 42
    assert Team.objects.filter(slug="payments").exists()
    svc = Service.objects.get(name="pricing-service")
    assert svc.repo == "globex/pricing-service" and svc.owner.slug == "commerce"
    assert svc.evidence and svc.resources.filter(kind="cloudformation_stack").exists()
    assert set(Service.objects.get(name="analytics-hub").environments) >= {"prod", "staging"}
    assert DiscoveryEvent.objects.filter(service=svc, event_type="service_created").exists()
    assert DiscoveryEvent.objects.filter(service=svc, event_type="ownership_changed", new_value="commerce").exists()


def test_rerun_keeps_ids_and_rewrites_nothing(inputs, run):
    persist(inputs, run)
    ids = dict(Service.objects.values_list("name", "id"))
    events = DiscoveryEvent.objects.count()
    stats = persist(inputs, run)
    assert dict(Service.objects.values_list("name", "id")) == ids
    assert stats["services_unchanged"] == 42 and stats["services_updated"] == stats["services_created"] == 0
    assert DiscoveryEvent.objects.count() == events


def test_corrections_are_never_overwritten(inputs, run):
    persist(inputs, run)
    svc = Service.objects.get(name="pricing-service")
    result = correct(svc, "owner", "logistics", user="ops", reason="reorg")
    correct(svc, "repo", "globex/pricing-v2", user="ops")
    correct(svc, "lifecycle", "experimental", user="ops")
    assert result["correction"].old_value == "commerce" and result["correction"].new_value == "logistics"
    Service.objects.filter(pk=svc.pk).update(fingerprint="stale")  # force a rewrite on the next run
    persist(inputs, run)
    svc.refresh_from_db()
    assert (svc.owner.slug, svc.owner_source, svc.repo, svc.lifecycle) == (
        "logistics", "user_correction", "globex/pricing-v2", "experimental")


def test_owner_correction_propagates_to_similar_services(inputs, run):
    persist(inputs, run)
    source = Service.objects.get(name="upload-worker")
    # by hand, from sample-messy.yaml: the two other "upload-" services look like it, nothing else does
    assert [s.name for s in similar_services(source, list(Service.objects.exclude(pk=source.pk)))] == [
        "upload-engine", "upload-processor"]
    result = correct(source, "owner", "risk", user="ops")
    assert result["propagated"] == 2
    propagated = Service.objects.filter(owner_source="correction_propagated").order_by("name")
    assert [(s.name, s.owner.slug, s.owner_confidence) for s in propagated] == [
        ("upload-engine", "risk", 0.85), ("upload-processor", "risk", 0.85)]


def test_merge_split_and_not_a_service(inputs, run):
    persist(inputs, run)
    a, b = Service.objects.get(name="media-worker"), Service.objects.get(name="media-manager")
    correct(a, "merge", b.name, user="ops")
    assert ServiceResource.objects.filter(service=a).count() == 0 and "media-worker" in Service.objects.get(
        pk=b.pk).aliases
    arn = b.resources.filter(kind="ecs_service").first().external_id
    split = correct(b, "split", {"name": "media-manager-ecs", "resources": [arn]}, user="ops")["service"]
    assert ServiceResource.objects.get(external_id=arn).service_id == split.pk
    correct(Service.objects.get(name="log-shipper"), "not_a_service", True, user="ops")
    Service.objects.update(fingerprint="stale")
    persist(inputs, run)
    assert Service.objects.get(pk=a.pk).hidden and Service.objects.get(name="log-shipper").hidden
    assert ServiceResource.objects.get(external_id=arn).service_id == split.pk  # the split holds
    assert not ServiceResource.objects.filter(service=a).exists()  # merged resources stay with the target


def test_staleness_counts_only_successful_full_scans(inputs, run):
    persist(inputs, run)
    gone = Service.objects.get(name="cost-reporter")
    facts, _ = inputs
    without = [f for f in facts if "cost-reporter" not in f.external_id]
    for missed in range(1, 6):
        stats = persist(inputs, run, facts=without)
        staleness.apply(stats["unseen_ids"], run=run, count_as_missed=True)
        gone.refresh_from_db()
        assert gone.missed_scans == missed
        assert gone.lifecycle == {1: "production", 2: "production", 3: "deprecated", 4: "deprecated",
                                  5: "eol"}[missed]
    stats = persist(inputs, run, facts=without)
    assert staleness.apply(stats["unseen_ids"], run=run, count_as_missed=False)["missed"] == 0  # partial run
    persist(inputs, run)  # seen again: alive
    gone.refresh_from_db()
    assert (gone.lifecycle, gone.missed_scans) == ("production", 0)


@override_settings(ROSTER_RETIRE_GUARD_RATIO=0.20)
def test_retiring_too_much_at_once_is_held_for_approval(inputs, run):
    persist(inputs, run)
    Service.objects.update(missed_scans=2)
    facts, _ = inputs
    half = {s.name for s in Service.objects.order_by("name")[:21]}
    kept = [f for f in facts if not any(n in f.external_id for n in half)]
    stats = persist(inputs, run, facts=kept)
    result = staleness.apply(stats["unseen_ids"], run=run, count_as_missed=True)
    assert result["held"] > 0 and result["retired"] == 0
    assert not Service.objects.filter(lifecycle="deprecated").exists()
    hold = RetirementHold.objects.get()
    assert staleness.approve(hold, user="ops") == result["held"]
    assert Service.objects.filter(lifecycle="deprecated").count() == result["held"]
    from audit.models import AuditEvent

    approval = AuditEvent.objects.get(action="retirement.approved")
    assert approval.actor == "ops" and len(approval.data["services"]) == result["held"]


def test_services_api(inputs, run, tenant_alpha):
    from django.contrib.auth import get_user_model

    persist(inputs, run)
    user = get_user_model().objects.create_user("reader")
    client = APIClient(HTTP_HOST="alpha.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, 'editor')}")
    listed = client.get("/api/v1/services/", {"team": "identity", "limit": 500}).json()
    assert listed["count"] == Service.objects.filter(owner__slug="identity").count() > 0
    svc = Service.objects.get(name="pricing-service")
    detail = client.get(f"/api/v1/services/{svc.pk}/").json()
    assert detail["owner"]["slug"] == "commerce" and detail["repository"]["full_name"] == "globex/pricing-service"
    assert detail["infrastructure"]["aws_resources"] and detail["owner"]["confidence"] > 0.5
    arn = detail["infrastructure"]["aws_resources"][0]["arn"]
    assert client.get(f"/api/v1/resources/{arn}/service/").json()["name"] == "pricing-service"
    for hostile in (arn + "%00", "x" * 600):  # a NUL byte, a path longer than any ARN: not found, never a 500
        assert client.get(f"/api/v1/resources/{hostile}/service/").status_code == 404
    team = Team.objects.get(slug="commerce")
    names = [s["name"] for s in client.get(f"/api/v1/teams/{team.pk}/services/", {"limit": 500}).json()["results"]]
    assert "pricing-service" in names
    response = client.patch(f"/api/v1/services/{svc.pk}/", {"team_id": str(Team.objects.get(slug="data").pk),
                                                             "correction_reason": "moved"}, format="json")
    assert response.status_code == 200 and response.json()["owner"]["source"] == "user_correction"
    assert client.patch(f"/api/v1/services/{svc.pk}/", {"lifecycle": "nonsense"}, format="json").status_code == 400
    events = client.get("/api/v1/discovery-events/", {"service": str(svc.pk)}).json()["results"]
    assert {"service_created", "correction_applied"} <= {e["event_type"] for e in events}


def test_teams_of_two_organizations_sharing_a_slug_are_two_teams(workspace):
    """An acquired company's ``payments`` team is not the parent's: both are kept, as ``org/slug``."""
    from peers.simulate import records_from_scenario, as_views

    orgs = [{"login": login, "name": login.title(), "members": [{"login": person}], "repos": [],
             "teams": [{"slug": "payments", "name": "Payments", "members": [person]},
                       {"slug": "payments-ops", "name": "Payments Ops", "parent": "payments", "members": [person]}
                       if login == "tessaro" else {"slug": "risk", "name": "Risk", "members": [person]}]}
            for login, person in (("tessaro", "ana"), ("quillpay", "bo"))]
    facts, links = as_views(*records_from_scenario({"aws": {"accounts": []}, "github": {"orgs": orgs}}))
    teams = sync.sync_teams(facts, links)
    assert sorted(teams) == ["payments-ops", "quillpay/payments", "risk", "tessaro/payments"]
    assert Team.objects.get(slug="quillpay/payments").members == ["bo"]
    assert Team.objects.get(slug="payments-ops").parent.slug == "tessaro/payments"


def test_a_team_slug_may_name_its_organization_but_nothing_else():
    """org/slug (two connected organizations share the slug) is valid where a team slug is edited; paths are not."""
    from django.core.exceptions import ValidationError

    from catalog.models import TEAM_SLUG

    for ok in ("payments", "quillpay/payments", "team_a-1"):
        TEAM_SLUG(ok)
    for bad in ("a/b/c", "../x", "/payments", "payments/", "pay ments", "x\n"):
        with pytest.raises(ValidationError):
            TEAM_SLUG(bad)
