"""The Slack peer: what it sends is signed as Slack signs (checked with slack_sdk's verifier) and shaped as
Slack's published types say (tsc over @slack/bolt and @slack/types); the Web API methods answer slack_sdk's
WebClient with @slack/web-api's response shapes, Slack's errors and Block Kit limits; it only ever calls
loopback; response_urls take five answers; the OAuth pages hand out codes once."""
from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from peers.serving import serve_in_thread
from peers.slack_peer import create_app, start_in_thread, typecheck

from .receiver import Receiver

SECRET = "peer-test-signing-secret"
CLIENT_ID, CLIENT_SECRET = "1111.2222", "peer-test-client-secret"


@pytest.fixture(scope="module")
def peer():
    app = create_app(SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    base, stop = start_in_thread(app)
    yield base, app.extensions["slack_peer"]
    stop()


@pytest.fixture(scope="module")
def receiver():
    app = Receiver(SECRET)
    base, stop = serve_in_thread(app, name="receiver")
    yield base, app
    stop()


@pytest.fixture(scope="module")
def workspace(peer):
    base, _ = peer
    return requests.post(f"{base}/_peer/teams", json={
        "team_id": "T0PEER001", "name": "Peer Co", "users": [
            {"name": "alice", "email": "alice@example.com", "is_admin": True}, {"name": "bob"}]}, timeout=10).json()


def client(base: str, token: str | None) -> WebClient:
    return WebClient(token=token, base_url=f"{base}/api/")


def test_what_the_peer_sends_is_signed_and_shaped_as_slack_does(peer, receiver, workspace):
    base, state = peer
    target, app = receiver
    alice = workspace["users"][0]["id"]
    command = requests.post(f"{base}/_peer/command", json={"url": f"{target}/slack/commands", "team_id": "T0PEER001",
                                                           "text": "who owns x"}, timeout=30).json()
    assert command["answer"]["status"] == 200 and command["answer"]["in_time"]
    assert command["answer"]["json"] == {"response_type": "ephemeral", "text": "got it"}
    shared = requests.post(f"{base}/_peer/events/link_shared", json={
        "url": f"{target}/slack/events", "team_id": "T0PEER001", "links": ["http://acme.localhost:8000/services/1"]},
        timeout=30).json()
    home = requests.post(f"{base}/_peer/events/app_home_opened", json={
        "url": f"{target}/slack/events", "team_id": "T0PEER001", "user_id": alice}, timeout=30).json()
    check = requests.post(f"{base}/_peer/url_verification", json={"url": f"{target}/slack/events"}, timeout=30).json()
    assert check["verified"] is True
    assert [r["verified"] for r in app.received[-4:]] == [True, True, True, True]
    assert parse_qs(app.received[-4]["body"].decode())["text"] == ["who owns x"]
    assert typecheck.check([("command", command["payload"]), ("event:link_shared", shared["payload"]),
                            ("event:app_home_opened", home["payload"])]) == []


def test_a_request_signed_with_another_secret_or_time_says_so(peer, receiver, workspace):
    base, _ = peer
    target, app = receiver
    requests.post(f"{base}/_peer/command", json={"url": f"{target}/c", "team_id": "T0PEER001", "text": "x",
                                                 "secret": "other"}, timeout=30)
    assert app.received[-1]["verified"] is False
    requests.post(f"{base}/_peer/command", json={"url": f"{target}/c", "team_id": "T0PEER001", "text": "x",
                                                 "timestamp": 1_000_000_000}, timeout=30)
    assert app.received[-1]["verified"] is False
    assert app.received[-1]["headers"]["X-Slack-Request-Timestamp"] == "1000000000"


@pytest.mark.parametrize("url", ["http://example.com/slack/commands", "http://169.254.169.254/latest",
                                 "http://10.0.0.1/x", "ftp://127.0.0.1/x", "http://127.0.0.1.nip.io/x"])
def test_the_peer_only_calls_loopback(peer, workspace, url):
    base, _ = peer
    answer = requests.post(f"{base}/_peer/command", json={"url": url, "team_id": "T0PEER001", "text": "x"}, timeout=10)
    assert answer.status_code == 400
    assert "loopback" in answer.json()["error"] or "http or https" in answer.json()["error"]


def test_localhost_names_reach_127_0_0_1_with_their_host(peer, receiver, workspace):
    base, _ = peer
    target, app = receiver
    port = urlsplit(target).port
    requests.post(f"{base}/_peer/command", json={"url": f"http://acme.localhost:{port}/slack/commands",
                                                 "team_id": "T0PEER001", "text": "x"}, timeout=30)
    assert app.received[-1]["host"] == f"acme.localhost:{port}" and app.received[-1]["verified"]


def test_web_api_answers_match_slacks_published_types(peer, workspace):
    base, state = peer
    bot = client(base, workspace["bot_token"])
    alice = workspace["users"][0]["id"]
    assert bot.auth_test()["team_id"] == "T0PEER001"
    assert bot.users_info(user=alice)["user"]["profile"]["email"] == "alice@example.com"
    published = bot.views_publish(user_id=alice, view={"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]})
    assert published["view"]["type"] == "home"
    posted = bot.chat_postMessage(channel="C0123ABCD", text="hello", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}])
    assert posted["channel"] == "C0123ABCD"
    errors = []
    for call, kwargs in ((bot.users_info, {"user": "U0NOBODY"}), (client(base, "xoxb-wrong").auth_test, {}),
                         (client(base, None).auth_test, {}), (bot.api_call, {"api_method": "admin.users.list"}),
                         (bot.views_publish, {"user_id": alice, "view": {"type": "home", "blocks": [
                             {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}}),
                         (bot.chat_unfurl, {"channel": "C1", "ts": "1.2", "unfurls": {"https://x/": {"blocks": []}}})):
        with pytest.raises(SlackApiError) as caught:
            call(**kwargs)
        errors.append(caught.value.response["error"])
    assert errors == ["user_not_found", "invalid_auth", "not_authed", "unknown_method", "invalid_blocks",
                      "cannot_unfurl_url"]
    calls = [c for c in state.calls if c["method"] in typecheck.METHODS]
    items = [(f"response:{c['method']}", typecheck.without_echoed_blocks(c["method"], c["response"])) for c in calls]
    items += [(f"request:{c['method']}", c["args"]) for c in calls if c["ok"]]
    assert typecheck.check(items) == []


def test_a_response_url_takes_five_answers_and_valid_blocks_only(peer, receiver, workspace):
    base, state = peer
    target, _ = receiver
    command = requests.post(f"{base}/_peer/command", json={"url": f"{target}/c", "team_id": "T0PEER001",
                                                           "text": "x"}, timeout=30).json()
    url = command["response_url"]
    bad = requests.post(url, json={"text": "x", "blocks": [{"type": "section"}]}, timeout=10)
    assert bad.status_code == 400 and "invalid_blocks" in bad.text
    statuses = [requests.post(url, json={"text": f"answer {i}"}, timeout=10).status_code for i in range(6)]
    assert statuses == [200] * 5 + [404]
    answers = requests.get(f"{base}/_peer/responses", params={"id": command["response_id"]}, timeout=10).json()
    assert [p["body"]["text"] for p in answers[0]["posts"]] == [f"answer {i}" for i in range(5)]


def test_oauth_codes_are_handed_out_once_to_the_app(peer, workspace):
    base, _ = peer
    redirect = "http://testserver/slack/oauth_redirect"
    assert requests.post(f"{base}/_peer/app", json={"redirect_url": redirect}, timeout=10).ok
    wrong = requests.get(f"{base}/oauth/v2/authorize", params={"client_id": "nope", "state": "s"}, timeout=10,
                         allow_redirects=False)
    assert wrong.status_code == 400
    answer = requests.get(f"{base}/oauth/v2/authorize", params={
        "client_id": CLIENT_ID, "scope": "commands,chat:write", "state": "s1", "team": "T0PEER001"},
        timeout=10, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(redirect + "?")
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["s1"]
    anonymous = client(base, None)
    granted = anonymous.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=query["code"][0])
    assert granted["access_token"] == workspace["bot_token"] and granted["team"]["id"] == "T0PEER001"
    assert granted["scope"] == "commands,chat:write" and granted["token_type"] == "bot"
    for secret, code, error in ((CLIENT_SECRET, query["code"][0], "invalid_code"),
                                ("wrong", "x", "bad_client_secret")):
        with pytest.raises(SlackApiError) as caught:
            anonymous.oauth_v2_access(client_id=CLIENT_ID, client_secret=secret, code=code)
        assert caught.value.response["error"] == error
    denied = requests.get(f"{base}/oauth/v2/authorize", params={"client_id": CLIENT_ID, "state": "s2", "deny": "1"},
                          timeout=10, allow_redirects=False)
    assert parse_qs(urlsplit(denied.headers["Location"]).query)["error"] == ["access_denied"]


def test_the_command_line_needs_a_signing_secret():
    result = subprocess.run([sys.executable, "-m", "peers.slack_peer", "--port", "0", "--signing-secret", ""],
                            capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "signing secret" in result.stderr
