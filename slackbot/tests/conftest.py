"""Slack app test helpers on top of the shared plugin (/conftest.py: tenants alpha and beta)."""
import json
import time
from urllib.parse import urlencode

import pytest

from peers.slack_peer.sending import signature

SECRET = "slackbot-test-signing-secret"


@pytest.fixture(autouse=True)
def _cold_search_cache():
    """Search answers are cached in Redis, which the test transaction does not roll back."""
    from portal.tenancy import schema_for
    from search import cache

    for name in ("alpha", "beta"):
        cache.bump(schema_for(name))


@pytest.fixture
def slack_settings(settings):
    settings.SLACK_SIGNING_SECRET = SECRET
    settings.ROSTER_LOCAL_PEERS, settings.ROSTER_SLACK_API_URL = False, ""
    settings.ROSTER_SLACK_CONSOLE_URL = "https://{host}"
    return settings


def post_signed(client, path: str, body: bytes, content_type: str, *, secret: str = SECRET,
                timestamp: int | None = None, headers: dict | None = None):
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sent = {"HTTP_X_SLACK_REQUEST_TIMESTAMP": ts, "HTTP_X_SLACK_SIGNATURE": signature(secret, ts, body)}
    sent.update(headers or {})
    return client.post(path, data=body, content_type=content_type, **sent)


# Not a URL Roster calls outside local peers mode: the lazy answer stops there (tests never reach Slack).
NOWHERE = "http://127.0.0.1:9/commands/T/1/x"


def command_body(team_id: str, text: str, response_url: str = NOWHERE) -> bytes:
    return urlencode({"token": "t", "team_id": team_id, "team_domain": "acme", "channel_id": "C0123ABCD",
                      "channel_name": "general", "user_id": "U0123ABCD", "user_name": "alice", "command": "/roster",
                      "text": text, "api_app_id": "A0ROSTER1", "is_enterprise_install": "false",
                      "response_url": response_url, "trigger_id": "1.2.3"}).encode()


def event_body(team_id: str, event: dict) -> bytes:
    return json.dumps({"token": "t", "team_id": team_id, "api_app_id": "A0ROSTER1", "event": event,
                       "type": "event_callback", "event_id": "Ev0123", "event_time": int(time.time())}).encode()
