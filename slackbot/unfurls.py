"""Link unfurls: a console link to a service (``<console>/services/<id>``) posted in Slack becomes a card with
its owner and who is on call. Only links on the tenant's own hosts are unfurled, and only services of the
tenant the workspace belongs to can be found (the lookup runs in its schema)."""
from __future__ import annotations

from urllib.parse import urlsplit

from django.db import connection

from catalog.models import Service
from slackbot.answers import console_base, service_card
from slackbot.lookup import SERVICE_LINK

MAX_LINKS = 5  # Slack sends the links of one message; a card each is plenty


def tenant_hosts() -> set[str]:
    hosts = set(connection.tenant.domains.values_list("domain", flat=True))
    console = urlsplit(console_base()).hostname
    return {h.lower() for h in hosts | ({console} if console else set())}


def unfurls(links: list) -> dict:
    """``{url: {"blocks": [...]}}`` for the links of a ``link_shared`` event that name one of our services."""
    hosts, out = None, {}
    for item in (links or [])[:MAX_LINKS]:
        url = item.get("url") if isinstance(item, dict) else None
        if not isinstance(url, str) or len(url) > 2000:
            continue
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            continue
        found = SERVICE_LINK.search(parts.path + "/") if parts.scheme in ("http", "https") else None
        if found is None or not parts.path.startswith("/services/"):
            continue
        hosts = tenant_hosts() if hosts is None else hosts
        if host not in hosts:
            continue
        service = Service.objects.filter(pk=found.group(1).lower(), hidden=False).select_related("owner").first()
        if service is not None:
            out[url] = service_card(service)
    return out
