"""Read a ``roster-scenario/1`` file (see ``scenarios/FORMAT.md``) into plain dicts with defaults.

Shared by the AWS loader, the GitHub emulator, the demo and the accuracy harness. Unknown keys
are kept (and ignored by readers); missing optional keys take the format's defaults.
"""
from __future__ import annotations

import re
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
