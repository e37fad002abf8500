"""REST: GitHub Actions workflows, from the files a repository has directly under ``.github/workflows``
(as GitHub finds them), and their runs (the scenario's ``workflow_runs``, ``deploy_history.py``), newest
first, filtered and paginated as GitHub does."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

import yaml
from flask import Blueprint, request

from .. import rest
from ..deploy_history import WorkflowRun
from ..rest import DOCS, Urls, error
from ..state import Identity
from ..store import Org, Repo, TreeEntry, iso, node_id, stable_id
from ..web import emulator, not_found, paginate, rest_route, urls
from .deployments import user_json

bp = Blueprint("actions", __name__)
WORKFLOWS_DIR = ".github/workflows"


def workflow_files(repo: Repo) -> list[TreeEntry]:
    return [e for e in repo.dirs.get(WORKFLOWS_DIR, ()) if not e.is_dir and e.name.endswith((".yml", ".yaml"))]


def _name(repo: Repo, entry: TreeEntry) -> str:
    """The workflow's ``name:``; GitHub shows the file's path when there is none (or it does not parse)."""
    try:
        doc = yaml.safe_load(repo.files[entry.path].decode("utf-8", errors="replace"))
    except yaml.YAMLError:
        doc = None
    name = doc.get("name") if isinstance(doc, dict) else None
    return str(name) if name else entry.path


def workflow(repo: Repo, entry: TreeEntry, u: Urls) -> dict[str, Any]:
    wid = stable_id("workflow", f"{repo.full_name}/{entry.path}")
    return {
        "id": wid, "node_id": node_id("W", wid), "name": _name(repo, entry), "path": entry.path, "state": "active",
        # when the file was added and last changed is not in the scenario: the repo's creation and last push
        "created_at": repo.created_at, "updated_at": repo.pushed_at or repo.updated_at,
        "url": f"{u.api}/repos/{repo.full_name}/actions/workflows/{wid}",
        "html_url": f"{u.html}/{repo.full_name}/blob/{repo.default_branch}/{entry.path}",
        "badge_url": f"{u.html}/{repo.full_name}/workflows/{quote(_name(repo, entry))}/badge.svg",
    }


def find_workflow(owner: str, name: str, workflow_id: str) -> tuple[Repo | None, TreeEntry | None]:
    repo = emulator().store.repo(owner, name)
    if repo is None:
        return None, None
    for entry in workflow_files(repo):  # GitHub takes the numeric id or the file name
        if workflow_id in (entry.name, str(stable_id("workflow", f"{repo.full_name}/{entry.path}"))):
            return repo, entry
    return repo, None


@rest_route(bp, "/repos/<owner>/<name>/actions/workflows")
def list_workflows(identity: Identity, owner: str, name: str):
    repo = emulator().store.repo(owner, name)
    if repo is None:
        return not_found(f"{DOCS}/actions/workflows#list-repository-workflows")
    files = workflow_files(repo)
    page, headers = paginate(files)
    u = urls()
    return 200, {"total_count": len(files), "workflows": [workflow(repo, e, u) for e in page]}, headers


@rest_route(bp, "/repos/<owner>/<name>/actions/workflows/<workflow_id>")
def get_workflow(identity: Identity, owner: str, name: str, workflow_id: str):
    repo, entry = find_workflow(owner, name, workflow_id)
    if entry is None:
        return not_found(f"{DOCS}/actions/workflows#get-a-workflow")
    return 200, workflow(repo, entry, urls()), {}


def run_json(repo: Repo, org: Org, run: WorkflowRun, u: Urls) -> dict[str, Any]:
    api = f"{u.api}/repos/{repo.full_name}"
    runs = f"{api}/actions/runs/{run.id}"
    wid = stable_id("workflow", f"{repo.full_name}/{run.path}")
    entry = repo.entry(run.path)
    name = _name(repo, entry) if entry is not None and entry.path in repo.files else run.path
    commit = next((c for c in repo.commits if c.oid == run.head_sha), None)
    suite = _suite_id(repo, run)
    body = {
        "id": run.id, "name": name, "node_id": node_id("WFR", run.id), "check_suite_id": suite,
        "check_suite_node_id": node_id("CS", suite), "head_branch": run.head_branch, "head_sha": run.head_sha,
        "path": run.path, "display_title": commit.message.split("\n", 1)[0] if commit and commit.message else name,
        "run_number": run.run_number, "run_attempt": 1, "referenced_workflows": [], "event": run.event,
        "status": run.status, "conclusion": run.conclusion, "workflow_id": wid, "url": runs,
        "html_url": f"{u.html}/{repo.full_name}/actions/runs/{run.id}", "pull_requests": [],
        "created_at": run.created_at, "updated_at": run.created_at, "run_started_at": run.created_at,
        "jobs_url": f"{runs}/jobs", "logs_url": f"{runs}/logs", "check_suite_url": f"{api}/check-suites/{suite}",
        "artifacts_url": f"{runs}/artifacts", "cancel_url": f"{runs}/cancel", "rerun_url": f"{runs}/rerun",
        "previous_attempt_url": None, "workflow_url": f"{api}/actions/workflows/{wid}",
        "head_commit": {
            "id": commit.oid, "tree_id": repo.root_sha, "message": commit.message, "timestamp": commit.date,
            "author": {"name": commit.name, "email": commit.email},
            "committer": {"name": commit.name, "email": commit.email},
        } if commit else None,
        "repository": rest.minimal_repo(repo, org, u), "head_repository": rest.minimal_repo(repo, org, u),
        "head_repository_id": repo.id,
    }
    actor = user_json(run.actor, u)
    if actor:  # documented as a user, not null: left out when the scenario names nobody
        body["actor"] = body["triggering_actor"] = actor
    return body


def _suite_id(repo: Repo, run: WorkflowRun) -> int:
    return stable_id("check-suite", f"{repo.full_name}/{run.id}")


def _created_filter(value: str) -> Callable[[str], bool]:
    """GitHub's search date syntax for ``created``: ``D``, ``>D``, ``>=D``, ``<D``, ``<=D``, ``A..B`` (``*`` open);
    a date compares by day, a date-time exactly. Raises ValueError on anything else."""
    def bound(text: str) -> tuple[str, int]:
        text = text.strip()
        if len(text) == 10:
            iso(text)  # validates the date
            return text, 10
        return iso(text) or "", 20

    def cmp(created: str, text: str, op: str) -> bool:
        edge, width = bound(text)
        mine = created[:width]
        return {">": mine > edge, ">=": mine >= edge, "<": mine < edge, "<=": mine <= edge, "=": mine == edge}[op]

    value = value.strip()
    if ".." in value:
        low, high = value.split("..", 1)
        checks = [(low, ">=")] if low.strip() not in ("", "*") else []
        checks += [(high, "<=")] if high.strip() not in ("", "*") else []
    else:
        op = next((o for o in (">=", "<=", ">", "<") if value.startswith(o)), "=")
        checks = [(value[len(op):] if op != "=" else value, op)]
    for text, _ in checks:
        bound(text)
    return lambda created: all(cmp(created, text, op) for text, op in checks)


def _filtered_runs(repo: Repo, runs: list[WorkflowRun]) -> list[WorkflowRun]:
    """GitHub's filters of the runs lists; ``status`` takes a status or a conclusion. ValueError: bad ``created``."""
    args = request.args
    keep = {
        "branch": lambda r, v: r.head_branch == v, "event": lambda r, v: r.event == v,
        "status": lambda r, v: v in (r.status, r.conclusion), "head_sha": lambda r, v: r.head_sha == v,
        "actor": lambda r, v: (r.actor or "").lower() == v.lower(),
        "check_suite_id": lambda r, v: str(_suite_id(repo, r)) == v,
    }
    for key, test in keep.items():
        if args.get(key):
            runs = [r for r in runs if test(r, args[key])]
    if args.get("created"):
        created = _created_filter(args["created"])
        runs = [r for r in runs if created(r.created_at)]
    return runs


def _runs_page(repo: Repo, runs: list[WorkflowRun], doc: str):
    try:
        runs = _filtered_runs(repo, runs)
    except ValueError:
        return 422, error("Validation Failed", doc, 422), {}
    page, headers = paginate(runs)
    u = urls()
    org = emulator().store.org(repo.owner)
    return 200, {"total_count": len(runs), "workflow_runs": [run_json(repo, org, r, u) for r in page]}, headers


@rest_route(bp, "/repos/<owner>/<name>/actions/runs")
def repo_runs(identity: Identity, owner: str, name: str):
    doc = f"{DOCS}/actions/workflow-runs#list-workflow-runs-for-a-repository"
    repo = emulator().store.repo(owner, name)
    if repo is None:
        return not_found(doc)
    return _runs_page(repo, list(repo.workflow_runs), doc)


@rest_route(bp, "/repos/<owner>/<name>/actions/runs/<int:run_id>")
def get_run(identity: Identity, owner: str, name: str, run_id: int):
    repo = emulator().store.repo(owner, name)
    run = next((r for r in repo.workflow_runs if r.id == run_id), None) if repo else None
    if run is None:
        return not_found(f"{DOCS}/actions/workflow-runs#get-a-workflow-run")
    return 200, run_json(repo, emulator().store.org(owner), run, urls()), {}


@rest_route(bp, "/repos/<owner>/<name>/actions/workflows/<workflow_id>/runs")
def workflow_runs(identity: Identity, owner: str, name: str, workflow_id: str):
    doc = f"{DOCS}/actions/workflow-runs#list-workflow-runs-for-a-workflow"
    repo, entry = find_workflow(owner, name, workflow_id)
    if entry is None:
        return not_found(doc)
    return _runs_page(repo, [r for r in repo.workflow_runs if r.path == entry.path], doc)
