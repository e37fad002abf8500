"""Installing the app: Slack's OAuth v2 flow (bolt's OAuthFlow) against the local Slack peer, into the tenant
whose admin asked for the link; and `manage.py slack_connect` / `slack_disconnect` for installs by hand."""
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import signing
from django.core.management import CommandError, call_command
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from audit.models import AuditEvent
from peers.slack_peer import create_app, start_in_thread
from portal.models import SlackWorkspace
from slackbot import install_links, workspaces
from slackbot.models import SlackInstallation

from .conftest import SECRET

pytestmark = pytest.mark.django_db
CLIENT_ID, CLIENT_SECRET = "1111.2222", "install-test-client-secret"
TEAM = "T0INSTALL1"


@pytest.fixture(scope="module")
def peer():
    app = create_app(SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    base, stop = start_in_thread(app)
    state = app.extensions["slack_peer"]
    state.redirect_url = "http://testserver/slack/oauth_redirect"
    state.add_workspace(TEAM, "Install Co", users=[{"name": "carol", "email": "carol@example.com", "is_admin": True}])
    state.add_workspace("T0INSTALL2", "Other Co")
    yield base, state
    stop()


@pytest.fixture
def local_slack(slack_settings, peer):
    slack_settings.ROSTER_LOCAL_PEERS, slack_settings.ROSTER_SLACK_API_URL = True, f"{peer[0]}/api/"
    slack_settings.SLACK_CLIENT_ID, slack_settings.SLACK_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    return slack_settings


def start(client, tenant, by="alice-admin", team=TEAM):
    """The admin's browser: Roster's install page, then Slack's authorize page; returns Slack's redirect back."""
    first = client.get(install_links.install_path(install_links.issue(tenant, by)))
    assert first.status_code == 302 and "slack-app-oauth-state" in first.cookies
    location = first["Location"]
    assert location.startswith(f"{urlsplit(location).scheme}://{urlsplit(location).netloc}/oauth/v2/authorize?")
    assert "scope=commands,chat:write,links:read,links:write,users:read,users:read.email" in location
    back = requests.get(location + f"&team={team}", allow_redirects=False, timeout=10)
    assert back.status_code == 302
    return urlsplit(back.headers["Location"])


def finish(client, back):
    return client.get(f"{back.path}?{back.query}")


def test_an_admins_link_installs_the_app_into_their_tenant(local_slack, peer, tenant_alpha):
    client = Client()
    answer = finish(client, start(client, tenant_alpha))
    assert answer.status_code == 200 and b"Roster is connected to Slack" in answer.content
    assert b"Install Co" in answer.content
    with schema_context("public"):
        assert SlackWorkspace.objects.get(team_id=TEAM).tenant == tenant_alpha
    with tenant_context(tenant_alpha):
        installation = SlackInstallation.objects.get(team_id=TEAM)
        assert installation.source == "oauth" and installation.installed_by == "alice-admin"
        assert installation.bot_token() == peer[1].workspaces[TEAM].bot_token
        assert peer[1].workspaces[TEAM].bot_token.encode() not in bytes(installation.bot_token_encrypted)
        assert installation.installer_user_id == next(iter(peer[1].workspaces[TEAM].users))
        assert "users:read.email" in installation.bot_scopes and installation.bot_id
        event = AuditEvent.objects.get(action="slack.connected")
        assert event.actor == "alice-admin" and event.data["team_id"] == TEAM
        assert peer[1].workspaces[TEAM].bot_token not in str(event.data)
    assert workspaces.find(TEAM).bot_token == peer[1].workspaces[TEAM].bot_token


def test_a_state_is_used_once_and_only_from_the_browser_that_started(local_slack, tenant_alpha):
    client = Client()
    back = start(client, tenant_alpha)
    stranger = Client()
    assert finish(stranger, back).status_code == 400  # no state cookie: another browser
    assert finish(client, back).status_code == 200
    replay = finish(client, back)
    assert replay.status_code == 401 and b"already used or has expired" in replay.content


def test_a_state_cannot_be_pointed_at_another_tenant(local_slack, tenant_alpha, tenant_beta):
    client = Client()
    back = start(client, tenant_alpha)
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    payload, rest = query["state"].split(":", 1)
    decoded = signing.b64_decode(payload.encode())
    assert f'"t":{tenant_alpha.pk}'.encode() in decoded
    forged = signing.b64_encode(decoded.replace(f'"t":{tenant_alpha.pk}'.encode(),
                                                f'"t":{tenant_beta.pk}'.encode())).decode() + ":" + rest
    client.cookies["slack-app-oauth-state"] = forged
    answer = client.get(back.path, {"code": query["code"], "state": forged})
    assert answer.status_code == 401
    with schema_context("public"):
        assert not SlackWorkspace.objects.filter(team_id=TEAM).exists()


def test_a_workspace_another_tenant_holds_is_not_taken(local_slack, tenant_alpha, tenant_beta):
    workspaces.connect(tenant_beta, TEAM, by="beta-admin")
    client = Client()
    answer = finish(client, start(client, tenant_alpha))
    assert answer.status_code == 409 and b"already connected to another Roster tenant" in answer.content
    with schema_context("public"):
        assert SlackWorkspace.objects.get(team_id=TEAM).tenant == tenant_beta
    with tenant_context(tenant_alpha):
        assert not SlackInstallation.objects.exists()


@pytest.mark.parametrize("link, message", [
    ("", b"incomplete"), ("not-a-token", b"not valid"), ("x" * 2000, b"incomplete"),
])
def test_a_bad_install_link_is_refused_with_a_reason(local_slack, link, message):
    answer = Client().get("/slack/install", {"tenant": link})
    assert answer.status_code == 400 and message in answer.content


def test_an_expired_or_orphaned_link_is_refused(local_slack, tenant_alpha):
    class Yesterday(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 7200)

    old = Yesterday(salt=install_links.SALT).sign_object({"t": tenant_alpha.pk, "s": tenant_alpha.schema_name,
                                                           "by": "x"})
    answer = Client().get("/slack/install", {"tenant": old})
    assert answer.status_code == 400 and b"expired" in answer.content
    gone = signing.dumps({"t": 999999, "s": "t_gone", "by": "x"}, salt=install_links.SALT)
    assert b"no longer exists" in Client().get("/slack/install", {"tenant": gone}).content


def test_a_cancelled_install_says_so(local_slack, peer, tenant_alpha):
    client = Client()
    first = client.get(install_links.install_path(install_links.issue(tenant_alpha, "alice")))
    back = urlsplit(requests.get(first["Location"] + "&deny=1", allow_redirects=False, timeout=10).headers["Location"])
    answer = finish(client, back)
    assert b"cancelled" in answer.content
    with schema_context("public"):
        assert not SlackWorkspace.objects.filter(team_id=TEAM).exists()


def test_without_app_credentials_the_install_page_says_how_else(slack_settings, tenant_alpha):
    slack_settings.SLACK_CLIENT_ID = slack_settings.SLACK_CLIENT_SECRET = ""
    answer = Client().get(install_links.install_path(install_links.issue(tenant_alpha, "alice")))
    assert answer.status_code == 503 and b"slack_connect" in answer.content


# --- by hand ------------------------------------------------------------------------------------------------


def test_slack_connect_checks_the_token_with_slack_and_stores_it_encrypted(local_slack, peer, tenant_alpha, capsys):
    token = peer[1].workspaces[TEAM].bot_token
    call_command("slack_connect", "alpha", TEAM, "--bot-token", token)
    assert "now answers for tenant alpha; bot token: yes" in capsys.readouterr().out
    found = workspaces.find(TEAM)
    assert found.tenant == tenant_alpha and found.bot_token == token
    assert found.bot_user_id == peer[1].workspaces[TEAM].bot_user_id
    with tenant_context(tenant_alpha):
        assert SlackInstallation.objects.get(team_id=TEAM).team_name == "Install Co"


@pytest.mark.parametrize("team, token, message", [
    (TEAM, "xoxb-0000-0000-notavalidtokenatall", "Slack refused the bot token (invalid_auth)"),
    ("T0INSTALL2", "peer", "belongs to workspace T0INSTALL1, not T0INSTALL2"),
    (TEAM, "xoxp-user-token-not-a-bot", "must be a Slack bot token"),
    ("not-a-team", None, "is not a Slack workspace id"),
])
def test_slack_connect_refuses_what_does_not_fit(local_slack, peer, tenant_alpha, team, token, message):
    token = peer[1].workspaces[TEAM].bot_token if token == "peer" else token
    with pytest.raises(CommandError, match=re.escape(message)) as caught:
        call_command("slack_connect", "alpha", team, *(["--bot-token", token] if token else []))
    if token:
        assert token not in str(caught.value)
    assert workspaces.find(team) is None


def test_slack_connect_without_a_token_maps_for_commands_and_guards_other_tenants(local_slack, tenant_alpha,
                                                                                  tenant_beta, capsys):
    call_command("slack_connect", "alpha", "T0HANDMADE")
    assert "bot token: no (commands only)" in capsys.readouterr().out
    assert workspaces.find("T0HANDMADE").tenant == tenant_alpha and workspaces.find("T0HANDMADE").bot_token is None
    with pytest.raises(CommandError, match="already connected to another Roster tenant"):
        call_command("slack_connect", "beta", "T0HANDMADE")
    call_command("slack_disconnect", "T0HANDMADE")
    assert workspaces.find("T0HANDMADE") is None
    with pytest.raises(CommandError, match="no tenant has Slack workspace"):
        call_command("slack_disconnect", "T0HANDMADE")


def test_the_install_link_command_prints_a_working_link(local_slack, tenant_alpha, capsys):
    local_slack.ROSTER_SLACK_PUBLIC_URL = "https://roster.example.com"
    call_command("slack_install_link", "alpha", "--by", "ops")
    url = capsys.readouterr().out.strip()
    assert url.startswith("https://roster.example.com/slack/install?tenant=")
    grant = install_links.read(parse_qs(urlsplit(url).query)["tenant"][0])
    assert grant.tenant == tenant_alpha and grant.by == "ops"
