"""PagerDuty's REST API v2, read-only: schedules, on-calls, escalation policies and services.

Authentication is ``Authorization: Token token=<key>`` with ``Accept: application/vnd.pagerduty+json;version=2``.
Lists are offset-paginated (``limit``, ``offset``, ``more``). On-calls come from ``GET /oncalls`` filtered by
schedule over [now, now + horizon], with the users included (their emails), grouped per schedule into who is on
call now, until when, and who is next (oncall.vendors.shifts).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from oncall.vendors.http import JsonClient, OnCallFailure
from oncall.vendors.shifts import ScheduleRead, Shift, Snapshot, iso, now_and_next, parse_time, text, vendor_id

ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE = 100
MAX_PAGES = 100            # 10,000 items per list: more than any account has; a looping API stops here
SCHEDULES_PER_ONCALL_CALL = 20
HORIZON = timedelta(days=14)


def client(base_url: str, key: str, **options) -> JsonClient:
    return JsonClient(base_url, f"Token token={key}", vendor="PagerDuty", extra_headers={"Accept": ACCEPT}, **options)


def paginate(api: JsonClient, path: str, key: str, params: dict | None = None) -> list[dict]:
    items, offset = [], 0
    for _ in range(MAX_PAGES):
        body = api.get(path, {**(params or {}), "limit": PAGE, "offset": offset}, item=path)
        page = body.get(key) if isinstance(body, dict) else None
        if not isinstance(page, list):
            raise OnCallFailure("unexpected_response", f"PagerDuty's {path} has no list {key!r}", path)
        items += [entry for entry in page if isinstance(entry, dict)]
        if not body.get("more") or not page:
            return items
        offset += len(page)
    return items


def _person(user) -> tuple[str, str]:
    if not isinstance(user, dict):
        return "", ""
    return text(user.get("name") or user.get("summary")), text(user.get("email"), 254)


def read(api: JsonClient, now: datetime) -> Snapshot:
    snapshot = Snapshot(read_at=now)
    schedules = {}
    for entry in paginate(api, "/schedules", "schedules"):
        schedule_id = vendor_id(entry.get("id"))
        if not schedule_id:
            snapshot.warnings.append("a schedule without a usable id was skipped")
            continue
        schedules[schedule_id] = ScheduleRead(external_id=schedule_id, name=text(entry.get("name")) or schedule_id,
                                              time_zone=text(entry.get("time_zone"), 64),
                                              html_url=text(entry.get("html_url"), 500))
    shifts: dict[str, set[Shift]] = defaultdict(set)
    ids = sorted(schedules)
    for start in range(0, len(ids), SCHEDULES_PER_ONCALL_CALL):
        params = {"schedule_ids[]": ids[start:start + SCHEDULES_PER_ONCALL_CALL], "since": iso(now),
                  "until": iso(now + HORIZON), "include[]": "users", "time_zone": "UTC"}
        for oncall in paginate(api, "/oncalls", "oncalls", params):
            schedule = oncall.get("schedule")
            schedule_id = vendor_id(schedule.get("id")) if isinstance(schedule, dict) else ""
            name, email = _person(oncall.get("user"))
            if schedule_id in schedules and (name or email):
                shifts[schedule_id].add(Shift(parse_time(oncall.get("start")), parse_time(oncall.get("end")),
                                              name, email))
    for schedule_id, read_schedule in schedules.items():
        (read_schedule.current, read_schedule.current_until, read_schedule.upcoming,
         read_schedule.upcoming_until) = now_and_next(list(shifts.get(schedule_id, ())), now)
    snapshot.schedules = list(schedules.values())
    snapshot.policies = [p for p in map(_policy, paginate(api, "/escalation_policies", "escalation_policies")) if p]
    snapshot.services = [s for s in map(_service, paginate(api, "/services", "services")) if s]
    return snapshot


def _policy(entry: dict) -> dict | None:
    policy_id = vendor_id(entry.get("id"))
    if not policy_id:
        return None
    levels, schedule_ids = [], []
    rules = entry.get("escalation_rules") if isinstance(entry.get("escalation_rules"), list) else []
    for number, rule in enumerate(rules[:20], start=1):
        if not isinstance(rule, dict):
            continue
        targets = []
        for target in (rule.get("targets") if isinstance(rule.get("targets"), list) else [])[:20]:
            if not isinstance(target, dict) or not vendor_id(target.get("id")):
                continue
            kind = "schedule" if str(target.get("type", "")).startswith("schedule") else "user"
            targets.append({"type": kind, "id": vendor_id(target.get("id")), "name": text(target.get("summary"))})
            if kind == "schedule" and targets[-1]["id"] not in schedule_ids:
                schedule_ids.append(targets[-1]["id"])
        delay = rule.get("escalation_delay_in_minutes")
        levels.append({"level": number, "delay_minutes": delay if isinstance(delay, int) else None,
                       "targets": targets})
    loops = entry.get("num_loops")
    return {"external_id": policy_id, "name": text(entry.get("name")) or policy_id,
            "html_url": text(entry.get("html_url"), 500), "num_loops": loops if isinstance(loops, int) and loops >= 0
            else 0, "levels": levels, "schedule_ids": schedule_ids}


def _service(entry: dict) -> dict | None:
    service_id = vendor_id(entry.get("id"))
    if not service_id:
        return None
    policy = entry.get("escalation_policy")
    return {"external_id": service_id, "name": text(entry.get("name")) or service_id,
            "escalation_policy_id": vendor_id(policy.get("id")) if isinstance(policy, dict) else "",
            "html_url": text(entry.get("html_url"), 500)}
