"""Bolt listeners, thin: acknowledge in the request (within Slack's 3 s), then answer in a lazy listener (bolt
runs it in a thread after the acknowledgement), inside the schema of the tenant the workspace belongs to.

``authorize`` (slackbot.bolt_app) put the tenant's id in the context (``roster_tenant``; None for a workspace
no tenant connected). Lazy listeners get a copy of the context as the acknowledgement left it, so the ack
says whether anything is left to do (``roster_command``).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import connection
from django_tenants.utils import schema_context, tenant_context
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from portal.models import Tenant
from slackbot import answers, commands, endpoints, home, messages, unfurls, workspaces

log = logging.getLogger(__name__)
RESPONSE_TIMEOUT_SECONDS = 10


@contextmanager
def in_tenant(context):
    """The block runs in the schema of the request's tenant; yields False when there is none."""
    tenant_id = context.get("roster_tenant")
    try:
        tenant = None
        if tenant_id is not None:
            with schema_context("public"):
                tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None:
            yield False
        else:
            with tenant_context(tenant):
                yield True
    finally:
        # A lazy listener's thread is bolt's, not a request's: give its connection back now.
        connection.close()


# --- /roster --------------------------------------------------------------------------------------------


def ack_command(ack, body, context):
    if context.get("roster_tenant") is None:
        return ack(messages.not_connected())
    try:
        command = commands.parse(body.get("text"))
    except commands.CommandError as exc:
        return ack(messages.usage(str(exc)))
    if command.verb == commands.HELP:
        return ack(messages.help_message())
    context["roster_command"] = {"verb": command.verb, "query": command.query, "implicit": command.implicit}
    return ack()  # an empty 200: the answer follows through response_url


def answer_command(body, context):
    wanted = context.get("roster_command")
    if not wanted:
        return
    response_url = body.get("response_url")
    if not endpoints.response_url_allowed(response_url):
        log.warning("slash command with a response_url that is not Slack's: not answered")
        return
    try:
        with in_tenant(context) as found:
            message = answers.run(commands.Command(**wanted)) if found else messages.not_connected()
    except Exception:
        log.exception("answering /roster %s failed", wanted.get("verb"))
        message = messages.unavailable()
    respond(response_url, message)


def respond(response_url: str, message: dict) -> int | None:
    """Post ``message`` to a command's ``response_url`` (checked again here); the HTTP status, or None."""
    if not endpoints.response_url_allowed(response_url):
        return None
    try:
        response = WebhookClient(response_url, timeout=RESPONSE_TIMEOUT_SECONDS).send_dict(message)
    except Exception as exc:  # a network error must not kill bolt's thread; the URL is not logged (a capability)
        log.warning("posting an answer to Slack failed: %s", type(exc).__name__)
        return None
    if response.status_code >= 300:
        log.warning("Slack refused an answer: HTTP %s %s", response.status_code, str(response.body)[:200])
    return response.status_code


# --- events ------------------------------------------------------------------------------------------------


def ack_event(ack):
    ack()


def unfurl_links(event, context, client):
    if not client.token:
        return  # connected without a bot token: nothing may be posted
    with in_tenant(context) as found:
        cards = unfurls.unfurls(event.get("links")) if found else {}
    if not cards:
        return
    target = ({"source": event["source"], "unfurl_id": event["unfurl_id"]} if event.get("unfurl_id")
              else {"channel": event.get("channel"), "ts": event.get("message_ts")})
    try:
        client.chat_unfurl(unfurls=cards, **target)
    except SlackApiError as exc:
        log.warning("chat.unfurl failed: %s", exc.response.get("error"))


def publish_home(event, context, client):
    if event.get("tab") != "home" or not client.token:
        return
    user_id = event.get("user")
    email = None
    try:
        email = ((client.users_info(user=user_id).get("user") or {}).get("profile") or {}).get("email")
    except SlackApiError as exc:
        log.info("users.info failed (%s): the Home tab shows how to ask", exc.response.get("error"))
    with in_tenant(context) as found:
        if not found:
            return
        view = home.view_for(email)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))


def forget_workspace(body, ack):
    """``app_uninstalled``: the workspace removed the app; forget it, token and mapping."""
    ack()
    team_id = body.get("team_id")
    workspaces.disconnect(team_id, by=f"slack:{team_id}", reason="the app was uninstalled in Slack")


def forget_tokens(body, event, ack):
    """``tokens_revoked``: Slack revoked the bot token; keep the workspace connected for commands."""
    ack()
    if (event.get("tokens") or {}).get("bot"):
        workspaces.forget_bot_token(body.get("team_id"), by=f"slack:{body.get('team_id')}",
                                    reason="Slack revoked the bot token")
