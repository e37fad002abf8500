"""Opsgenie's REST API v2, read-only: teams, users (their full names), schedules and who is on call.

Authentication is ``Authorization: GenieKey <key>``. Per schedule, who is on call now comes from
``GET /v2/schedules/{id}/on-calls`` (overrides and all, as Opsgenie decides) and the handover and who is next from
the schedule's final timeline (``GET /v2/schedules/{id}/timeline``). Users are paginated with absolute ``paging.next``
links, followed only on the API's own origin (oncall.vendors.http). Ids are checked before they go in a path.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from oncall.vendors.http import JsonClient, OnCallFailure
from oncall.vendors.shifts import ScheduleRead, Shift, Snapshot, iso, now_and_next, parse_time, text, vendor_id

MAX_PAGES = 50
MAX_PARTICIPANT_DEPTH = 4  # teams and escalations nest participants; a hostile answer cannot nest forever


def client(base_url: str, key: str, **options) -> JsonClient:
    return JsonClient(base_url, f"GenieKey {key}", vendor="Opsgenie", **options)


def _data(body, path: str, kind=list):
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, kind):
        raise OnCallFailure("unexpected_response", f"Opsgenie's {path} has no {kind.__name__} 'data'", path)
    return data


def users(api: JsonClient) -> dict[str, str]:
    """username (an email address) -> full name."""
    names, path, params = {}, "/v2/users", {"limit": 100, "offset": 0}
    for _ in range(MAX_PAGES):
        body = api.get(path, params, item="/v2/users", operation="/v2/users")
        for user in _data(body, "/v2/users"):
            if isinstance(user, dict) and isinstance(user.get("username"), str):
                names[user["username"].lower()[:254]] = text(user.get("fullName"))
        following = (body.get("paging") or {}).get("next") if isinstance(body.get("paging"), dict) else None
        if not following or not isinstance(following, str):
            return names
        path, params = following, None  # absolute; the client refuses it unless it is on the API's origin
    return names


def _participants(entries, names: dict[str, str], depth: int = 0) -> list[Shift]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "user" and isinstance(entry.get("name"), str):
            username = entry["name"][:254]
            found.append(Shift(None, None, names.get(username.lower()) or username,
                               username if "@" in username else ""))
        elif depth < MAX_PARTICIPANT_DEPTH:
            found += _participants(entry.get("onCallParticipants"), names, depth + 1)
    return found


def _timeline_shifts(timeline: dict, names: dict[str, str]) -> list[Shift]:
    shifts = []
    final = timeline.get("finalTimeline") if isinstance(timeline.get("finalTimeline"), dict) else {}
    for rotation in (final.get("rotations") if isinstance(final.get("rotations"), list) else [])[:50]:
        periods = rotation.get("periods") if isinstance(rotation, dict) else None
        for period in (periods if isinstance(periods, list) else [])[:1000]:
            recipient = period.get("recipient") if isinstance(period, dict) else None
            if not isinstance(recipient, dict) or recipient.get("type") != "user":
                continue
            username = text(recipient.get("name"), 254)
            if username:
                shifts.append(Shift(parse_time(period.get("startDate")), parse_time(period.get("endDate")),
                                    names.get(username.lower()) or username, username if "@" in username else ""))
    return shifts


def read(api: JsonClient, now: datetime) -> Snapshot:
    snapshot = Snapshot(read_at=now)
    for team in _data(api.get("/v2/teams", item="/v2/teams"), "/v2/teams"):
        team_id = vendor_id(team.get("id")) if isinstance(team, dict) else ""
        if team_id:
            snapshot.teams.append({"external_id": team_id, "name": text(team.get("name")) or team_id})
    names = users(api)
    for entry in _data(api.get("/v2/schedules", item="/v2/schedules"), "/v2/schedules"):
        schedule_id = vendor_id(entry.get("id")) if isinstance(entry, dict) else ""
        if not schedule_id:
            snapshot.warnings.append("a schedule without a usable id was skipped")
            continue
        if entry.get("enabled") is False:
            continue
        owner = entry.get("ownerTeam") if isinstance(entry.get("ownerTeam"), dict) else {}
        schedule = ScheduleRead(external_id=schedule_id, name=text(entry.get("name")) or schedule_id,
                                time_zone=text(entry.get("timezone"), 64), owner_team_id=vendor_id(owner.get("id")),
                                owner_team_name=text(owner.get("name")))
        path = f"/v2/schedules/{quote(schedule_id, safe='')}"
        oncall = _data(api.get(f"{path}/on-calls", {"scheduleIdentifierType": "id", "flat": "false",
                                                    "date": iso(now)}, item=schedule.name,
                               operation="/v2/schedules/{id}/on-calls"), path, dict)
        timeline = _data(api.get(f"{path}/timeline", {"identifierType": "id", "interval": 2, "intervalUnit": "weeks",
                                                      "date": iso(now)}, item=schedule.name,
                                 operation="/v2/schedules/{id}/timeline"), path, dict)
        shifts = _timeline_shifts(timeline, names)
        _, schedule.current_until, schedule.upcoming, schedule.upcoming_until = now_and_next(shifts, now)
        now_people = _participants(oncall.get("onCallParticipants"), names)
        schedule.current = now_and_next(now_people, now)[0]
        snapshot.schedules.append(schedule)
    return snapshot
