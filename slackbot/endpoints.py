"""Where Roster calls Slack: the Web API, the OAuth authorize page, and the ``response_url`` of a command.

The API and authorize URLs are Slack's, or in local peers mode the local Slack peer's (the operator's
ROSTER_SLACK_API_URL: a tenant never chooses them). A ``response_url`` arrives in a request; it is signed by
Slack, but it is still a URL from outside, so it is only called when it is Slack's own
(``https://hooks.slack.com/...``) or, in local peers mode, the peer's origin: never anything else.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

SLACK_API_URL = "https://slack.com/api/"
SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
RESPONSE_HOSTS = frozenset({"hooks.slack.com"})


def _local_api() -> str:
    url = settings.ROSTER_SLACK_API_URL.strip() if settings.ROSTER_LOCAL_PEERS else ""
    return url.rstrip("/") + "/" if url else ""


def api_url() -> str:
    """The Web API root slack_sdk's WebClient calls (its ``base_url``)."""
    return _local_api() or SLACK_API_URL


def authorize_url() -> str:
    local = _local_api()
    if local:
        parts = urlsplit(local)
        return f"{parts.scheme}://{parts.netloc}/oauth/v2/authorize"
    return SLACK_AUTHORIZE_URL


def _origin(url: str) -> tuple[str, str, int] | None:
    if not isinstance(url, str) or not url or len(url) > 2000:
        return None
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def response_url_allowed(url: str) -> bool:
    origin = _origin(url)
    if origin is None:
        return False
    if origin[0] == "https" and origin[1] in RESPONSE_HOSTS and origin[2] == 443:
        return True
    local = _local_api()
    return bool(local) and origin == _origin(local)
