"""What Slack sends an app, signed as Slack signs it: slash commands (form-encoded ``SlashCommand``) and Events
API callbacks (JSON ``EnvelopedEvent``), with ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``
(``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the app's signing secret).

Only loopback receivers are called (the peer is local): IPs, ``localhost`` and ``*.localhost``, which is sent
to 127.0.0.1 with its name in ``Host`` (the GitHub emulator's rule, ``loopback_target``).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests

from peers.github_emulator.webhooks import HookError, loopback_target

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
TIMEOUT_S = 10
ACK_DEADLINE_S = 3.0  # Slack shows the user an error when a command is not acknowledged within 3 seconds
_session = requests.Session()
_session.trust_env = False  # never through a proxy from the environment


class TargetRefused(ValueError):
    """A receiver URL that is not on loopback."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, content_type: str, secret: str, timestamp: int | None = None) -> dict[str, Any]:
    """POST ``body`` signed to ``url``; ``{"status", "body", "json", "elapsed_ms", "in_time"}`` (``status`` None
    when the receiver could not be reached)."""
    try:
        target, host = loopback_target(url)
    except HookError as exc:
        raise TargetRefused(str(exc).replace("config.url", "url")) from None
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    headers = {"Content-Type": content_type, "User-Agent": USER_AGENT, "Host": host,
               "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(secret, ts, body)}
    started = time.monotonic()
    try:
        response = _session.post(target, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False)
    except requests.RequestException as exc:
        return {"status": None, "body": "", "json": None, "error": type(exc).__name__,
                "elapsed_ms": round((time.monotonic() - started) * 1000), "in_time": False}
    elapsed = time.monotonic() - started
    try:
        parsed = response.json() if response.content else None
    except ValueError:
        parsed = None
    return {"status": response.status_code, "body": response.text[:20000], "json": parsed,
            "content_type": response.headers.get("Content-Type", ""), "elapsed_ms": round(elapsed * 1000),
            "in_time": elapsed <= ACK_DEADLINE_S}


def command_payload(*, workspace, user, text: str, response_url: str, app_id: str, command: str = "/roster",
                    channel_id: str = "C0GENERAL1", channel_name: str = "general") -> dict[str, str]:
    """A slash command's fields (``SlashCommand`` in @slack/bolt), as Slack posts them."""
    return {
        "token": "peer-verification-token", "team_id": workspace.team_id, "team_domain": workspace.domain,
        "channel_id": channel_id, "channel_name": channel_name, "user_id": user.id, "user_name": user.name,
        "command": command, "text": text, "api_app_id": app_id, "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(8)}",
    }


def envelope(*, workspace, app_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """An Events API callback (``EnvelopedEvent``) around ``event``."""
    return {
        "token": "peer-verification-token", "team_id": workspace.team_id, "api_app_id": app_id, "event": event,
        "type": "event_callback", "event_id": f"Ev{secrets.token_hex(5).upper()}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": workspace.team_id, "user_id": workspace.bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def as_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
