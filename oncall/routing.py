"""Whom to page: a service's or a team's routing answer, from the catalog and what oncall.sync last read.

The answer's shape is a contract (the Slack app renders it)::

    {"service": {"id", "name"} | None, "team": {"id", "slug", "name"} | None,
     "ownership_status", "owner_confidence",        # the service's; None for a team
     "slack_channel", "contact_email",             # the team's, or None
     "oncall": [{"name", "email", "provider", "schedule", "until"}],   # on call now
     "next_handover_at",                           # the earliest "until", or None
     "next_oncall": [{"name", "email", "provider", "schedule", "from", "until"}],
     "escalation_policy": {"id", "name", "url", "provider", "levels"} | None,
     "candidates": [{"team", "score", "slack_channel", "contact_email"}],  # ambiguous or unowned services only
     "as_of"}                                      # when the on-call data was read (the oldest schedule used)

No vendor is called here. An answer asked after a handover and before the next sync rolls forward to whoever
sync said was next. Times are ISO 8601 UTC strings.
"""
from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

from django.db.models import Q
from django.utils import timezone

from catalog.choices import OwnershipStatus
from catalog.models import Service, Team
from oncall.models import EscalationPolicy, OnCallSchedule, PagerDutyService, Provider
from oncall.suggest import normalize

MAX_CANDIDATES = 3


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z") if moment else None


def _team(team: Team | None) -> dict | None:
    return {"id": str(team.pk), "slug": team.slug, "name": team.name} if team else None


def _shifts_at(schedule: OnCallSchedule, now: datetime) -> tuple[list, datetime | None, list, datetime | None]:
    """(now, until, next, next until) as of ``now``: past the handover, sync's "next" is on call."""
    if schedule.current_until and now >= schedule.current_until:
        if schedule.upcoming_until is None or now < schedule.upcoming_until:
            return schedule.upcoming, schedule.upcoming_until, [], None
        return [], None, [], None  # two handovers behind: nothing known until the next sync
    return schedule.current, schedule.current_until, schedule.upcoming, schedule.upcoming_until


def schedules_of(team: Team | None) -> list[OnCallSchedule]:
    if team is None or not (team.pagerduty_schedule_id or team.opsgenie_team_id):
        return []
    match = Q(pk__in=[])
    if team.pagerduty_schedule_id:
        match |= Q(provider=Provider.PAGERDUTY, external_id=team.pagerduty_schedule_id)
    if team.opsgenie_team_id:
        match |= Q(provider=Provider.OPSGENIE, owner_team_id=team.opsgenie_team_id)
    return list(OnCallSchedule.objects.filter(match).order_by("provider", "name"))


def oncall(team: Team | None, now: datetime | None = None) -> dict:
    """The on-call part of an answer for ``team``: who now, until when, who next, as of when."""
    now = now or timezone.now()
    people, upcoming, handovers, read_at = [], [], [], []
    for schedule in schedules_of(team):
        current, until, following, following_until = _shifts_at(schedule, now)
        read_at.append(schedule.synced_at)
        for person in current:
            people.append({"name": person.get("name", ""), "email": person.get("email", ""),
                           "provider": schedule.provider, "schedule": schedule.name, "until": _iso(until)})
        if until:
            handovers.append(until)
            for person in following:
                upcoming.append({"name": person.get("name", ""), "email": person.get("email", ""),
                                 "provider": schedule.provider, "schedule": schedule.name, "from": _iso(until),
                                 "until": _iso(following_until)})
    return {"oncall": people, "next_handover_at": _iso(min(handovers)) if handovers else None,
            "next_oncall": upcoming, "as_of": _iso(min(read_at)) if read_at else None}


def escalation_policy(team: Team | None, service: Service | None = None) -> dict | None:
    """PagerDuty's policy for a service of the same name, else the one that pages the team's schedule."""
    policy = None
    if service is not None:
        pd_service = (PagerDutyService.objects.filter(normalized_name=normalize(service.name))
                      .exclude(escalation_policy_id="").order_by("name").first())
        if pd_service is not None:
            policy = EscalationPolicy.objects.filter(connection_id=pd_service.connection_id,
                                                     external_id=pd_service.escalation_policy_id).first()
    if policy is None and team is not None and team.pagerduty_schedule_id:
        policy = (EscalationPolicy.objects.filter(schedule_ids__contains=[team.pagerduty_schedule_id])
                  .order_by("name").first())
    if policy is None:
        return None
    return {"id": policy.external_id, "name": policy.name, "url": policy.html_url, "provider": Provider.PAGERDUTY,
            "levels": policy.levels}


def _reach(team: Team | None, now: datetime | None, service: Service | None = None) -> dict:
    return {"slack_channel": (team.slack_channel or None) if team else None,
            "contact_email": (team.contact_email or None) if team else None,
            **oncall(team, now), "escalation_policy": escalation_policy(team, service)}


def candidates(service: Service) -> list[dict]:
    """The best-scoring teams of an ambiguous or unowned service, with how to reach each."""
    ranked = [c for c in (service.owner_candidates or []) if isinstance(c, dict) and c.get("team")][:MAX_CANDIDATES]
    teams = Team.objects.in_bulk([c["team"] for c in ranked], field_name="slug")
    return [{"team": _team(teams[c["team"]]), "score": c.get("score"),
             "slack_channel": teams[c["team"]].slack_channel or None,
             "contact_email": teams[c["team"]].contact_email or None} for c in ranked if c["team"] in teams]


def for_service(service: Service, *, now: datetime | None = None) -> dict:
    """Whom to page for ``service``: its owner team (None when unowned), how to reach it, who is on call."""
    team = service.owner if service.owner_id else None
    answer = {"service": {"id": str(service.pk), "name": service.name}, "team": _team(team),
              "ownership_status": service.ownership_status,
              "owner_confidence": round(float(service.owner_confidence or 0.0), 3), **_reach(team, now, service),
              "candidates": []}
    if service.ownership_status != OwnershipStatus.OWNED or team is None:
        answer["candidates"] = candidates(service)
    return answer


def for_team(team: Team, *, now: datetime | None = None) -> dict:
    """Whom to page for ``team``: how to reach it and who is on call (ownership_status and owner_confidence are
    a service's, None here)."""
    return {"service": None, "team": _team(team), "ownership_status": None, "owner_confidence": None,
            **_reach(team, now), "candidates": []}
