"""The routing API: whom to page for a service, an ARN or a team (viewers), editors' confirmations and
corrections (audited, never overwritten by suggestions), the short cache and what drops it, hostile input."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.testing import token_for
from audit.models import AuditEvent
from catalog.models import Service, ServiceResource, Team
from oncall import cache, routing, routing_fields
from oncall.models import EscalationPolicy, OnCallConnection, OnCallSchedule, PagerDutyService

pytestmark = pytest.mark.django_db
ARN = "arn:aws:ecs:us-east-1:444455556666:service/prod/payment-gateway"


@pytest.fixture(autouse=True)
def _fresh_routing_cache(in_alpha):
    """Tests roll their rows back, not Redis: each starts with none of the tenant's earlier answers."""
    cache.bump()


@pytest.fixture
def clients(in_alpha):
    made = {}
    for role in ("viewer", "editor"):
        client = APIClient(HTTP_HOST="alpha.localhost")
        client.credentials(HTTP_AUTHORIZATION="Token " + token_for(
            get_user_model().objects.create_user(f"oncall-{role}"), role))
        made[role] = client
    return made


@pytest.fixture
def world(workspace):
    now = timezone.now()
    conn = OnCallConnection.objects.create(workspace=workspace, provider="pagerduty", name="pd")
    payments = Team.objects.create(slug="payments", name="Payments", slack_channel="#payments",
                                   pagerduty_schedule_id="PPAYPRI", contact_email="payments@oncall.test")
    search = Team.objects.create(slug="search", name="Search", slack_channel="#search")
    OnCallSchedule.objects.create(
        connection=conn, provider="pagerduty", external_id="PPAYPRI", name="Payments Primary", synced_at=now,
        current=[{"name": "Alice Ng", "email": "alice@oncall.test"}], current_until=now + timedelta(hours=3),
        upcoming=[{"name": "Bob Stone", "email": "bob@oncall.test"}], upcoming_until=now + timedelta(hours=27))
    EscalationPolicy.objects.create(connection=conn, external_id="PEP1", name="Payments Escalation", synced_at=now,
                                    schedule_ids=["PPAYPRI"], levels=[{"level": 1, "delay_minutes": 15}])
    PagerDutyService.objects.create(connection=conn, external_id="PSVC", name="payment-gateway",
                                    normalized_name="payment gateway", escalation_policy_id="PEP1", synced_at=now)
    gateway = Service.objects.create(name="payment-gateway", key="payment-gateway", owner=payments,
                                     ownership_status="owned", owner_confidence=0.91)
    ServiceResource.objects.create(service=gateway, external_id=ARN, kind="ecs_service", name="payment-gateway")
    cron = Service.objects.create(name="mystery-cron", key="mystery-cron", ownership_status="ambiguous",
                                  owner_confidence=0.4, owner_candidates=[{"team": "search", "score": 0.41},
                                                                          {"team": "payments", "score": 0.4},
                                                                          {"team": "gone", "score": 0.1}])
    return {"payments": payments, "search": search, "gateway": gateway, "cron": cron, "conn": conn, "now": now}


def test_whom_to_page_for_a_service(clients, world):
    response = clients["viewer"].get(f"/api/v1/services/{world['gateway'].pk}/routing/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["service"] == {"id": str(world["gateway"].pk), "name": "payment-gateway"}
    assert body["team"] == {"id": str(world["payments"].pk), "slug": "payments", "name": "Payments"}
    assert (body["ownership_status"], body["owner_confidence"]) == ("owned", 0.91)
    assert (body["slack_channel"], body["contact_email"]) == ("#payments", "payments@oncall.test")
    assert [(p["name"], p["email"], p["provider"], p["schedule"]) for p in body["oncall"]] == [
        ("Alice Ng", "alice@oncall.test", "pagerduty", "Payments Primary")]
    assert body["next_handover_at"] == body["oncall"][0]["until"]
    assert [p["name"] for p in body["next_oncall"]] == ["Bob Stone"]
    assert body["next_oncall"][0]["from"] == body["next_handover_at"]
    assert body["escalation_policy"]["name"] == "Payments Escalation"
    assert body["candidates"] == []


def test_whom_to_page_for_an_arn_as_catalog_takes_it(clients, world):
    body = clients["viewer"].get(f"/api/v1/resources/{ARN}/routing/").json()
    assert body["resource"] == {"arn": ARN, "type": "ecs_service", "name": "payment-gateway"}
    assert body["team"]["slug"] == "payments" and body["oncall"][0]["name"] == "Alice Ng"
    assert clients["viewer"].get(f"/api/v1/resources/{ARN}/routing").status_code == 200  # no trailing slash
    assert clients["viewer"].get(f"/api/v1/resources/{ARN}/service/").json()["name"] == "payment-gateway"
    for missing in ("arn:aws:lambda:us-east-1:1:function:nope", "x", "../../teams", "%00", "a%0Ab", "x" * 600,
                    ARN + "/routing"):
        assert clients["viewer"].get(f"/api/v1/resources/{missing}/routing/").status_code == 404


def test_ambiguous_and_unowned_services_say_so_and_list_the_candidates(clients, world):
    body = clients["viewer"].get(f"/api/v1/services/{world['cron'].pk}/routing/").json()
    assert body["team"] is None and body["ownership_status"] == "ambiguous" and body["oncall"] == []
    assert [(c["team"]["slug"], c["score"], c["slack_channel"]) for c in body["candidates"]] == [
        ("search", 0.41, "#search"), ("payments", 0.4, "#payments")]


def test_missing_or_hidden_services_are_404(clients, world):
    Service.objects.filter(pk=world["gateway"].pk).update(hidden=True)
    assert clients["viewer"].get(f"/api/v1/services/{world['gateway'].pk}/routing/").status_code == 404
    assert clients["viewer"].get(f"/api/v1/resources/{ARN}/routing/").status_code == 404
    assert clients["viewer"].get("/api/v1/services/not-a-uuid/routing/").status_code == 404


def test_a_teams_routing_and_its_fields_in_the_team_api(clients, world):
    body = clients["viewer"].get(f"/api/v1/teams/{world['payments'].pk}/routing/").json()
    assert body["service"] is None and body["ownership_status"] is None and body["team"]["slug"] == "payments"
    assert body["oncall"][0]["email"] == "alice@oncall.test"
    team = clients["viewer"].get(f"/api/v1/teams/{world['payments'].pk}/").json()
    assert (team["slack_channel"], team["pagerduty_schedule_id"], team["routing_sources"]) == ("#payments", "PPAYPRI",
                                                                                              {})


def test_only_editors_change_routing_and_each_change_is_audited(clients, world):
    url = f"/api/v1/teams/{world['search'].pk}/routing/"
    assert clients["viewer"].patch(url, {"slack_channel": "#x"}, format="json").status_code == 403
    response = clients["editor"].patch(url, {"slack_channel": "search-oncall", "contact_email": "s@oncall.test",
                                             "reason": "moved channel"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["slack_channel"], body["contact_email"]) == ("#search-oncall", "s@oncall.test")
    assert body["routing_sources"]["slack_channel"]["source"] == "corrected"
    assert body["routing_sources"]["slack_channel"]["by"] == "oncall-editor"
    event = AuditEvent.objects.get(action="team.routing_changed")
    assert event.actor == "oncall-editor" and event.data["reason"] == "moved channel"
    assert event.data["changes"]["slack_channel"] == {"old": "#search", "new": "#search-oncall", "source": "corrected",
                                                      "was": "confirmed"}


def test_confirming_a_suggestion_keeps_it_and_says_who(clients, world):
    team = world["search"]
    team.pagerduty_schedule_id = "PSRCH1"
    team.routing_sources = {"pagerduty_schedule_id": {"source": "suggested", "by": routing_fields.SUGGESTER,
                                                      "score": 0.93, "from": 'PagerDuty schedule "Search"'}}
    team.save()
    response = clients["editor"].patch(f"/api/v1/teams/{team.pk}/routing/", {"confirm": ["pagerduty_schedule_id"]},
                                       format="json")
    entry = response.json()["routing_sources"]["pagerduty_schedule_id"]
    assert (entry["source"], entry["by"], entry["confirmed_suggestion"]["score"]) == ("confirmed", "oncall-editor",
                                                                                      0.93)
    assert Team.objects.get(pk=team.pk).pagerduty_schedule_id == "PSRCH1"
    OnCallSchedule.objects.create(connection=world["conn"], provider="pagerduty", external_id="PSRCH9", name="Search",
                                  synced_at=timezone.now())
    routing_fields.apply_suggestions()  # a better-looking candidate now: a confirmed value stays
    assert Team.objects.get(pk=team.pk).pagerduty_schedule_id == "PSRCH1"


@pytest.mark.parametrize("payload", [
    {"slack_channel": "#../../admin"}, {"slack_channel": "<!channel>"}, {"slack_channel": "x" * 90},
    {"contact_email": "not-an-email"}, {"contact_email": "a@b.c\r\nBcc: x@y.z"},
    {"pagerduty_schedule_id": "../../users"}, {"pagerduty_schedule_id": "https://collector.example/"},
    {"opsgenie_team_id": "http://169.254.169.254/"}, {"opsgenie_team_id": "a/../b"},
    {"confirm": ["owner"]}, {"confirm": "slack_channel"}, {}, {"reason": "only a reason"},
    {"slack_channel": ["#a"]}, {"contact_email": None},
])
def test_hostile_or_empty_changes_are_a_clear_400(clients, world, payload):
    response = clients["editor"].patch(f"/api/v1/teams/{world['payments'].pk}/routing/", payload, format="json")
    assert response.status_code == 400, (payload, response.content)
    assert isinstance(response.json(), dict) and response.json()
    assert Team.objects.get(pk=world["payments"].pk).slack_channel == "#payments"


def test_answers_are_cached_and_dropped_on_routing_changes_and_syncs(clients, world,
                                                                     django_capture_on_commit_callbacks):
    url = f"/api/v1/services/{world['gateway'].pk}/routing/"
    with django_capture_on_commit_callbacks(execute=True):
        cache.bump()
    first, second = clients["viewer"].get(url), clients["viewer"].get(url)
    assert (first["X-Roster-Cache"], second["X-Roster-Cache"]) == ("miss", "hit")
    assert second.json() == first.json()
    with django_capture_on_commit_callbacks(execute=True):
        clients["editor"].patch(f"/api/v1/teams/{world['payments'].pk}/routing/", {"slack_channel": "#pay-ops"},
                                format="json")
    changed = clients["viewer"].get(url)
    assert changed["X-Roster-Cache"] == "miss" and changed.json()["slack_channel"] == "#pay-ops"
    assert clients["viewer"].get(url)["X-Roster-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        cache.bump_on_commit()  # what every sync does when it stores what it read
    assert clients["viewer"].get(url)["X-Roster-Cache"] == "miss"


def test_cached_answers_belong_to_one_tenant(world, tenant_beta):
    from django_tenants.utils import tenant_context

    ident = str(world["gateway"].pk)
    assert cache.answer("service", ident, lambda: {"tenant": "alpha"}) == (b'{"tenant":"alpha"}', False)
    assert cache.answer("service", ident, lambda: {"tenant": "other"}) == (b'{"tenant":"alpha"}', True)
    with tenant_context(tenant_beta):
        assert cache.answer("service", ident, lambda: None) == (None, False)  # computed in beta, not alpha's
        cache.bump()  # beta's generation only
    assert cache.answer("service", ident, lambda: {"tenant": "other"})[1] is True


def test_routing_rolls_forward_past_a_handover_between_syncs(world):
    later = world["now"] + timedelta(hours=4)
    answer = routing.for_service(world["gateway"], now=later)
    assert [p["name"] for p in answer["oncall"]] == ["Bob Stone"] and answer["next_oncall"] == []
    assert answer["as_of"] is not None
