"""Who to reach for a service or team: ``oncall.routing`` (the on-call app's contract) when it is installed,
else what the catalog alone knows (owner, channel, contact; nobody on call). Both give the same dict shape
(see ``slackbot.messages``), so the answers never depend on which one spoke."""
from __future__ import annotations

import importlib.util

from django.apps import apps


def _oncall():
    """``oncall.routing``, or None while that app is not installed here."""
    if not apps.is_installed("oncall") or importlib.util.find_spec("oncall.routing") is None:
        return None
    from oncall import routing

    return routing


def _team(team) -> dict | None:
    return {"id": str(team.pk), "slug": team.slug, "name": team.name} if team is not None else None


def _catalog_only(service, team) -> dict:
    return {
        "service": {"id": str(service.pk), "name": service.name} if service is not None else None,
        "team": _team(team),
        "ownership_status": service.ownership_status if service is not None else ("owned" if team else "unowned"),
        "owner_confidence": float(service.owner_confidence or 0.0) if service is not None else (1.0 if team else 0.0),
        "slack_channel": getattr(team, "slack_channel", "") or "",
        "contact_email": getattr(team, "contact_email", "") or "",
        "oncall": [],
        "next_handover_at": None,
    }


def for_service(service) -> dict:
    routing = _oncall()
    if routing is not None:
        return routing.for_service(service)
    return _catalog_only(service, service.owner)


def for_team(team) -> dict:
    routing = _oncall()
    if routing is not None:
        return routing.for_team(team)
    return _catalog_only(None, team)
