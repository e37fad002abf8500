"""Sync against the local peers (served in threads) into a tenant's tables: schedules and who is on call, the
suggestions it applies (never over a person's value), failures as reason codes that keep the last good data and
never carry the key, and where a key may go (SSRF)."""
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from catalog.models import Team
from discovery.endpoints import EndpointRefused, outbound_guard
from oncall import endpoints, routing_fields
from oncall.admin import OnCallConnectionForm
from oncall.models import EscalationPolicy, OnCallConnection, OnCallSchedule, OnCallTeam, PagerDutyService
from oncall.sync import sync_all, sync_connection
from oncall.vendors import opsgenie
from oncall.vendors.http import OnCallFailure
from peers import opsgenie_peer, pagerduty_peer
from peers.scenario import load_scenario, rotation_shifts
from peers.serving import serve_in_thread

pytestmark = pytest.mark.django_db
SCENARIO = Path(__file__).with_name("oncall-co.yaml")
PD_KEY = "u+CANARYpdKEY0123456789"
OG_KEY = "5d1f0c1e-CANARY-og-key-0123456789"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


@pytest.fixture
def peers(scenario, settings):
    pd_app = pagerduty_peer.create_app(scenario, token=PD_KEY)
    og_app = opsgenie_peer.create_app(scenario, token=OG_KEY)
    (pd_url, stop_pd), (og_url, stop_og) = serve_in_thread(pd_app), serve_in_thread(og_app)
    settings.ROSTER_LOCAL_PEERS = True
    settings.ROSTER_PAGERDUTY_URL, settings.ROSTER_OPSGENIE_URL = pd_url, og_url
    yield {"pagerduty": pd_app, "opsgenie": og_app}
    stop_pd()
    stop_og()


@pytest.fixture
def teams(in_alpha):
    return {slug: Team.objects.create(slug=slug, name=name) for slug, name in
            (("payments", "Payments"), ("search", "Search"), ("platform", "Platform Team"))}


def connect(workspace, provider, key, name=None, **fields):
    conn = OnCallConnection(workspace=workspace, provider=provider, name=name or provider, **fields)
    conn.set_key(key)
    conn.save()
    return conn


@pytest.fixture
def connections(workspace):
    return {"pagerduty": connect(workspace, "pagerduty", PD_KEY), "opsgenie": connect(workspace, "opsgenie", OG_KEY)}


def now_on(scenario, vendor, name):
    schedule = next(s for s in scenario["oncall"][vendor]["schedules"] if s["name"] == name)
    now = timezone.now()
    return next(email for start, end, email in rotation_shifts(schedule, now, now + timedelta(seconds=1)))


def test_sync_reads_schedules_oncalls_policies_services_and_teams(peers, connections, teams, scenario):
    assert sync_all() == {str(connections["pagerduty"].pk): "ok", str(connections["opsgenie"].pk): "ok"}
    primary = OnCallSchedule.objects.get(external_id="PPAYPRI")
    assert [p["email"] for p in primary.current] == [now_on(scenario, "pagerduty", "Payments Primary")]
    assert primary.current_until > timezone.now() and primary.upcoming
    assert primary.upcoming_until > primary.current_until
    assert primary.current_until - timezone.now() <= timedelta(hours=24)
    platform = OnCallSchedule.objects.get(provider="opsgenie")
    assert platform.owner_team_name == "Platform"
    assert platform.current == [{"name": {"dave@oncall.test": "Dave Iyer", "erin@oncall.test": "Erin Wu"}[
        now_on(scenario, "opsgenie", "Platform_schedule")], "email": now_on(scenario, "opsgenie", "Platform_schedule")}]
    assert set(OnCallTeam.objects.values_list("name", flat=True)) == {"Platform", "Billing Ops"}
    assert EscalationPolicy.objects.get(name="Payments Escalation").schedule_ids == ["PPAYPRI", "PPAYSEC"]
    assert PagerDutyService.objects.get(name="payment-gateway").normalized_name == "payment gateway"
    conn = OnCallConnection.objects.get(pk=connections["pagerduty"].pk)
    assert (conn.last_status, conn.last_failure, conn.sync_lease_until) == ("ok", {}, None)
    assert conn.last_stats["api_calls"] == 4 and conn.last_stats["schedules"] == 4


def test_sync_suggests_each_teams_schedule_and_opsgenie_team(peers, connections, teams):
    sync_all()
    payments, search, platform = (Team.objects.get(slug=s) for s in ("payments", "search", "platform"))
    assert payments.pagerduty_schedule_id == "PPAYPRI"  # primary over secondary
    assert payments.routing_sources["pagerduty_schedule_id"]["source"] == "suggested"
    assert payments.routing_sources["pagerduty_schedule_id"]["from"] == 'PagerDuty schedule "Payments Primary"'
    assert search.pagerduty_schedule_id == OnCallSchedule.objects.get(name="Search On-Call").external_id
    assert platform.opsgenie_team_id == OnCallTeam.objects.get(name="Platform").external_id
    assert not payments.opsgenie_team_id and not platform.pagerduty_schedule_id


def test_a_confirmed_or_corrected_value_is_never_overwritten_by_a_suggestion(peers, connections, teams):
    routing_fields.change(teams["payments"], {"pagerduty_schedule_id": "PPAYSEC"}, user="erin", reason="we page 2nd")
    routing_fields.change(teams["search"], {"pagerduty_schedule_id": ""}, user="erin", reason="not on PagerDuty")
    teams["platform"].opsgenie_team_id = "hand-set-before"  # set before sources were kept: a person's
    teams["platform"].save()
    sync_all()
    sync_all()
    payments, search, platform = (Team.objects.get(slug=s) for s in ("payments", "search", "platform"))
    assert payments.pagerduty_schedule_id == "PPAYSEC" and payments.routing_sources["pagerduty_schedule_id"][
        "source"] == "corrected"
    assert search.pagerduty_schedule_id == "" and search.routing_sources["pagerduty_schedule_id"]["by"] == "erin"
    assert platform.opsgenie_team_id == "hand-set-before"


def test_what_the_vendor_no_longer_has_goes_and_a_suggestion_follows(peers, connections, teams):
    sync_all()
    smaller = SCENARIO.read_text().replace("      - id: PPAYPRI\n        name: Payments Primary",
                                           "      - id: PPAYNEW\n        name: Payments")
    peers["pagerduty"].test_client().post("/_peer/scenario", data=smaller)
    assert sync_connection(connections["pagerduty"].pk) == "ok"
    assert not OnCallSchedule.objects.filter(external_id="PPAYPRI").exists()
    assert Team.objects.get(slug="payments").pagerduty_schedule_id == "PPAYNEW"  # still only suggested: it moves


def test_a_failed_sync_keeps_the_last_good_data_and_says_why(peers, connections, teams, caplog):
    sync_all()
    before = OnCallSchedule.objects.count()
    peers["pagerduty"].test_client().post("/_peer/faults", json={"status": 401, "echo_auth": True, "times": 3})
    with caplog.at_level(logging.DEBUG):
        assert sync_connection(connections["pagerduty"].pk) == "failed: bad_credentials"
    conn = OnCallConnection.objects.get(pk=connections["pagerduty"].pk)
    assert conn.last_status == "failed" and conn.last_failure["reason_code"] == "bad_credentials"
    assert "new read-only key" in conn.last_failure["remediation"]
    assert OnCallSchedule.objects.count() == before and conn.sync_lease_until is None
    stored = str(conn.last_failure) + str(conn.last_stats) + caplog.text
    stored += str(list(AuditEvent.objects.values_list("data", flat=True)))
    assert "CANARY" not in stored


def test_what_a_vendor_names_is_stored_clean(peers, connections, teams):
    hostile = SCENARIO.read_text().replace("name: Payments Primary", 'name: "Pay\\0ments Primary"')
    peers["pagerduty"].test_client().post("/_peer/scenario", data=hostile)
    assert sync_connection(connections["pagerduty"].pk) == "ok"
    assert OnCallSchedule.objects.get(external_id="PPAYPRI").name == "Payments Primary"


def test_a_read_now_message_carries_ids_only(connections, django_capture_on_commit_callbacks):
    from celery.signals import before_task_publish
    from django.db import connection

    from oncall import tasks

    seen = []

    def publishing(sender=None, body=None, headers=None, **kwargs):
        seen.append((sender, body, headers))

    before_task_publish.connect(publishing)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            tasks.sync_on_commit([connections["opsgenie"].pk])
    finally:
        before_task_publish.disconnect(publishing)
    sender, body, headers = seen[0]
    assert sender == "oncall.sync_connection" and headers["_schema_name"] == connection.schema_name
    assert body[0] == [connection.schema_name, str(connections["opsgenie"].pk)]
    assert "CANARY" not in str(body) + str(headers)


def test_a_running_sync_holds_the_connection(peers, connections):
    OnCallConnection.objects.filter(pk=connections["opsgenie"].pk).update(
        sync_lease_until=timezone.now() + timedelta(minutes=1))
    assert sync_connection(connections["opsgenie"].pk) == "busy"
    OnCallConnection.objects.filter(pk=connections["opsgenie"].pk).update(
        sync_lease_until=timezone.now() - timedelta(seconds=1))  # a worker that died: the lease lapsed
    assert sync_connection(connections["opsgenie"].pk) == "ok"


def test_a_connection_without_a_key_fails_clearly(peers, workspace):
    conn = connect(workspace, "pagerduty", "", name="keyless")
    assert sync_connection(conn.pk) == "failed: bad_credentials"
    assert OnCallConnection.objects.get(pk=conn.pk).last_failure["message"] == "the connection has no API key"


# --- where a key may go (SSRF) ----------------------------------------------------------------------------------

def test_outside_local_peers_mode_keys_go_to_the_vendors_only(settings):
    settings.ROSTER_LOCAL_PEERS = False
    settings.ROSTER_PAGERDUTY_URL = settings.ROSTER_OPSGENIE_URL = "http://127.0.0.1:9"
    assert endpoints.base_url("pagerduty") == "https://api.pagerduty.com"
    assert endpoints.base_url("opsgenie", "us") == "https://api.opsgenie.com"
    assert endpoints.base_url("opsgenie", "eu") == "https://api.eu.opsgenie.com"
    for region in ("evil.example", "us.evil", "", "https://collector.example", "../"):
        with pytest.raises(EndpointRefused):
            endpoints.base_url("opsgenie", region)
    with pytest.raises(EndpointRefused):
        endpoints.base_url("webhook", "us")
    assert endpoints.allowed_bases() == {"https://api.pagerduty.com", "https://api.opsgenie.com",
                                         "https://api.eu.opsgenie.com"}


def test_local_peer_urls_come_from_the_operator_only_in_local_peers_mode(settings):
    settings.ROSTER_LOCAL_PEERS = True
    settings.ROSTER_PAGERDUTY_URL, settings.ROSTER_OPSGENIE_URL = "http://127.0.0.1:7001/", "not a url"
    assert endpoints.base_url("pagerduty") == "http://127.0.0.1:7001"
    assert endpoints.base_url("opsgenie", "eu") == "https://api.eu.opsgenie.com"  # a malformed value allows nothing


def test_the_guard_refuses_internal_hosts_outside_local_peers_mode(peers, settings):
    settings.ROSTER_LOCAL_PEERS = False
    api = opsgenie.client(settings.ROSTER_OPSGENIE_URL, OG_KEY, url_guard=outbound_guard())
    with pytest.raises(OnCallFailure) as refused:
        api.get("/v2/teams")
    assert refused.value.reason_code == "endpoint_refused"
    assert peers["opsgenie"].test_client().get("/_peer/requests").get_json() == []  # nothing reached the host


def test_a_stored_region_that_names_a_host_is_refused_before_anything_is_sent(peers, workspace):
    conn = connect(workspace, "opsgenie", OG_KEY, name="tampered")
    OnCallConnection.objects.filter(pk=conn.pk).update(region="10.0.0.1")  # past every form, straight in the row
    assert sync_connection(conn.pk) == "failed: endpoint_refused"
    assert peers["opsgenie"].test_client().get("/_peer/requests").get_json() == []


def test_the_admin_form_takes_no_url_and_never_shows_the_key_back(workspace):
    form = OnCallConnectionForm(data={"workspace": workspace.pk, "provider": "opsgenie", "name": "og",
                                      "region": "https://collector.example", "enabled": "on", "api_key": OG_KEY,
                                      "base_url": "https://collector.example"})
    assert not form.is_valid() and "region" in form.errors
    assert not any("url" in name for name in form.fields)
    form = OnCallConnectionForm(data={"workspace": workspace.pk, "provider": "opsgenie", "name": "og", "region": "eu",
                                      "enabled": "on", "api_key": OG_KEY})
    conn = form.save()
    assert conn.get_key() == OG_KEY and OG_KEY.encode() not in bytes(conn.key_ciphertext)
    edit = OnCallConnectionForm(instance=conn)
    assert OG_KEY not in str(edit) and "api_key" in edit.fields
    kept = OnCallConnectionForm(instance=conn, data={"workspace": workspace.pk, "provider": "opsgenie", "name": "og2",
                                                     "region": "eu", "enabled": "on", "api_key": ""})
    assert kept.is_valid(), kept.errors
    assert kept.save().get_key() == OG_KEY  # blank keeps the key
