"""End to end: a bundled company discovered by real workers, a real Roster web server (gunicorn) in local peers
mode, and the local Slack peer sending it signed slash commands and events as Slack would, on the public host.
Roster acknowledges within Slack's 3 seconds, answers through the response_url, unfurls a console link
(chat.unfurl) and publishes the App Home (views.publish) at the peer; everything both sides said is checked
against Slack's published types. A workspace no tenant connected, another tenant's workspace and requests
signed wrongly or too late get nothing of this tenant."""
import time
import urllib.request
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Profile
from catalog.models import Service
from discovery import workflow
from discovery.models import ACTIVE_STATUSES, Run
from peers.demo import setup_tenant
from peers.scenario import load_scenario
from peers.slack_peer import typecheck
from portal.tenancy import create_tenant
from portal.workspaces.models import Workspace
from tests.peers import drop_tenant, slack_peer, web_server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TENANT, OTHER = "e2e-slack", "e2e-slack-other"
TEAM, OTHER_TEAM, STRANGER_TEAM = "T0E2E0001", "T0E2E0002", "T0E2E0003"


def peer_call(base: str, path: str, body: dict | None = None, timeout: float = 90):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def wait_for(predicate, timeout=300.0, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def slack(live_peers, live_workers, django_db_blocker):
    """The Slack peer, then a web server that knows it (its Web API root and the app's signing secret)."""
    with slack_peer() as base, web_server(connection.settings_dict["NAME"], name="slack") as port:
        yield {"peer": base, "port": port, "commands": f"http://127.0.0.1:{port}/slack/commands",
               "events": f"http://127.0.0.1:{port}/slack/events"}


@pytest.fixture(scope="module")
def company(slack, live_peers, django_db_blocker):
    """A bundled company discovered; its workspace connected with slack_connect (the bot token checked with the
    peer's auth.test); a second tenant with a workspace of its own; a Roster user whose e-mail Slack knows."""
    peer = slack["peer"]
    tokens = {}
    for team, name, users in ((TEAM, "Sample Company", [{"name": "erin", "email": "erin@e2e.example"}]),
                              (OTHER_TEAM, "Other Co", None), (STRANGER_TEAM, "Stranger Co", None)):
        tokens[team] = peer_call(peer, "/_peer/teams", {"team_id": team, "name": name, "users": users})["bot_token"]
    with django_db_blocker.unblock():
        # A company no other module of the session loads: moto is shared, and its accounts can be loaded once.
        setup_tenant(load_scenario(ROOT / "scenarios" / "legacy-co.yaml"), aws_endpoint=live_peers["aws"],
                     github_url=live_peers["github"], tenant_name=TENANT)
        other = create_tenant(OTHER, reset=True)
        from portal.models import Tenant

        tenant = Tenant.objects.get(name=TENANT)
        try:
            with tenant_context(tenant):
                with transaction.atomic():
                    workflow.discover_workspace(Workspace.default(), trigger="test")
                wait_for(lambda: not Run.objects.filter(status__in=ACTIVE_STATUSES).exists())
                service = (Service.objects.filter(hidden=False, ownership_status="owned", resources__isnull=False)
                           .select_related("owner").order_by("name").first())
                assert service is not None, "the company has no owned service with AWS resources"
                resource = service.resources.order_by("external_id").first()
                user = get_user_model().objects.create_user("erin", email="erin@e2e.example")
                Profile.objects.create(user=user, teams=[service.owner.slug])
                oncall = _on_call_now(service.owner)
            with override_settings(ROSTER_LOCAL_PEERS=True, ROSTER_SLACK_API_URL=f"{peer}/api/"):
                call_command("slack_connect", TENANT, TEAM, "--bot-token", tokens[TEAM])
                call_command("slack_connect", OTHER, OTHER_TEAM, "--bot-token", tokens[OTHER_TEAM])
            yield {"tenant": tenant, "service": service, "resource": resource, "owner": service.owner,
                   "oncall": oncall, "host": f"{TENANT}.localhost:{slack['port']}"}
        finally:
            call_command("slack_disconnect", TEAM)
            call_command("slack_disconnect", OTHER_TEAM)
            drop_tenant(tenant)
            drop_tenant(other)


def _on_call_now(team) -> str | None:
    """Who is on call for ``team``, as oncall.sync leaves its tables (when the on-call app is installed)."""
    if not apps.is_installed("oncall"):
        return None
    from oncall.models import OnCallConnection, OnCallSchedule

    conn = OnCallConnection.objects.create(workspace=Workspace.default(), provider="pagerduty", name="pd")
    now = timezone.now()
    OnCallSchedule.objects.create(connection=conn, provider="pagerduty", external_id="PSLACK1", name="Primary",
                                  current=[{"name": "Olive Oncall", "email": "olive@e2e.example"}],
                                  current_until=now + timedelta(hours=6),
                                  upcoming=[{"name": "Nick Next", "email": "nick@e2e.example"}],
                                  upcoming_until=now + timedelta(days=1), synced_at=now)
    team.pagerduty_schedule_id, team.slack_channel = "PSLACK1", "#e2e-owners"
    team.save(update_fields=["pagerduty_schedule_id", "slack_channel"])
    return "Olive Oncall"


def ask(slack, text: str, team: str = TEAM, **options) -> dict:
    return peer_call(slack["peer"], "/_peer/command", {"url": slack["commands"], "team_id": team, "text": text,
                                                       "wait": 60, **options})


def only_answer(exchange: dict) -> str:
    assert exchange["answer"]["status"] == 200 and exchange["answer"]["in_time"], exchange["answer"]
    assert exchange["answer"]["body"] == ""  # acknowledged at once, empty: the answer follows
    [answer] = exchange["responses"]
    return json.dumps(answer, ensure_ascii=False)


def test_who_owns_a_discovered_service_names_its_owner(slack, company):
    service, owner = company["service"], company["owner"]
    answer = only_answer(ask(slack, f"who owns {service.name}"))
    assert f"/services/{service.pk}|{service.name}>" in answer
    assert f"is owned by *{owner.name}* (`{owner.slug}`)" in answer
    assert "Evidence: " in answer
    if company["oncall"]:
        assert company["oncall"] in answer and "#e2e-owners" in answer and "Nick Next" in answer


def test_an_arn_and_a_typo_find_the_same_service(slack, company):
    service, resource = company["service"], company["resource"]
    by_arn = only_answer(ask(slack, f"who owns {resource.external_id}"))
    assert f"|{service.name}>" in by_arn and "Matched the AWS resource" in by_arn
    name = service.name
    typo = name[:2] + name[3] + name[2] + name[4:] if len(name) > 5 else name + "x"
    assert f"|{service.name}>" in only_answer(ask(slack, f"who owns {typo}"))


def test_a_console_link_unfurls_into_the_service_card(slack, company):
    service = company["service"]
    url = f"http://{company['host']}/services/{service.pk}"
    sent = peer_call(slack["peer"], "/_peer/events/link_shared", {"url": slack["events"], "team_id": TEAM,
                                                                  "links": [url, "https://example.com/other"]})
    assert sent["answer"]["status"] == 200 and sent["answer"]["in_time"]
    [call] = peer_call(slack["peer"], f"/_peer/calls?method=chat.unfurl&team_id={TEAM}&min=1&wait=60")
    assert call["ok"], call["response"]
    assert list(call["args"]["unfurls"]) == [url]
    assert f"is owned by *{company['owner'].name}*" in json.dumps(call["args"]["unfurls"][url], ensure_ascii=False)


def test_the_app_home_lists_the_users_teams_services(slack, company):
    erin = next(w for w in peer_call(slack["peer"], "/_peer/teams") if w["team_id"] == TEAM)["users"][0]
    sent = peer_call(slack["peer"], "/_peer/events/app_home_opened", {"url": slack["events"], "team_id": TEAM,
                                                                      "user_id": erin["id"]})
    assert sent["answer"]["status"] == 200
    [call] = peer_call(slack["peer"], f"/_peer/calls?method=views.publish&team_id={TEAM}&min=1&wait=60")
    assert call["ok"] and call["args"]["user_id"] == erin["id"]
    view = json.dumps(call["args"]["view"], ensure_ascii=False)
    assert f"|{company['service'].name}>" in view and company["owner"].name in view


def test_an_unconnected_workspace_is_answered_politely_with_nothing(slack, company):
    exchange = ask(slack, f"who owns {company['service'].name}", team=STRANGER_TEAM, wait=2)
    assert exchange["answer"]["status"] == 200
    assert "not connected to Roster" in exchange["answer"]["json"]["text"] and exchange["responses"] == []


def test_another_tenants_workspace_sees_nothing_of_this_tenant(slack, company):
    service = company["service"]
    for question in (f"who owns {service.name}", f"who owns {company['resource'].external_id}",
                     f"search {service.name}", f"who owns http://{company['host']}/services/{service.pk}"):
        answer = only_answer(ask(slack, question, team=OTHER_TEAM))
        assert "Nothing in the catalog matches" in answer and f"|{service.name}>" not in answer


@pytest.mark.parametrize("options", [{"secret": "not-the-signing-secret"}, {"timestamp": int(time.time()) - 600}])
def test_requests_not_signed_by_slack_now_are_refused(slack, company, options):
    exchange = ask(slack, f"who owns {company['service'].name}", wait=2, **options)
    assert exchange["answer"]["status"] == 401 and exchange["responses"] == []


def test_the_demos_exchange_prints_the_question_and_the_answer(slack, company, capsys):
    from peers.slack_peer import exchange

    service = company["service"]
    assert exchange.main(["--peer", slack["peer"], "ask", "--roster", f"http://127.0.0.1:{slack['port']}",
                          "--team", TEAM, "who", "owns", service.name]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"> /roster who owns {service.name}"
    assert printed[1].startswith("  (Roster acknowledged: HTTP 200 in ")
    assert any(line.startswith(f"{service.name} (") and f"is owned by *{company['owner'].name}*" in line
               for line in printed), printed


def test_everything_said_matches_slacks_published_types(slack, company):
    """Last: what the peer sent Roster and what Roster sent back, through tsc against @slack/* types."""
    items = []
    for sent in peer_call(slack["peer"], "/_peer/sent"):
        if sent["kind"] == "command":
            items.append(("command", sent["payload"]))
            if sent["answer"]["status"] == 200 and sent["answer"].get("json"):
                items.append(("respond", sent["answer"]["json"]))
        elif sent["kind"] == "event":
            items.append((f"event:{sent['payload']['event']['type']}", sent["payload"]))
    for response in peer_call(slack["peer"], "/_peer/responses"):
        items += [("respond", post["body"]) for post in response["posts"]]
    for call in peer_call(slack["peer"], "/_peer/calls"):
        if call["method"] in typecheck.METHODS:
            items.append((f"response:{call['method']}", typecheck.without_echoed_blocks(call["method"],
                                                                                        call["response"])))
            if call["method"] != "oauth.v2.access":
                items.append((f"request:{call['method']}", typecheck.as_declared(call["method"], call["args"])))
    kinds = {kind for kind, _ in items}
    assert {"command", "respond", "event:link_shared", "event:app_home_opened", "request:chat.unfurl",
            "request:views.publish", "request:users.info", "response:auth.test"} <= kinds
    errors = typecheck.check(items)
    assert errors == [], "\n".join(errors)
