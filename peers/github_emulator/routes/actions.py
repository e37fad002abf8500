"""REST: GitHub Actions workflows, from the files a repository has directly under ``.github/workflows``
(as GitHub finds them). Runs are not modelled: a workflow's runs list is empty."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import yaml
from flask import Blueprint

from ..rest import DOCS, Urls
from ..state import Identity
from ..store import Repo, TreeEntry, node_id, stable_id
from ..web import emulator, not_found, paginate, rest_route, urls

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


@rest_route(bp, "/repos/<owner>/<name>/actions/workflows/<workflow_id>/runs")
def workflow_runs(identity: Identity, owner: str, name: str, workflow_id: str):
    repo, entry = find_workflow(owner, name, workflow_id)
    if entry is None:
        return not_found(f"{DOCS}/actions/workflow-runs#list-workflow-runs-for-a-workflow")
    return 200, {"total_count": 0, "workflow_runs": []}, {}
