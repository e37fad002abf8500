"""The last deploy as the catalog keeps it: stored on the service, shown by the service API, and a change of it
recorded as a discovery event (``service_updated``, field ``last_deploy``) in the service's history."""
from __future__ import annotations

import pytest
from accounts.testing import token_for
from rest_framework.test import APIClient

from catalog import sync
from catalog.models import DiscoveryEvent, Service
from catalog.reconcile import reconcile
from discovery.models import Run
from peers.simulate import facts_from_scenario

from .test_last_deploy import deployment, ledger_company, run_of


@pytest.fixture
def run(workspace):
    return Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, selection_hash="x")


def persist(facts, links, run):
    sync.sync_teams(facts, links)
    return sync.apply(reconcile(facts, links, existing=sync.existing_inputs()), run=run)


def history(service):
    return list(DiscoveryEvent.objects.filter(service=service, field="last_deploy").order_by("id"))


def test_last_deploy_is_stored_served_and_its_changes_are_history(run, tenant_alpha):
    from django.contrib.auth import get_user_model

    facts, links = facts_from_scenario(ledger_company())
    first = deployment("ledger", "production", "2026-10-03T10:00:00Z")
    persist(facts + [first], links, run)
    ledger = Service.objects.get(name="ledger")
    assert (ledger.last_deploy["source"], ledger.last_deploy["by"]) == ("github_deployment", "alice")
    assert history(ledger) == []  # a new service's history starts with its creation

    client = APIClient(HTTP_HOST="alpha.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(get_user_model().objects.create_user('dev'), 'viewer')}")
    shown = client.get(f"/api/v1/services/{ledger.pk}/").json()["last_deploy"]
    assert shown == {**ledger.last_deploy, "at": "2026-10-03T10:00:00Z"} and shown["sha"] == "a" * 40

    # the same facts again: nothing changed, nothing recorded
    persist(facts + [first], links, run)
    assert history(ledger) == []

    # a deploy workflow ran later: the last deploy moves, and the history says from what to what
    later = run_of("ledger", ".github/workflows/deploy.yml", "2026-10-05T08:00:00Z")
    persist(facts + [first, later], links, run)
    ledger.refresh_from_db()
    assert (ledger.last_deploy["source"], ledger.last_deploy["sha"]) == ("github_actions", "b" * 40)
    (event,) = history(ledger)
    assert event.event_type == "service_updated" and event.run_id == run.pk
    assert (event.old_value["sha"], event.new_value["sha"]) == ("a" * 40, "b" * 40)
    listed = client.get(f"/api/v1/services/{ledger.pk}/events/").json()["results"]
    assert any(e["field"] == "last_deploy" and e["new_value"]["source"] == "github_actions" for e in listed)

    # GitHub says nothing any more: the service falls back to what AWS says (its image and task definition)
    persist(facts, links, run)
    ledger.refresh_from_db()
    assert (ledger.last_deploy["source"], ledger.last_deploy["revision"], ledger.last_deploy["image_tag"]) == \
        ("ecs", "ledger:1", "2.3.1")
    assert [e.new_value["source"] for e in history(ledger)] == ["github_actions", "ecs"]
