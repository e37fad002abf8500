"""A local PagerDuty (REST API v2, read side) serving a scenario's ``oncall.pagerduty`` section.

``python -m peers.pagerduty_peer --port N [--scenario FILE] [--token KEY]``: prints its base URL, serves until
SIGTERM. No published OpenAPI description of PagerDuty's API is on the package registries Roster can reach, so
the shapes follow PagerDuty's API reference as documented: ``Authorization: Token token=<key>``; lists with
``limit`` (default 25, at most 100), ``offset``, ``more``, ``total`` (null unless ``total=true``); resources and
their references (``{id, type: "<kind>_reference", summary, self, html_url}``); ``GET /oncalls`` with
``schedule_ids[]``, ``since``, ``until``, ``earliest`` and ``include[]=users``, one entry per shift and escalation
level of the policies that page a schedule; errors as ``{"error": {"message", "code"}}`` (2006 authentication
failed, 2100 not found, 2020 rate limited). Rotations: peers.scenario.rotation_shifts.

Control (``/_peer/...``, loopback tests only): ``POST /_peer/faults`` queues faults (``{"status": 429|500|...,
"times": n, "retry_after": "1", "path": "/oncalls", "echo_auth": bool, "body": ...}``), ``GET /_peer/requests``
lists what was asked (never the key), ``POST /_peer/scenario`` loads another scenario's ``oncall`` section.
``Control`` is shared with peers.opsgenie_peer.
"""
from __future__ import annotations

import argparse
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from flask import Flask, Response, jsonify, request

from peers.scenario import ScenarioError, load_scenario, pagerduty_id, parse_scenario, rotation_shifts
from peers.serving import serve_forever

HTML = "https://roster-peer.pagerduty.com"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None, default: datetime) -> datetime | None:
    if not value:
        return default
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class Control:
    """Faults to inject and the requests seen (path, query, whether the key was right; never the key itself)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.faults: list[dict] = []
        self.requests: list[dict] = []

    def record(self, authorized: bool) -> None:
        with self.lock:
            self.requests.append({"method": request.method, "path": request.path,
                                  "query": request.query_string.decode()[:500], "authorized": authorized})
            del self.requests[:-1000]

    def fault(self) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if request.path.startswith(fault.get("path") or "/") and fault.get("times", 1) > 0:
                    fault["times"] = fault.get("times", 1) - 1
                    return dict(fault)
        return None

    def routes(self, app: Flask, load: Callable[[dict], None]) -> None:
        @app.post("/_peer/faults")
        def add_fault():
            body = request.get_json(silent=True) or {}
            with self.lock:
                self.faults.append({"times": 1, **body})
            return jsonify({"queued": len(self.faults)})

        @app.delete("/_peer/faults")
        def clear_faults():
            with self.lock:
                self.faults.clear()
            return jsonify({"cleared": True})

        @app.get("/_peer/requests")
        def list_requests():
            with self.lock:
                return jsonify(list(self.requests))

        @app.delete("/_peer/requests")
        def clear_requests():
            with self.lock:
                self.requests.clear()
            return jsonify({"cleared": True})

        @app.post("/_peer/scenario")
        def replace_scenario():
            try:
                load(parse_scenario(request.get_data(as_text=True), source="POST /_peer/scenario"))
            except ScenarioError as exc:
                return jsonify({"error": str(exc)}), 400
            return jsonify({"loaded": True})


def _error(status: int, message: str, code: int, headers: dict | None = None) -> Response:
    response = jsonify({"error": {"message": message, "code": code}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


class PagerDuty:
    def __init__(self, oncall: dict, now: Callable[[], datetime]):
        self.now = now
        self.load(oncall)

    def load(self, oncall: dict) -> None:
        section = oncall.get("pagerduty") or {}
        self.people = dict(oncall.get("people") or {})
        self.schedules = {s["id"]: s for s in section.get("schedules") or []}
        self.policies = {p["id"]: p for p in section.get("escalation_policies") or []}
        self.services = {s["id"]: s for s in section.get("services") or []}

    # --- resources and references ------------------------------------------------------------------------
    def ref(self, kind: str, rid: str, summary: str) -> dict:
        plural = {"escalation_policy": "escalation_policies"}.get(kind, kind + "s")
        return {"id": rid, "type": f"{kind}_reference", "summary": summary,
                "self": f"{request.host_url.rstrip('/')}/{plural}/{rid}", "html_url": f"{HTML}/{plural}/{rid}"}

    def user(self, email: str, full: bool) -> dict:
        uid = pagerduty_id("user:" + email)
        name = self.people.get(email) or email.split("@")[0]
        ref = self.ref("user", uid, name)
        if not full:
            return ref
        return {**ref, "type": "user", "name": name, "email": email, "time_zone": "UTC", "role": "user",
                "description": "", "job_title": "", "teams": []}

    def user_by_id(self, uid: str) -> str | None:
        for schedule in self.schedules.values():
            for email in schedule["users"]:
                if pagerduty_id("user:" + email) == uid:
                    return email
        return None

    def policies_of(self, schedule_id: str) -> list[tuple[dict, int]]:
        return [(p, number) for p in self.policies.values() for number, level in enumerate(p["levels"], start=1)
                if schedule_id in level["schedules"]]

    def schedule(self, s: dict) -> dict:
        return {**self.ref("schedule", s["id"], s["name"]), "type": "schedule", "name": s["name"],
                "time_zone": s["time_zone"], "description": s.get("description", ""),
                "escalation_policies": [self.ref("escalation_policy", p["id"], p["name"])
                                        for p, _ in self.policies_of(s["id"])],
                "users": [self.user(email, False) for email in dict.fromkeys(s["users"])],
                "teams": [self.ref("team", pagerduty_id("team:" + t), t) for t in s["teams"]]}

    def policy(self, p: dict) -> dict:
        rules = []
        for number, level in enumerate(p["levels"], start=1):
            targets = [self.ref("schedule", sid, self.schedules[sid]["name"]) for sid in level["schedules"]
                       if sid in self.schedules]
            targets += [self.user(email, False) for email in level["users"]]
            rules.append({"id": f"{p['id']}R{number}", "escalation_delay_in_minutes": level["delay_minutes"],
                          "targets": targets})
        return {**self.ref("escalation_policy", p["id"], p["name"]), "type": "escalation_policy", "name": p["name"],
                "description": "", "num_loops": p["num_loops"], "on_call_handoff_notifications": "if_has_services",
                "escalation_rules": rules, "teams": [],
                "services": [self.ref("service", s["id"], s["name"]) for s in self.services.values()
                             if s["escalation_policy"] == p["id"]]}

    def service(self, s: dict) -> dict:
        policy = self.policies.get(s["escalation_policy"]) if s["escalation_policy"] else None
        return {**self.ref("service", s["id"], s["name"]), "type": "service", "name": s["name"],
                "description": s.get("description", ""), "status": "active", "teams": [],
                "escalation_policy": self.ref("escalation_policy", policy["id"], policy["name"]) if policy else None,
                "created_at": "2026-01-05T00:00:00Z", "auto_resolve_timeout": None, "acknowledgement_timeout": None}

    def oncalls(self, schedule_ids: list[str], since: datetime, until: datetime, earliest: bool,
                full_users: bool) -> list[dict]:
        entries = []
        for sid in schedule_ids or list(self.schedules):
            schedule = self.schedules.get(sid)
            if schedule is None:
                continue
            for policy, level in self.policies_of(sid):
                seen = set()
                for start, end, email in rotation_shifts(schedule, since, until):
                    if earliest and email in seen:
                        continue
                    seen.add(email)
                    entries.append({"escalation_policy": self.ref("escalation_policy", policy["id"], policy["name"]),
                                    "escalation_level": level, "schedule": self.ref("schedule", sid, schedule["name"]),
                                    "user": self.user(email, full_users), "start": iso(start), "end": iso(end)})
        return entries


def page(items: list[dict], key: str) -> Response | tuple:
    try:
        limit = min(100, max(1, int(request.args.get("limit", 25))))
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        return _error(400, "Invalid Input Provided", 2001)
    chunk = items[offset:offset + limit]
    total = len(items) if request.args.get("total") == "true" else None
    return jsonify({key: chunk, "limit": limit, "offset": offset, "more": offset + len(chunk) < len(items),
                    "total": total})


def create_app(scenario: dict | None = None, *, token: str | None = None,
               now: Callable[[], datetime] = utcnow) -> Flask:
    app = Flask("pagerduty_peer")
    app.json.sort_keys = False
    pd = PagerDuty((scenario or {}).get("oncall") or {}, now)
    control = Control()
    control.routes(app, lambda doc: pd.load(doc.get("oncall") or {}))
    app.config["PEER"] = pd

    @app.before_request
    def authenticate():
        if request.path.startswith("/_peer/"):
            return None
        header = request.headers.get("Authorization", "")
        ok = header.startswith("Token token=") and len(header) > len("Token token=") and (
            token is None or header == f"Token token={token}")
        control.record(ok)
        fault = control.fault()
        if fault:
            message = fault.get("body") or {429: "Rate Limit Exceeded"}.get(fault["status"], "Internal Server Error")
            if fault.get("echo_auth"):  # as badly behaved APIs do: the caller's credentials in the error
                message = f"{message} (got {header})"
            headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
            return _error(int(fault["status"]), message, 2020 if fault["status"] == 429 else 2014, headers)
        if not ok:
            return _error(401, "Authentication failed", 2006)
        return None

    @app.get("/schedules")
    def list_schedules():
        query = request.args.get("query", "").lower()
        items = [pd.schedule(s) for s in sorted(pd.schedules.values(), key=lambda s: s["name"].lower())
                 if query in s["name"].lower()]
        return page(items, "schedules")

    @app.get("/schedules/<sid>")
    def get_schedule(sid: str):
        schedule = pd.schedules.get(sid)
        if schedule is None:
            return _error(404, "Not Found", 2100)
        since = parse_time(request.args.get("since"), pd.now())
        until = parse_time(request.args.get("until"), (since or pd.now()) + timedelta(days=7))
        if since is None or until is None or until < since:
            return _error(400, "Invalid 'since' or 'until' Parameter Values", 2004)
        entries = [{"start": iso(max(start, since)), "end": iso(min(end, until)), "user": pd.user(email, False)}
                   for start, end, email in rotation_shifts(schedule, since, until)]
        final = {"name": "Final Schedule", "rendered_schedule_entries": entries,
                 "rendered_coverage_percentage": 100.0 if entries else 0.0}
        return jsonify({"schedule": {**pd.schedule(schedule), "final_schedule": final,
                                     "overrides_subschedule": {"name": "Overrides", "rendered_schedule_entries": []}}})

    @app.get("/oncalls")
    def list_oncalls():
        now = pd.now()
        since = parse_time(request.args.get("since"), now)
        until = parse_time(request.args.get("until"), since or now)
        if since is None or until is None or until < since or until - since > timedelta(days=90):
            return _error(400, "Invalid 'since' or 'until' Parameter Values", 2004)
        until = max(until, since + timedelta(seconds=1))  # since == until asks who is on call at that moment
        entries = pd.oncalls(request.args.getlist("schedule_ids[]"), since, until,
                             request.args.get("earliest") == "true", "users" in request.args.getlist("include[]"))
        return page(entries, "oncalls")

    @app.get("/escalation_policies")
    def list_policies():
        return page([pd.policy(p) for p in sorted(pd.policies.values(), key=lambda p: p["name"].lower())],
                    "escalation_policies")

    @app.get("/services")
    def list_services():
        return page([pd.service(s) for s in sorted(pd.services.values(), key=lambda s: s["name"].lower())], "services")

    @app.get("/users/<uid>")
    def get_user(uid: str):
        email = pd.user_by_id(uid)
        if email is None:
            return _error(404, "Not Found", 2100)
        return jsonify({"user": pd.user(email, True)})

    @app.errorhandler(404)
    def not_found(_):
        return _error(404, "Not Found", 2100)

    @app.errorhandler(405)
    def not_allowed(_):
        return _error(405, "Method Not Allowed", 2001)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.pagerduty_peer", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--scenario", type=Path, help="roster-scenario/1 file whose oncall section to serve")
    parser.add_argument("--token", help="the one API key accepted (default: any non-empty key)")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario) if args.scenario else None
    except ScenarioError as exc:
        print(f"pagerduty peer: {exc}", file=sys.stderr)
        return 2
    return serve_forever(create_app(scenario, token=args.token), args.port)


if __name__ == "__main__":
    sys.exit(main())
