"""Slack's requests at /slack/commands and /slack/events on the public host: verified by bolt with the signing
secret and a timestamp within 5 minutes; the workspace (team_id), never the host, picks the tenant; a
workspace no tenant connected gets a polite answer and nothing else."""
import json
import time

import pytest
from django.test import Client

from slackbot import bolt_app, workspaces

from .conftest import SECRET, command_body, event_body, post_signed

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def client():
    return Client()  # host "testserver": no tenant's domain, so the public URL conf


@pytest.fixture
def alpha_team(tenant_alpha, slack_settings):
    workspaces.connect(tenant_alpha, "T0ALPHA01", by="test", team_name="Alpha HQ")
    return "T0ALPHA01"


def test_without_a_signing_secret_nothing_is_verified_or_answered(client, settings):
    settings.SLACK_SIGNING_SECRET = ""
    answer = post_signed(client, "/slack/commands", command_body("T0ALPHA01", "help"), FORM)
    assert answer.status_code == 503 and "SLACK_SIGNING_SECRET" in answer.json()["error"]


def test_a_connected_workspace_gets_help_at_once(client, alpha_team):
    answer = post_signed(client, "/slack/commands", command_body(alpha_team, "help"), FORM)
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral" and "/roster who owns" in body["text"]


def test_a_question_is_acknowledged_empty_and_answered_later(client, alpha_team):
    started = time.monotonic()
    answer = post_signed(client, "/slack/commands", command_body(alpha_team, "who owns payments-api"), FORM)
    assert answer.status_code == 200 and answer.content == b""
    assert time.monotonic() - started < 3.0  # Slack's deadline for the acknowledgement


def test_a_verb_without_a_question_is_told_how_to_ask(client, alpha_team):
    answer = post_signed(client, "/slack/commands", command_body(alpha_team, "oncall"), FORM)
    assert answer.status_code == 200 and "Tell me what to look up" in answer.json()["text"]


def test_an_unknown_workspace_is_told_politely_and_sees_nothing(client, alpha_team):
    answer = post_signed(client, "/slack/commands", command_body("T0NOBODY1", "who owns payments-api"), FORM)
    assert answer.status_code == 200
    assert "not connected to Roster" in answer.json()["text"]


@pytest.mark.parametrize("change", ["secret", "body", "old", "future", "no-signature", "no-timestamp", "garbage"])
def test_a_request_that_is_not_slacks_is_refused(client, alpha_team, change):
    body = command_body(alpha_team, "help")
    if change == "secret":
        answer = post_signed(client, "/slack/commands", body, FORM, secret="not-the-secret")
    elif change == "body":  # signed, then altered in transit (another workspace's id)
        ts = str(int(time.time()))
        from peers.slack_peer.sending import signature

        answer = client.post("/slack/commands", data=command_body("T0OTHER01", "help"), content_type=FORM,
                             HTTP_X_SLACK_REQUEST_TIMESTAMP=ts, HTTP_X_SLACK_SIGNATURE=signature(SECRET, ts, body))
    elif change == "old":  # a replay of a genuine request, 6 minutes later
        answer = post_signed(client, "/slack/commands", body, FORM, timestamp=int(time.time()) - 360)
    elif change == "future":
        answer = post_signed(client, "/slack/commands", body, FORM, timestamp=int(time.time()) + 360)
    elif change == "no-signature":
        answer = client.post("/slack/commands", data=body, content_type=FORM,
                             HTTP_X_SLACK_REQUEST_TIMESTAMP=str(int(time.time())))
    elif change == "no-timestamp":
        answer = client.post("/slack/commands", data=body, content_type=FORM, HTTP_X_SLACK_SIGNATURE="v0=00")
    else:
        answer = post_signed(client, "/slack/commands", body, FORM, headers={"HTTP_X_SLACK_REQUEST_TIMESTAMP": "soon"})
    assert answer.status_code == 401
    assert b"roster" not in answer.content.lower() and SECRET.encode() not in answer.content


def test_a_request_four_minutes_old_is_still_accepted(client, alpha_team):
    answer = post_signed(client, "/slack/commands", command_body(alpha_team, "help"), FORM,
                         timestamp=int(time.time()) - 240)
    assert answer.status_code == 200


def test_an_oversized_body_is_refused_before_anything_reads_it(client, alpha_team):
    body = command_body(alpha_team, "x" * (70 * 1024))
    assert post_signed(client, "/slack/commands", body, FORM).status_code == 413


def test_only_post_is_served(client, alpha_team):
    assert client.get("/slack/commands").status_code == 405
    assert client.get("/slack/events").status_code == 405


def test_the_events_url_answers_slacks_challenge_when_signed(client, alpha_team):
    body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"}).encode()
    answer = post_signed(client, "/slack/events", body, "application/json")
    assert answer.status_code == 200 and answer.json() == {"challenge": "abc123"}
    assert post_signed(client, "/slack/events", body, "application/json", secret="x").status_code == 401


def test_an_event_is_acknowledged_for_known_and_unknown_workspaces(client, alpha_team):
    event = {"type": "app_home_opened", "user": "U0123ABCD", "channel": "D0123", "tab": "home", "event_ts": "1.2"}
    for team in (alpha_team, "T0NOBODY1"):
        answer = post_signed(client, "/slack/events", event_body(team, event), "application/json")
        assert answer.status_code == 200


def test_the_workspace_not_the_host_picks_the_tenant(tenant_alpha, tenant_beta, slack_settings):
    workspaces.connect(tenant_alpha, "T0ALPHA01", by="test", bot_token="xoxb-1111-2222-alphaalphaalpha")
    workspaces.connect(tenant_beta, "T0BETA001", by="test")
    for team, tenant, token in (("T0ALPHA01", tenant_alpha, "xoxb-1111-2222-alphaalphaalpha"),
                                ("T0BETA001", tenant_beta, None), ("T0NOBODY1", None, None)):
        context = {}
        result = bolt_app.authorize(context, None, team, "U0123ABCD")
        assert context["roster_tenant"] == (tenant.pk if tenant else None)
        assert result.bot_token == token and result.team_id == team


def test_the_slack_routes_are_not_on_a_tenants_host(client, alpha_team):
    answer = post_signed(client, "/slack/commands", command_body(alpha_team, "help"), FORM,
                         headers={"HTTP_HOST": "alpha.localhost"})
    assert answer.status_code != 200 or b"/roster who owns" not in answer.content


def test_slack_revoking_the_token_or_uninstalling_the_app_is_honoured(client, tenant_alpha, slack_settings):
    from django_tenants.utils import tenant_context

    from audit.models import AuditEvent

    workspaces.connect(tenant_alpha, "T0ALPHA01", by="test", bot_token="xoxb-1111-2222-alphaalphaalpha")
    revoked = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT0001"]}}
    assert post_signed(client, "/slack/events", event_body("T0ALPHA01", revoked), "application/json").status_code == 200
    found = workspaces.find("T0ALPHA01")
    assert found.tenant == tenant_alpha and found.bot_token is None  # still answers commands
    uninstalled = {"type": "app_uninstalled"}
    forged = post_signed(client, "/slack/events", event_body("T0ALPHA01", uninstalled), "application/json",
                         secret="forged")
    assert forged.status_code == 401 and workspaces.find("T0ALPHA01") is not None
    assert post_signed(client, "/slack/events", event_body("T0ALPHA01", uninstalled),
                       "application/json").status_code == 200
    assert workspaces.find("T0ALPHA01") is None
    with tenant_context(tenant_alpha):
        assert list(AuditEvent.objects.filter(action__startswith="slack.").order_by("id").values_list(
            "action", flat=True)) == ["slack.connected", "slack.token_revoked", "slack.disconnected"]
