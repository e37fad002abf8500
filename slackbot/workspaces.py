"""Which tenant a Slack workspace belongs to, and connecting or disconnecting one.

The mapping (``portal.SlackWorkspace``: team id -> tenant) is public, because Slack calls one host for every
workspace; the installation with its bot token is in the tenant's schema (``SlackInstallation``). A workspace
answers for one tenant only: connecting it to a second one is refused until the first lets go.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.db import transaction
from django_tenants.utils import schema_context, tenant_context

from audit.events import record
from portal.crypto import SecretUnreadable
from portal.models import SlackWorkspace, Tenant
from slackbot.models import SlackInstallation

log = logging.getLogger(__name__)
TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,31}$")  # Slack's workspace (T...) and org (E...) ids


class WorkspaceError(ValueError):
    """A workspace that cannot be connected as asked; the message says why (no secret in it)."""


@dataclass(frozen=True)
class Found:
    tenant: Tenant
    bot_token: str | None
    bot_user_id: str
    bot_id: str


def valid_team_id(team_id) -> bool:
    return isinstance(team_id, str) and bool(TEAM_ID.match(team_id))


def tenant_for(team_id: str) -> Tenant | None:
    if not valid_team_id(team_id):
        return None
    with schema_context("public"):
        mapping = SlackWorkspace.objects.select_related("tenant").filter(team_id=team_id).first()
    return mapping.tenant if mapping is not None else None


def find(team_id: str) -> Found | None:
    """The tenant of ``team_id`` and its bot credentials, or None for a workspace no tenant connected."""
    tenant = tenant_for(team_id)
    if tenant is None:
        return None
    with tenant_context(tenant):
        installation = SlackInstallation.objects.filter(team_id=team_id).first()
        token = None
        if installation is not None:
            try:
                token = installation.bot_token()
            except SecretUnreadable:
                log.error("the bot token of Slack workspace %s cannot be decrypted (ROSTER_ENCRYPTION_KEY changed?)",
                          team_id)
    return Found(tenant, token, getattr(installation, "bot_user_id", "") or "",
                 getattr(installation, "bot_id", "") or "")


@transaction.atomic
def connect(tenant: Tenant, team_id: str, *, by: str, source: str = SlackInstallation.Source.MANUAL,
            team_name: str = "", enterprise_id: str = "", bot_token: str | None = None, bot_user_id: str = "",
            bot_id: str = "", app_id: str = "", scopes=(), installer_user_id: str = "") -> SlackInstallation:
    """Map ``team_id`` to ``tenant`` and record its installation there; a new ``bot_token`` replaces the old one,
    none keeps it. Raises ``WorkspaceError`` for a malformed id or a workspace another tenant holds."""
    if not valid_team_id(team_id):
        raise WorkspaceError(f"{team_id!r} is not a Slack workspace id (it looks like T0123ABCD)")
    if bot_token is not None and not re.fullmatch(r"xoxb-[A-Za-z0-9-]{8,250}", bot_token):
        raise WorkspaceError("the bot token must be a Slack bot token (xoxb-...)")
    with schema_context("public"):
        mapping = SlackWorkspace.objects.select_for_update().filter(team_id=team_id).first()
        if mapping is not None and mapping.tenant_id != tenant.pk:
            raise WorkspaceError(f"Slack workspace {team_id} is already connected to another Roster tenant; "
                                 "disconnect it there first")
        if mapping is None:
            mapping = SlackWorkspace(team_id=team_id, tenant=tenant)
        mapping.team_name = team_name or mapping.team_name
        mapping.enterprise_id = enterprise_id or mapping.enterprise_id
        mapping.connected_by = by
        mapping.save()
    with tenant_context(tenant):
        installation, created = SlackInstallation.objects.get_or_create(team_id=team_id)
        for name, value in (("team_name", team_name), ("enterprise_id", enterprise_id), ("app_id", app_id),
                            ("bot_user_id", bot_user_id), ("bot_id", bot_id),
                            ("installer_user_id", installer_user_id)):
            if value:
                setattr(installation, name, value)
        if scopes:
            installation.bot_scopes = sorted({s for s in scopes if s})
        if bot_token is not None:
            installation.set_bot_token(bot_token)
        installation.installed_by, installation.source = by, source
        installation.save()
        record("slack.connected", actor=by, obj=installation, team_id=team_id, team_name=installation.team_name,
               source=source, new=created, bot_token=installation.has_bot_token)
    return installation


@transaction.atomic
def disconnect(team_id: str, *, by: str, reason: str = "") -> bool:
    """Forget ``team_id``: its mapping and its installation (bot token included). False when it was unknown."""
    tenant = tenant_for(team_id)
    if tenant is None:
        return False
    with schema_context("public"):
        SlackWorkspace.objects.filter(team_id=team_id).delete()
    with tenant_context(tenant):
        installation = SlackInstallation.objects.filter(team_id=team_id).first()
        SlackInstallation.objects.filter(team_id=team_id).delete()
        record("slack.disconnected", actor=by, obj=installation, team_id=team_id, reason=reason)
    return True


def forget_bot_token(team_id: str, *, by: str, reason: str) -> bool:
    """Drop the bot token of ``team_id`` (Slack revoked it); the workspace stays connected for commands."""
    tenant = tenant_for(team_id)
    if tenant is None:
        return False
    with tenant_context(tenant), transaction.atomic():
        installation = SlackInstallation.objects.select_for_update().filter(team_id=team_id).first()
        if installation is None or not installation.has_bot_token:
            return False
        installation.set_bot_token(None)
        installation.save(update_fields=["bot_token_encrypted", "updated_at"])
        record("slack.token_revoked", actor=by, obj=installation, team_id=team_id, reason=reason)
    return True
