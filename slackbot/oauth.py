"""Installing the Slack app with Slack's OAuth v2 flow (bolt's ``OAuthFlow``), into the tenant that asked.

1. A tenant admin gets an install link (``slackbot.install_links``) and opens ``/slack/install?tenant=...`` on
   the public host: we issue a state in that tenant's schema (``SlackOAuthState``), signed with the tenant's
   id, set bolt's state cookie, and redirect to Slack's authorize page.
2. Slack sends the browser back to ``/slack/oauth_redirect?code=...&state=...``: bolt checks the cookie and
   has us consume the state (signature, age, once), exchanges the code (``oauth.v2.access``, ``auth.test``),
   and we store the installation in the tenant the state names (``slackbot.workspaces.connect``).
"""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.html import escape
from django_tenants.utils import schema_context, tenant_context
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.web import WebClient

from portal.models import Tenant
from slackbot import endpoints, install_links, workspaces
from slackbot.models import SlackOAuthState

log = logging.getLogger(__name__)
STATE_SALT = "slackbot.oauth-state"
STATE_SECONDS = 600
# What the app asks for (keep slackbot/manifest.yaml in step): the command, answering, unfurling console
# links, and reading a user's e-mail address for the App Home.
BOT_SCOPES = ("commands", "chat:write", "links:read", "links:write", "users:read", "users:read.email")
FAILURES = {
    "access_denied": "The install was cancelled in Slack.",
    "invalid_browser": "This install was started in another browser (or its cookie expired): start again.",
    "invalid_state": "This install link was already used or has expired: start again from Roster.",
    "missing_code": "Slack did not send an authorization code: start again from Roster.",
    "invalid_code": "Slack refused the authorization code: start again from Roster.",
}


def read_state(state: str | None) -> dict | None:
    """The tenant id and nonce a state carries, or None when it is not ours or too old."""
    if not state or not isinstance(state, str) or len(state) > 500:
        return None
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=STATE_SECONDS)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) and {"t", "n"} <= set(data) else None


def _tenant(data: dict) -> Tenant | None:
    with schema_context("public"):
        return Tenant.objects.filter(pk=data["t"]).first()


class TenantStateStore(OAuthStateStore):
    """States live in the schema of the tenant that started the install; the state names it, signed."""

    @property
    def logger(self):
        return log

    def issue(self, *args, tenant: Tenant | None = None, issued_by: str = "", **kwargs) -> str:
        if tenant is None:
            raise BoltError("an install starts from a tenant's install link")
        nonce = secrets.token_urlsafe(24)
        with tenant_context(tenant):
            SlackOAuthState.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
            SlackOAuthState.objects.create(nonce=nonce, issued_by=issued_by[:150])
        return signing.dumps({"t": tenant.pk, "n": nonce}, salt=STATE_SALT)

    def consume(self, state: str) -> bool:
        data = read_state(state)
        tenant = _tenant(data) if data else None
        if tenant is None:
            return False
        fresh = timezone.now() - timedelta(seconds=STATE_SECONDS)
        with tenant_context(tenant):
            return SlackOAuthState.objects.filter(nonce=data["n"], consumed_at__isnull=True,
                                                  created_at__gte=fresh).update(consumed_at=timezone.now()) == 1


class TenantInstallationStore(InstallationStore):
    """Bolt's view of the installations; saving goes through ``RosterOAuthFlow.store_installation``, which
    knows the tenant (an ``Installation`` alone does not)."""

    @property
    def logger(self):
        return log

    def save(self, installation):
        raise BoltError("installations are saved for a tenant (RosterOAuthFlow.store_installation)")

    def find_bot(self, *, enterprise_id, team_id, is_enterprise_install=False) -> Bot | None:
        found = workspaces.find(team_id)
        if found is None or not found.bot_token:
            return None
        return Bot(enterprise_id=enterprise_id, team_id=team_id, bot_token=found.bot_token,
                   bot_id=found.bot_id or "", bot_user_id=found.bot_user_id or "", installed_at=timezone.now())

    def find_installation(self, *, enterprise_id, team_id, user_id=None, is_enterprise_install=False):
        return None


class RosterOAuthFlow(OAuthFlow):
    def issue_new_state(self, request) -> str:
        grant = install_links.read((request.query.get("tenant") or [None])[0])  # the view checked it already
        return self.settings.state_store.issue(tenant=grant.tenant, issued_by=grant.by)

    def store_installation(self, request, installation):
        data = read_state((request.query.get("state") or [None])[0])
        tenant = _tenant(data) if data else None
        if tenant is None:
            raise BoltError("the install's tenant is gone")
        with tenant_context(tenant):
            issued_by = (SlackOAuthState.objects.filter(nonce=data["n"]).values_list("issued_by", flat=True)
                         .first() or "")
        scopes = installation.bot_scopes if isinstance(installation.bot_scopes, (list, tuple)) else \
            str(installation.bot_scopes or "").split(",")
        try:
            workspaces.connect(
                tenant, installation.team_id or "", by=issued_by or f"slack:{installation.user_id}",
                source="oauth", team_name=installation.team_name or "", enterprise_id=installation.enterprise_id or "",
                bot_token=installation.bot_token, bot_user_id=installation.bot_user_id or "",
                bot_id=installation.bot_id or "", app_id=installation.app_id or "", scopes=scopes,
                installer_user_id=installation.user_id or "")
        except workspaces.WorkspaceError as exc:
            raise BoltError(str(exc)) from None


def page(status: int, title: str, message: str) -> BoltResponse:
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body style='font-family: sans-serif; margin: 3rem'><h1>{escape(title)}</h1><p>{escape(message)}</p>"
            "</body></html>")
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def _success(args: SuccessArgs) -> BoltResponse:
    team = args.installation.team_name or args.installation.team_id
    return page(200, "Roster is connected to Slack",
                 f"Roster now answers in the Slack workspace {team}. Try /roster help in any channel.")


def _failure(args: FailureArgs) -> BoltResponse:
    status = args.suggested_status_code
    if args.reason == "storage_error" and isinstance(args.error, BoltError):
        message, status = str(args.error), 409  # ours: which workspace and why, never a secret
    else:
        message = FAILURES.get(args.reason, "The install did not complete: start again from Roster.")
    return page(status, "Roster could not be installed", message)


def flow() -> RosterOAuthFlow | None:
    """The OAuth flow, or None when the operator has not given the app's client id and secret."""
    if not (settings.SLACK_CLIENT_ID and settings.SLACK_CLIENT_SECRET):
        return None
    return RosterOAuthFlow(
        client=WebClient(base_url=endpoints.api_url(), timeout=10),
        logger=log,
        settings=OAuthSettings(
            client_id=settings.SLACK_CLIENT_ID, client_secret=settings.SLACK_CLIENT_SECRET, scopes=list(BOT_SCOPES),
            user_scopes=[], redirect_uri=settings.SLACK_REDIRECT_URI or None,
            install_path=install_links.INSTALL_PATH, redirect_uri_path="/slack/oauth_redirect",
            install_page_rendering_enabled=False, authorization_url=endpoints.authorize_url(),
            installation_store=TenantInstallationStore(), state_store=TenantStateStore(),
            state_expiration_seconds=STATE_SECONDS, callback_options=CallbackOptions(success=_success,
                                                                                     failure=_failure),
        ),
    )
