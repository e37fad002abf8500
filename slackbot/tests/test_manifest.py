"""The app manifest in the repository (slackbot/manifest.yaml) is a valid Slack manifest (@slack/web-api's
Manifest type) and says what the code does: the command, the events it listens to, the scopes it asks for and
the URLs it serves."""
import json
from pathlib import Path

import yaml
from django.urls import resolve
from slack_bolt.request import BoltRequest

from peers.slack_peer.typecheck import check
from slackbot import bolt_app, oauth

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yaml").read_text())


def test_the_manifest_matches_slacks_published_type():
    assert check([("manifest", MANIFEST)]) == []


def test_the_manifest_says_what_the_code_does():
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == bolt_app.COMMAND
    assert MANIFEST["oauth_config"]["scopes"]["bot"] == list(oauth.BOT_SCOPES)
    app = bolt_app.build("manifest-test", "https://slack.com/api/")
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    registered = {name for name in ("link_shared", "app_home_opened", "app_uninstalled", "tokens_revoked")
                  if any(_listens_to(listener, name) for listener in app._listeners)}
    assert events == registered
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def _listens_to(listener, event_type: str) -> bool:
    body = {"type": "event_callback", "team_id": "T1", "event": {"type": event_type}}
    request = BoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})
    return listener.matches(req=request, resp=None)


def test_the_manifest_urls_are_the_routes_we_serve():
    urls = [MANIFEST["features"]["slash_commands"][0]["url"], MANIFEST["settings"]["event_subscriptions"]["request_url"],
            *MANIFEST["oauth_config"]["redirect_urls"]]
    names = [resolve(url.split("roster.example.com", 1)[1], urlconf="portal.urls_public").url_name for url in urls]
    assert names == ["slack-commands", "slack-events", "slack-oauth-redirect"]
