"""The App Home tab: the services of the teams of the Slack user who opened it. The user is matched to Roster
users by the e-mail address Slack gives (``users.info``, scope users:read.email); their teams are the ones on
their profile and the GitHub teams their login belongs to. Anyone we cannot match sees how to ask instead."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.models import Profile
from catalog.models import Service, Team
from slackbot import messages
from slackbot.answers import console_base, service_url, team_url

MAX_TEAMS = 10


def teams_of(email: str) -> list[Team]:
    users = list(get_user_model().objects.filter(email__iexact=email, is_active=True).values_list("pk", flat=True))
    if not users:
        return []
    slugs, logins = set(), set()
    for teams, login in Profile.objects.filter(user_id__in=users).values_list("teams", "github_login"):
        slugs.update(t for t in (teams or []) if isinstance(t, str))
        if login:
            logins.add(login)
    wanted = Q(slug__in=slugs)
    for login in logins:
        wanted |= Q(members__contains=[login])
    return list(Team.objects.filter(wanted).order_by("slug")[:MAX_TEAMS]) if (slugs or logins) else []


def view_for(email: str | None) -> dict:
    """The Home tab view (``views.publish``'s ``view``) for the Slack user with ``email``."""
    if not email:
        return messages.home_view({"reason": "Roster could not read your Slack e-mail address."})
    teams = teams_of(email)
    if not teams:
        return messages.home_view({"reason": "Roster knows no team of yours (no Roster user has your Slack "
                                             "e-mail address, or they are on no team)."})
    base = console_base()
    services = {}
    for service in Service.objects.filter(owner__in=teams, hidden=False).exclude(lifecycle="eol").order_by("name"):
        services.setdefault(service.owner_id, []).append({
            "name": service.name, "url": service_url(base, service), "ownership_status": service.ownership_status,
            "owner_confidence": service.owner_confidence})
    return messages.home_view({"teams": [
        {"slug": t.slug, "name": t.name, "url": team_url(base, t), "slack_channel": getattr(t, "slack_channel", ""),
         "services": services.get(t.pk, [])} for t in teams]})
