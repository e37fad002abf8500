"""Install links: ``/slack/install?tenant=<token>`` on the public host, issued to a tenant's admin (API or
``manage.py slack_install_link``). The token is signed with the server's secret and short-lived, and names
the tenant and who asked; Slack's OAuth flow then carries the tenant in its signed state (slackbot.oauth)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django_tenants.utils import schema_context

from portal.models import Tenant

SALT = "slackbot.install-link"
MAX_AGE_SECONDS = 3600
INSTALL_PATH = "/slack/install"


class InstallLinkInvalid(ValueError):
    """The link is malformed, tampered with, expired, or its tenant is gone."""


@dataclass(frozen=True)
class Grant:
    tenant: Tenant
    by: str


def issue(tenant: Tenant, by: str) -> str:
    return signing.dumps({"t": tenant.pk, "s": tenant.schema_name, "by": by}, salt=SALT)


def read(token: str | None) -> Grant:
    if not token or not isinstance(token, str) or len(token) > 1000:
        raise InstallLinkInvalid("This install link is incomplete: ask Roster for a new one.")
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise InstallLinkInvalid("This install link has expired (they last an hour): ask Roster for a new "
                                 "one.") from None
    except signing.BadSignature:
        raise InstallLinkInvalid("This install link is not valid: ask Roster for a new one.") from None
    with schema_context("public"):
        tenant = Tenant.objects.filter(pk=data.get("t"), schema_name=data.get("s")).first()
    if tenant is None:
        raise InstallLinkInvalid("This install link's Roster tenant no longer exists.")
    return Grant(tenant, str(data.get("by") or ""))


def install_path(token: str) -> str:
    return f"{INSTALL_PATH}?{urlencode({'tenant': token})}"


def install_url(token: str) -> str:
    """The whole link when the operator named the public URL (ROSTER_SLACK_PUBLIC_URL), else the path."""
    base = settings.ROSTER_SLACK_PUBLIC_URL.rstrip("/")
    return base + install_path(token)
