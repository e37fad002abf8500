"""A local Opsgenie (REST API v2, read side) serving a scenario's ``oncall.opsgenie`` section.

``python -m peers.opsgenie_peer --port N [--scenario FILE] [--token KEY]``: prints its base URL, serves until
SIGTERM. No published OpenAPI description of Opsgenie's API is on the package registries Roster can reach, so
the shapes follow Opsgenie's documented API: ``Authorization: GenieKey <key>``; every answer carries ``took`` and
``requestId``, lists ``data`` (and ``expandable``); teams, users (``limit``/``offset`` with absolute
``paging.next`` links), schedules (``expand=rotation``), who is on call (``on-calls``, ``next-on-calls``, ``flat``),
and a schedule's ``timeline`` (``finalTimeline.rotations[].periods[]``); schedules are named by id or name
(``identifierType`` / ``scheduleIdentifierType``); errors as ``{"message", "took", "requestId"}``, rate limits as
429 with ``X-RateLimit-State: THROTTLED``. The control API and faults are peers.pagerduty_peer's ``Control``.
"""
from __future__ import annotations

import argparse
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from flask import Flask, Response, jsonify, request

from peers.pagerduty_peer import Control, iso, parse_time, utcnow
from peers.scenario import ScenarioError, load_scenario, opsgenie_id, rotation_shifts
from peers.serving import serve_forever

UNITS = {"days": 1, "weeks": 7, "months": 31}


def _answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = jsonify({**body, "took": 0.01, "requestId": str(uuid.uuid4())})
    response.status_code = status
    response.headers.update({"X-Request-ID": response.get_json()["requestId"], **(headers or {})})
    return response


class Opsgenie:
    def __init__(self, oncall: dict, now: Callable[[], datetime]):
        self.now = now
        self.load(oncall)

    def load(self, oncall: dict) -> None:
        section = oncall.get("opsgenie") or {}
        self.people = dict(oncall.get("people") or {})
        self.teams = list(section.get("teams") or [])
        self.schedules = list(section.get("schedules") or [])

    def usernames(self) -> list[str]:
        found = {email for s in self.schedules for email in s["users"]}
        return sorted(found | set(self.people))

    def user(self, username: str) -> dict:
        return {"id": opsgenie_id("user:" + username), "username": username,
                "fullName": self.people.get(username) or username.split("@")[0], "role": {"id": "User", "name": "User"},
                "blocked": False, "verified": True, "timeZone": "UTC", "locale": "en_US",
                "createdAt": "2026-01-05T00:00:00.000Z"}

    def find(self, identifier: str, kind: str) -> dict | None:
        key = "name" if kind == "name" else "id"
        return next((s for s in self.schedules if s[key] == identifier), None)

    def schedule(self, s: dict, expand: bool) -> dict:
        body = {"id": s["id"], "name": s["name"], "description": s.get("description", ""), "timezone": s["time_zone"],
                "enabled": bool(s["enabled"]), "ownerTeam": s["team"]}
        if expand:
            length = timedelta(hours=s["shift_hours"])
            body["rotations"] = [{"id": opsgenie_id("rotation:" + s["id"]), "name": "Rotation 1", "startDate":
                                  s["start"], "type": "hourly", "length": int(length.total_seconds() // 3600),
                                  "participants": [{"type": "user", "id": opsgenie_id("user:" + u), "username": u}
                                                   for u in dict.fromkeys(s["users"])]}]
        return {k: v for k, v in body.items() if v is not None}

    def participant(self, username: str) -> dict:
        return {"id": opsgenie_id("user:" + username), "name": username, "type": "user"}

    def on_call_at(self, s: dict, moment: datetime) -> list[str]:
        return [email for start, end, email in rotation_shifts(s, moment, moment + timedelta(seconds=1))
                if start <= moment < end]


def create_app(scenario: dict | None = None, *, token: str | None = None,
               now: Callable[[], datetime] = utcnow) -> Flask:
    app = Flask("opsgenie_peer")
    app.json.sort_keys = False
    og = Opsgenie((scenario or {}).get("oncall") or {}, now)
    control = Control()
    control.routes(app, lambda doc: og.load(doc.get("oncall") or {}))
    app.config["PEER"] = og

    @app.before_request
    def authenticate():
        if request.path.startswith("/_peer/"):
            return None
        header = request.headers.get("Authorization", "")
        ok = header.startswith("GenieKey ") and len(header) > len("GenieKey ") and (
            token is None or header == f"GenieKey {token}")
        control.record(ok)
        fault = control.fault()
        if fault:
            status = int(fault["status"])
            message = fault.get("body") or {429: "You are making too many requests! To avoid errors, we recommend "
                                                  "you limit requests."}.get(status, "Internal Server Error")
            if fault.get("echo_auth"):
                message = f"{message} (got {header})"
            headers = {"X-RateLimit-State": "THROTTLED", "X-RateLimit-Reason": "INTEGRATION",
                       "X-RateLimit-Period-In-Sec": "60"} if status == 429 else {}
            if fault.get("retry_after") is not None:
                headers["X-RateLimit-Period-In-Sec"] = str(fault["retry_after"])
            return _answer({"message": message}, status, headers)
        if not ok:
            return _answer({"message": "Could not authenticate"}, 401)
        return None

    def schedule_or_404(identifier: str, type_param: str):
        kind = request.args.get(type_param, "id")
        if kind not in ("id", "name"):
            return None, _answer({"message": f"{type_param} should be one of: id, name"}, 422)
        found = og.find(identifier, kind)
        if found is None:
            return None, _answer({"message": f"No schedule exists with {kind} [{identifier}]"}, 404)
        return found, None

    def moment() -> datetime | None:
        return parse_time(request.args.get("date"), og.now())

    @app.get("/v2/teams")
    def list_teams():
        return _answer({"data": [{"id": t["id"], "name": t["name"], "description": t["description"]}
                                 for t in og.teams], "expandable": ["member"]})

    @app.get("/v2/users")
    def list_users():
        try:
            limit = min(500, max(1, int(request.args.get("limit", 100))))
            offset = max(0, int(request.args.get("offset", 0)))
        except ValueError:
            return _answer({"message": "limit and offset should be numbers"}, 422)
        names = og.usernames()
        base = f"{request.host_url.rstrip('/')}/v2/users?limit={limit}&offset="
        paging = {"first": f"{base}0", "last": f"{base}{max(0, (len(names) - 1) // limit * limit)}"}
        if offset + limit < len(names):
            paging["next"] = f"{base}{offset + limit}"
        if offset:
            paging["prev"] = f"{base}{max(0, offset - limit)}"
        return _answer({"totalCount": len(names), "data": [og.user(n) for n in names[offset:offset + limit]],
                        "paging": paging})

    @app.get("/v2/schedules")
    def list_schedules():
        expand = "rotation" in request.args.get("expand", "").split(",")
        return _answer({"data": [og.schedule(s, expand) for s in og.schedules], "expandable": ["rotation"]})

    @app.get("/v2/schedules/<identifier>")
    def get_schedule(identifier: str):
        found, error = schedule_or_404(identifier, "identifierType")
        return error or _answer({"data": og.schedule(found, True)})

    @app.get("/v2/schedules/<identifier>/on-calls")
    def on_calls(identifier: str):
        found, error = schedule_or_404(identifier, "scheduleIdentifierType")
        if error:
            return error
        at = moment()
        if at is None:
            return _answer({"message": "date should be an ISO 8601 date"}, 422)
        parent = {"id": found["id"], "name": found["name"], "enabled": bool(found["enabled"])}
        people = og.on_call_at(found, at) if found["enabled"] else []
        if request.args.get("flat") == "true":
            return _answer({"data": {"_parent": parent, "onCallRecipients": people}})
        return _answer({"data": {"_parent": parent, "onCallParticipants": [og.participant(p) for p in people]}})

    @app.get("/v2/schedules/<identifier>/next-on-calls")
    def next_on_calls(identifier: str):
        found, error = schedule_or_404(identifier, "scheduleIdentifierType")
        if error:
            return error
        at = moment()
        if at is None:
            return _answer({"message": "date should be an ISO 8601 date"}, 422)
        parent = {"id": found["id"], "name": found["name"], "enabled": bool(found["enabled"])}
        shifts = rotation_shifts(found, at, at + timedelta(days=366))
        current = og.on_call_at(found, at)
        following = next((email for start, _, email in shifts if start > at and email not in current), None)
        people = [following] if following else []
        if request.args.get("flat") == "true":
            return _answer({"data": {"_parent": parent, "nextOnCallRecipients": people,
                                     "exactNextOnCallRecipients": people}})
        participants = [og.participant(p) for p in people]
        return _answer({"data": {"_parent": parent, "nextOnCallParticipants": participants,
                                 "exactNextOnCallParticipants": participants}})

    @app.get("/v2/schedules/<identifier>/timeline")
    def timeline(identifier: str):
        found, error = schedule_or_404(identifier, "identifierType")
        if error:
            return error
        start = moment()
        unit = request.args.get("intervalUnit", "weeks")
        try:
            interval = int(request.args.get("interval", 1))
        except ValueError:
            interval = 0
        if start is None or unit not in UNITS or not 1 <= interval <= 12:
            return _answer({"message": "interval should be 1..12 and intervalUnit days, weeks or months"}, 422)
        end = start + timedelta(days=UNITS[unit] * interval)
        periods = [{"startDate": iso(max(s, start)), "endDate": iso(min(e, end)), "type": "default",
                    "recipient": og.participant(email)} for s, e, email in rotation_shifts(found, start, end)]
        rotation = {"id": opsgenie_id("rotation:" + found["id"]), "name": "Rotation 1", "order": 0.0,
                    "periods": periods}
        parent = {"id": found["id"], "name": found["name"], "enabled": bool(found["enabled"])}
        return _answer({"data": {"_parent": parent, "startDate": iso(start), "endDate": iso(end),
                                 "finalTimeline": {"rotations": [rotation] if found["enabled"] else []}},
                        "expandable": ["base", "forwarding", "override"]})

    @app.errorhandler(404)
    def not_found(_):
        return _answer({"message": "Requested resource does not exist"}, 404)

    @app.errorhandler(405)
    def not_allowed(_):
        return _answer({"message": "Method not allowed"}, 405)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.opsgenie_peer", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--scenario", type=Path, help="roster-scenario/1 file whose oncall section to serve")
    parser.add_argument("--token", help="the one API key accepted (default: any non-empty key)")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario) if args.scenario else None
    except ScenarioError as exc:
        print(f"opsgenie peer: {exc}", file=sys.stderr)
        return 2
    return serve_forever(create_app(scenario, token=args.token), args.port)


if __name__ == "__main__":
    sys.exit(main())
