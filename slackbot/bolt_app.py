"""The Bolt app serving ``/slack/commands`` and ``/slack/events``: one per process and signing secret.

Bolt verifies every request (the signing secret, and a timestamp within 5 minutes either way: older replays are
refused) before ``authorize`` runs; ``authorize`` picks the tenant from the request's ``team_id``
(slackbot.workspaces), never from the host, and hands bolt that tenant's bot token. A workspace no tenant
connected is authorized with no token and answered politely by the listeners. ``process_before_response``:
the acknowledgement runs in the request, so it can answer at once (help, errors, not connected) or leave
the work to a lazy listener.
"""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from slack_bolt import App
from slack_bolt.adapter.django import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web import WebClient

from slackbot import endpoints, listeners, workspaces

log = logging.getLogger(__name__)
COMMAND = "/roster"
_lock = threading.Lock()
_handlers: dict[tuple, SlackRequestHandler] = {}


def authorize(context, enterprise_id, team_id, user_id) -> AuthorizeResult:
    found = workspaces.find(team_id)
    context["roster_tenant"] = found.tenant.pk if found is not None else None
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                           bot_token=found.bot_token if found else None,
                           bot_user_id=(found.bot_user_id or None) if found else None,
                           bot_id=(found.bot_id or None) if found else None)


def build(signing_secret: str, api_url: str) -> App:
    app = App(
        signing_secret=signing_secret, authorize=authorize, process_before_response=True,
        client=WebClient(base_url=api_url, timeout=10), logger=logging.getLogger("slackbot.bolt"),
        name="roster",
    )
    app.command(COMMAND)(ack=listeners.ack_command, lazy=[listeners.answer_command])
    app.event("link_shared")(ack=listeners.ack_event, lazy=[listeners.unfurl_links])
    app.event("app_home_opened")(ack=listeners.ack_event, lazy=[listeners.publish_home])
    app.event("app_uninstalled")(listeners.forget_workspace)
    app.event("tokens_revoked")(listeners.forget_tokens)
    return app


def handler() -> SlackRequestHandler | None:
    """The Django handler of the Bolt app, or None when no signing secret is set (nothing can be verified)."""
    secret = settings.SLACK_SIGNING_SECRET
    if not secret:
        return None
    key = (secret, endpoints.api_url())
    with _lock:
        found = _handlers.get(key)
        if found is None:
            _handlers.clear()  # settings changed (tests): the old app is not used again
            found = _handlers[key] = SlackRequestHandler(build(*key))
        return found
