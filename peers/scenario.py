"""Read a ``roster-scenario/1`` file (see ``scenarios/FORMAT.md``) into plain dicts with defaults.

Shared by the AWS loader, the GitHub emulator, the demo and the accuracy harness. Unknown keys
are kept (and ignored by readers); missing optional keys take the format's defaults.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

FORMAT = "roster-scenario/1"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REF_KINDS = ("ecs", "rds", "lambda", "api", "sqs")


class ScenarioError(ValueError):
    """The file is not a usable roster-scenario/1 document."""


def load_scenario(path: str | Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from exc
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> dict[str, Any]:
    try:
        # libyaml's loader is ~6x faster on our 600 KB samples; scenario files are trusted, flat YAML.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level")
    if data.get("format") != FORMAT:
        raise ScenarioError(f"{source}: format must be {FORMAT!r}, got {data.get('format')!r}")
    name = str(data.get("name") or "")
    if not SLUG.match(name):
        raise ScenarioError(f"{source}: name must be a slug (lowercase letters, digits, dashes), got {name!r}")
    data.setdefault("description", "")
    aws = data.get("aws") or {}
    data["aws"] = aws
    aws["accounts"] = [_account(a, source) for a in (aws.get("accounts") or [])]
    github = data.get("github") or {}
    data["github"] = github
    github["orgs"] = [_org(o) for o in (github.get("orgs") or [])]
    truth = data.get("truth") or {}
    data["truth"] = truth
    truth["services"] = [
        {"aliases": [], "owner": None, "repo": None, "resources": [], **s} for s in (truth.get("services") or [])
    ]
    truth.setdefault("excluded_repos", [])
    data["oncall"] = _oncall(data.get("oncall"), data["github"]["orgs"], source)
    return data


def _account(acct: dict[str, Any], source: str) -> dict[str, Any]:
    acct_id = str(acct.get("id", ""))
    if not re.fullmatch(r"\d{12}", acct_id):
        raise ScenarioError(f"{source}: AWS account id must be 12 digits, got {acct_id!r}")
    acct["id"] = acct_id
    acct.setdefault("name", acct_id)
    regions = []
    for region in acct.get("regions") or []:
        region.setdefault("stacks", [])
        for stack in region["stacks"]:
            stack["tags"] = stack.get("tags") or {}
            stack["resources"] = stack.get("resources") or []
        region["ecs_clusters"] = region.get("ecs_clusters") or []
        for cluster in region["ecs_clusters"]:
            cluster["services"] = [
                {"desired_count": 1, "tags": {}, "image": None, **svc} for svc in (cluster.get("services") or [])
            ]
            for svc in cluster["services"]:
                svc["tags"] = svc.get("tags") or {}
        region["lambdas"] = [
            {"runtime": "python3.12", "handler": "app.handler", "sqs_trigger": None, **fn, "tags": fn.get("tags") or {}}
            for fn in (region.get("lambdas") or [])
        ]
        region["apis"] = [
            {"type": "REST", "integrations": [], **api, "tags": api.get("tags") or {}} for api in (region.get("apis") or [])
        ]
        region["rds_instances"] = [
            {"engine": "postgres", **db, "tags": db.get("tags") or {}} for db in (region.get("rds_instances") or [])
        ]
        region["sqs_queues"] = [{**q, "tags": q.get("tags") or {}} for q in (region.get("sqs_queues") or [])]
        region["ecr_repositories"] = list(region.get("ecr_repositories") or [])
        region["alarms"] = [{"state": "OK", "target": None, **al} for al in (region.get("alarms") or [])]
        regions.append(region)
    acct["regions"] = regions
    return acct


def _org(org: dict[str, Any]) -> dict[str, Any]:
    org.setdefault("name", org.get("login"))
    org["members"] = [{"name": None, "email": None, **m} for m in (org.get("members") or [])]
    org["teams"] = [
        {"name": t.get("slug"), "description": "", "parent": None, "members": [], "repos": {}, **t}
        for t in (org.get("teams") or [])
    ]
    for team in org["teams"]:
        team["members"] = team.get("members") or []
        team["repos"] = team.get("repos") or {}
    repos = []
    for repo in org.get("repos") or []:
        repo = {
            "description": "", "language": None, "languages": {}, "topics": [], "archived": False, "fork": False,
            "default_branch": "main", "pushed_at": None, "files": {}, "commits": [], **repo,
        }
        repo["files"] = repo.get("files") or {}
        repo["commits"] = repo.get("commits") or []
        repo["languages"] = repo.get("languages") or {}
        repo["topics"] = repo.get("topics") or []
        repo["deployments"] = [_deployment(d, repo["name"]) for d in (repo.get("deployments") or [])]
        repo["workflow_runs"] = [_workflow_run(r, repo["name"]) for r in (repo.get("workflow_runs") or [])]
        repos.append(repo)
    org["repos"] = repos
    return org


DEPLOYMENT_STATES = ("success", "failure", "error", "inactive", "pending", "queued", "in_progress")


def _deployment(raw: Any, repo: str) -> dict[str, Any]:
    """A deployment as GitHub records one; sha and ref left out mean the default branch's head at the time."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"repo {repo}: a deployment must be a mapping, got {raw!r:.60}")
    deployment = {"environment": "production", "sha": None, "ref": None, "task": "deploy", "creator": None,
                  "created_at": None, "status": "success", "description": "", "log_url": "", **raw}
    if deployment["status"] not in DEPLOYMENT_STATES:
        raise ScenarioError(f"repo {repo}: deployment status must be one of {DEPLOYMENT_STATES}, "
                            f"got {deployment['status']!r}")
    return deployment


def _workflow_run(raw: Any, repo: str) -> dict[str, Any]:
    """A workflow run of a file under .github/workflows (named by its file name or its path)."""
    if not isinstance(raw, dict) or not raw.get("workflow"):
        raise ScenarioError(f"repo {repo}: a workflow run must be a mapping naming its workflow file, got {raw!r:.60}")
    run = {"head_sha": None, "head_branch": None, "event": "push", "status": "completed", "actor": None,
           "created_at": None, "run_number": None, **raw}
    run.setdefault("conclusion", "success" if run["status"] == "completed" else None)
    return run


def parse_ref(ref: str) -> tuple[str, str]:
    """``"ecs:prod/payment-gateway"`` -> ``("ecs", "prod/payment-gateway")``."""
    kind, sep, name = str(ref).partition(":")
    if not sep or kind not in REF_KINDS or not name:
        raise ScenarioError(f"bad resource ref {ref!r}: expected one of {REF_KINDS} as 'kind:name'")
    return kind, name


# --- oncall: PagerDuty and Opsgenie (peers.pagerduty_peer, peers.opsgenie_peer) ----------------------------------

ROTATION_START = "2026-01-05T00:00:00Z"  # a Monday
MAX_SHIFTS = 2000  # per schedule and request: a window over a short rotation cannot expand without bound


def _when(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(f"oncall: {what} must be an ISO 8601 time, got {value!r:.40}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def pagerduty_id(name: str) -> str:
    """A PagerDuty-shaped id (P + 6 capitals and digits), stable for a name."""
    return "P" + hashlib.sha1(name.encode()).hexdigest()[:6].upper()


def opsgenie_id(name: str) -> str:
    """An Opsgenie-shaped id (a UUID), stable for a name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"opsgenie:{name}"))


def _rotation(raw: Any, kind: str, source: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ScenarioError(f"{source}: oncall.{kind} schedule must be a mapping with a name, got {raw!r:.60}")
    schedule = {"time_zone": "UTC", "start": ROTATION_START, "shift_hours": 168, "users": [], **raw}
    schedule["name"] = str(schedule["name"])
    # Kept as text (the parsed scenario stays JSON, as peers.demo sends it to the emulator), checked here.
    schedule["start"] = _when(schedule["start"], f"schedule {schedule['name']} start").strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        hours = float(schedule["shift_hours"])
    except (TypeError, ValueError):
        hours = 0.0
    if not 0.25 <= hours <= 24 * 366:
        raise ScenarioError(f"{source}: oncall schedule {schedule['name']}: shift_hours must be 0.25..8784")
    schedule["shift_hours"] = hours
    schedule["users"] = [str(u).lower() for u in (schedule.get("users") or [])]
    return schedule


def _oncall(raw: Any, orgs: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """The optional ``oncall`` section with its defaults; files without one get an empty section."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: oncall must be a mapping")
    people = {str(m["email"]).lower(): m.get("name") or m["login"]
              for org in orgs for m in org["members"] if m.get("email")}
    listed = raw.get("people") or []
    if isinstance(listed, dict):  # a scenario parsed before: {email: name}
        listed = [{"email": email, "name": name} for email, name in listed.items()]
    for person in listed:
        if isinstance(person, dict) and person.get("email"):
            people[str(person["email"]).lower()] = str(person.get("name") or person["email"])
    pagerduty = raw.get("pagerduty") or {}
    schedules = []
    for entry in pagerduty.get("schedules") or []:
        schedule = _rotation(entry, "pagerduty", source)
        schedule["id"] = str(schedule.get("id") or pagerduty_id(schedule["name"]))
        schedule["teams"] = list(schedule.get("teams") or [])
        schedules.append(schedule)
    by_name = {s["name"]: s["id"] for s in schedules}
    policies = []
    for entry in pagerduty.get("escalation_policies") or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ScenarioError(f"{source}: oncall.pagerduty escalation policy needs a name")
        policy = {"num_loops": 0, "levels": [], **entry, "name": str(entry["name"])}
        policy["id"] = str(policy.get("id") or pagerduty_id(policy["name"]))
        policy["levels"] = [{"delay_minutes": 30, "users": [], **level,
                             "schedules": [by_name.get(str(s), str(s)) for s in (level.get("schedules") or [])]}
                            for level in policy["levels"] if isinstance(level, dict)]
        policies.append(policy)
    policy_ids = {p["name"]: p["id"] for p in policies}
    services = []
    for entry in pagerduty.get("services") or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ScenarioError(f"{source}: oncall.pagerduty service needs a name")
        service = {**entry, "name": str(entry["name"])}
        service["id"] = str(service.get("id") or pagerduty_id("service:" + service["name"]))
        ref = service.get("escalation_policy")
        service["escalation_policy"] = policy_ids.get(str(ref), str(ref)) if ref else None
        services.append(service)
    opsgenie = raw.get("opsgenie") or {}
    teams = [{"description": "", **t, "name": str(t["name"]), "id": str(t.get("id") or opsgenie_id(str(t["name"])))}
             for t in (opsgenie.get("teams") or []) if isinstance(t, dict) and t.get("name")]
    team_ids = {t["name"]: t["id"] for t in teams}
    og_schedules = []
    for entry in opsgenie.get("schedules") or []:
        schedule = _rotation(entry, "opsgenie", source)
        schedule["id"] = str(schedule.get("id") or opsgenie_id("schedule:" + schedule["name"]))
        schedule.setdefault("enabled", True)
        team = schedule.get("team")
        if isinstance(team, dict):  # a scenario parsed before: {id, name}
            team = team.get("name")
        schedule["team"] = {"id": team_ids.get(str(team), opsgenie_id(str(team))), "name": str(team)} if team else None
        og_schedules.append(schedule)
    return {"people": people,
            "pagerduty": {"schedules": schedules, "escalation_policies": policies, "services": services},
            "opsgenie": {"teams": teams, "schedules": og_schedules}}


def rotation_shifts(schedule: dict[str, Any], since: datetime, until: datetime) -> list[tuple[datetime, datetime, str]]:
    """The shifts of a rotation (start, end, user email) overlapping [since, until), oldest first: the users take
    ``shift_hours`` turns in order from ``start``; before ``start`` nobody is on call."""
    users = schedule["users"]
    if not users or until <= since:
        return []
    length = timedelta(hours=schedule["shift_hours"])
    began = _when(schedule["start"], "start")
    first = max(0, int((max(since, began) - began) / length))
    shifts = []
    for number in range(first, first + MAX_SHIFTS):
        start = began + number * length
        if start >= until:
            break
        end = start + length
        if end > since:
            shifts.append((start, end, users[number % len(users)]))
    return shifts
