"""A team's routing fields (catalog.Team: slack_channel, pagerduty_schedule_id, opsgenie_team_id, contact_email)
and where each value came from, the one place for their rules.

``Team.routing_sources[field]`` is ``{"source": "suggested" | "confirmed" | "corrected", "by", "at", ...}``:

* suggested: filled by oncall.suggest from PagerDuty and Opsgenie names (with ``score`` and ``from``), only into
  a field that is empty or holds an earlier suggestion;
* confirmed: an editor kept the value (PATCH with the same value, or named in ``confirm``);
* corrected: an editor set another value (clearing a field is a correction too: it stays empty).

A confirmed or corrected value is never overwritten by a suggestion, and a value set before this existed (no
source) is treated as a person's. Every change by a person is an audit event (``team.routing_changed``: who, why,
old and new per field).
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from audit import events
from catalog.models import Team
from oncall import suggest
from oncall.models import OnCallSchedule, OnCallTeam, Provider

FIELDS = ("slack_channel", "pagerduty_schedule_id", "opsgenie_team_id", "contact_email")
SUGGESTED, CONFIRMED, CORRECTED = "suggested", "confirmed", "corrected"
PEOPLE = (CONFIRMED, CORRECTED)
SUGGESTER = "roster:suggest"
# Slack channel names: lowercase letters, digits, - _ . up to 80 characters (Slack's rule), with or without "#";
# or a channel id (C..., G...).
SLACK_CHANNEL = re.compile(r"^#?[a-z0-9][a-z0-9._-]{0,79}$")
SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{8,20}$")
PAGERDUTY_ID = re.compile(r"^[A-Z0-9]{2,20}$")
OPSGENIE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,63}$")


class RoutingError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def clean(field: str, value) -> str:
    """The value as stored, or a ValueError with a message for people. Values never reach a URL Roster calls
    (routing joins them with what sync read); they are checked all the same, so none can carry one."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    value = value.strip()
    if value == "":
        return ""
    if field == "slack_channel":
        if SLACK_CHANNEL_ID.match(value):
            return value
        if not SLACK_CHANNEL.match(value):
            raise ValueError("a Slack channel name (lowercase letters, digits, - _ ., up to 80) or a channel id")
        return value if value.startswith("#") else f"#{value}"
    if field == "pagerduty_schedule_id":
        if not PAGERDUTY_ID.match(value):
            raise ValueError("a PagerDuty schedule id (capital letters and digits, e.g. PABC123)")
        return value
    if field == "opsgenie_team_id":
        if not OPSGENIE_ID.match(value):
            raise ValueError("an Opsgenie team id (letters, digits and dashes, e.g. a UUID)")
        return value
    if field == "contact_email":
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError("an email address") from None
        return value[:254]
    raise ValueError("not a routing field")


def source_of(team: Team, field: str) -> str | None:
    entry = (team.routing_sources or {}).get(field)
    if isinstance(entry, dict):
        return entry.get("source")
    return CONFIRMED if getattr(team, field) else None  # set before sources were kept: a person's


@transaction.atomic
def change(team: Team, values: dict, *, confirm=(), user: str, reason: str = "") -> Team:
    """Apply an editor's values and confirmations; returns the team as saved. Raises RoutingError."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    errors, cleaned = {}, {}
    for field, value in values.items():
        if field not in FIELDS:
            errors[field] = "not a routing field"
            continue
        try:
            cleaned[field] = clean(field, value)
        except ValueError as exc:
            errors[field] = str(exc)
    for field in confirm:
        if field not in FIELDS:
            errors[field] = "not a routing field"
    if errors:
        raise RoutingError(errors)
    sources = dict(team.routing_sources or {})
    at = timezone.now().isoformat()
    changes = {}
    for field in dict.fromkeys([*cleaned, *confirm]):
        old = getattr(team, field)
        new = cleaned.get(field, old)
        kind = CONFIRMED if new == old else CORRECTED
        entry = {"source": kind, "by": user, "at": at}
        if reason:
            entry["reason"] = reason[:300]
        previous = sources.get(field) if isinstance(sources.get(field), dict) else {}
        if kind == CONFIRMED and previous.get("source") == SUGGESTED:
            entry["confirmed_suggestion"] = {k: previous[k] for k in ("score", "from") if k in previous}
        sources[field] = entry
        setattr(team, field, new)
        changes[field] = {"old": old, "new": new, "source": kind, "was": source_of(team, field)}
    if not changes:
        raise RoutingError({"detail": "nothing to change: send a routing field or confirm"})
    team.routing_sources = sources
    team.save(update_fields=[*FIELDS, "routing_sources", "updated_at"])
    events.record("team.routing_changed", actor=user, obj=team, team=team.slug, changes=changes, reason=reason)
    return team


def candidates() -> list[suggest.Candidate]:
    """What sync read that a team field may name: PagerDuty schedules and Opsgenie teams."""
    found = [suggest.Candidate("pagerduty_schedule", external_id, name) for external_id, name in
             OnCallSchedule.objects.filter(provider=Provider.PAGERDUTY).values_list("external_id", "name")]
    found += [suggest.Candidate("opsgenie_team", external_id, name)
              for external_id, name in OnCallTeam.objects.values_list("external_id", "name")]
    return found


def apply_suggestions() -> list[str]:
    """Fill empty (or earlier suggested) fields with today's suggestions; returns the slugs of the teams changed.
    Suggestions are the product's, not a person's: no audit event, their source says where they came from."""
    teams = {str(t.pk): t for t in Team.objects.all()}
    found = suggest.suggest([suggest.TeamName(pk, t.slug, t.name) for pk, t in teams.items()], candidates())
    changed = set()
    at = timezone.now().isoformat()
    for suggestion in found:
        team = teams[suggestion.team_id]
        if source_of(team, suggestion.field) in PEOPLE:
            continue
        entry = {"source": SUGGESTED, "by": SUGGESTER, "score": suggestion.score, "from": suggestion.label}
        current = (team.routing_sources or {}).get(suggestion.field) or {}
        if getattr(team, suggestion.field) == suggestion.value and all(current.get(k) == v for k, v in entry.items()):
            continue
        setattr(team, suggestion.field, suggestion.value)
        team.routing_sources = {**(team.routing_sources or {}), suggestion.field: {**entry, "at": at}}
        changed.add(suggestion.team_id)
    for team_id in changed:
        teams[team_id].save(update_fields=[*FIELDS, "routing_sources", "updated_at"])
    return sorted(teams[t].slug for t in changed)
