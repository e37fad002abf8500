"""Where Roster calls Slack. The response_url comes in the request: only Slack's own host (or, in local peers
mode, the local peer) is ever called, whatever a request says; the Web API and authorize URLs are the
operator's, never a request's."""
import pytest

from slackbot import endpoints, listeners

PEER = "http://127.0.0.1:8977/api/"


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/commands/T0001/123/abc",
    "https://HOOKS.SLACK.COM/commands/T0001/123/abc",
    "https://hooks.slack.com:443/commands/T0001/123/abc",
])
def test_slacks_response_urls_are_allowed(url, settings):
    settings.ROSTER_LOCAL_PEERS, settings.ROSTER_SLACK_API_URL = False, ""
    assert endpoints.response_url_allowed(url)


@pytest.mark.parametrize("url", [
    "http://hooks.slack.com/commands/T0001/1/x",  # not TLS
    "https://hooks.slack.com.evil.example/commands/x",
    "https://evil.example/#https://hooks.slack.com/",
    "https://hooks.slack.com@evil.example/commands/x",
    "https://user:pw@hooks.slack.com/commands/x",
    "https://hooks.slack.com:8443/commands/x",
    "https://evil.example\\@hooks.slack.com/x",
    "https://hooks.slack.com /x",
    "https://hooks.slack.com\n.evil.example/",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8977/_peer/respond/1",  # the peer's origin, but local peers mode is off
    "file:///etc/passwd",
    "gopher://hooks.slack.com/",
    "https://hooks.slack.com:99999/x",
    "",
    None,
    "https://" + "a" * 3000,
])
def test_anything_else_is_refused(url, settings):
    settings.ROSTER_LOCAL_PEERS, settings.ROSTER_SLACK_API_URL = False, PEER
    assert not endpoints.response_url_allowed(url)
    assert listeners.respond(url, {"text": "x"}) is None  # nothing is sent


def test_local_peers_mode_adds_the_peers_origin_only(settings):
    settings.ROSTER_LOCAL_PEERS, settings.ROSTER_SLACK_API_URL = True, PEER
    assert endpoints.response_url_allowed("http://127.0.0.1:8977/_peer/respond/abc")
    assert not endpoints.response_url_allowed("http://127.0.0.1:8978/_peer/respond/abc")
    assert not endpoints.response_url_allowed("http://localhost:8977/_peer/respond/abc")
    assert endpoints.response_url_allowed("https://hooks.slack.com/commands/x")


def test_the_api_and_authorize_urls_are_slacks_unless_local_peers_mode(settings):
    settings.ROSTER_LOCAL_PEERS, settings.ROSTER_SLACK_API_URL = False, PEER
    assert endpoints.api_url() == "https://slack.com/api/"
    assert endpoints.authorize_url() == "https://slack.com/oauth/v2/authorize"
    settings.ROSTER_LOCAL_PEERS = True
    assert endpoints.api_url() == PEER
    assert endpoints.authorize_url() == "http://127.0.0.1:8977/oauth/v2/authorize"
