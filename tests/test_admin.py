"""Every admin page an operator uses renders, and the correction view applies a correction."""
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from catalog import sync
from catalog.models import Service
from catalog.reconcile import reconcile
from peers.simulate import facts_from_scenario
from discovery.models import Run
from discovery.tests.factories import ConnectionFactory
from peers.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "sample-messy.yaml"


@pytest.fixture
def operator(workspace):
    user = get_user_model().objects.create_superuser("operator", password="pw")
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(user)
    facts, links = facts_from_scenario(load_scenario(SCENARIO))
    sync.sync_teams(facts, links)
    run = Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, selection_hash="x")
    sync.apply(reconcile(facts, links), run=run)
    return client


def test_every_changelist_renders(operator):
    for model in admin.site._registry:
        if model._meta.app_label in ("django_celery_beat", "portal"):
            continue  # public-schema models, not in a tenant's admin
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert operator.get(url).status_code == 200, url


def test_connection_page_shows_the_template_and_runs_now(operator):
    conn = ConnectionFactory()
    page = operator.get(reverse("admin:discovery_connection_change", args=[conn.pk])).content.decode()
    assert conn.external_id in page and "sts:ExternalId" in page
    response = operator.post(reverse("admin:discovery_connection_changelist"),
                             {"action": "run_now", "_selected_action": [str(conn.pk)]})
    assert response.status_code == 302 and conn.runs.count() == 1


def test_correction_view(operator):
    svc = Service.objects.get(name="pricing-service")
    url = reverse("admin:catalog_service_correct", args=[svc.pk])
    assert operator.get(url).status_code == 200
    response = operator.post(url, {"owner": "data", "tier": "critical", "reason": "handover"})
    assert response.status_code == 302
    svc.refresh_from_db()
    assert (svc.owner.slug, svc.tier, svc.owner_source) == ("data", "critical", "user_correction")
    assert svc.corrections.count() == 2
