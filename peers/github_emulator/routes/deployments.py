"""REST: a repository's deployments and their statuses, newest first (``deploy_history.py``), filtered
and paginated as GitHub does."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from .. import rest
from ..deploy_history import Deployment, DeploymentStatus
from ..rest import DOCS, Urls
from ..state import Identity
from ..store import Repo, node_id, stable_id
from ..web import emulator, not_found, paginate, rest_route, urls

bp = Blueprint("deployments", __name__)
FILTERS = ("sha", "ref", "task", "environment")  # GitHub's query parameters of "list deployments", exact matches
PRODUCTION_NAMES = frozenset({"production", "prod"})


def user_json(login: str | None, u: Urls) -> dict[str, Any] | None:
    """A login as GitHub's simple user: the scenario's member, or an account outside the org."""
    if not login:
        return None
    member = emulator().store.user(login)
    return rest.member(member, u) if member else rest.simple_user(login, stable_id("user", login), u)


def deployment_json(repo: Repo, d: Deployment, u: Urls) -> dict[str, Any]:
    api = f"{u.api}/repos/{repo.full_name}"
    return {
        "url": f"{api}/deployments/{d.id}", "id": d.id, "node_id": node_id("DE", d.id), "sha": d.sha, "ref": d.ref,
        "task": d.task, "payload": {}, "original_environment": d.environment, "environment": d.environment,
        "description": d.description, "creator": user_json(d.creator, u), "created_at": d.created_at,
        "updated_at": d.statuses[0].created_at, "statuses_url": f"{api}/deployments/{d.id}/statuses",
        "repository_url": api, "transient_environment": False,
        "production_environment": d.environment.lower() in PRODUCTION_NAMES, "performed_via_github_app": None,
    }


def status_json(repo: Repo, d: Deployment, s: DeploymentStatus, u: Urls) -> dict[str, Any]:
    api = f"{u.api}/repos/{repo.full_name}"
    declared = s.state != "inactive" or s is d.statuses[-1]  # an inactive status added later carries nothing
    log_url = d.log_url if declared else ""
    return {
        "url": f"{api}/deployments/{d.id}/statuses/{s.id}", "id": s.id, "node_id": node_id("DES", s.id),
        "state": s.state, "creator": user_json(s.creator, u), "description": d.description if declared else "",
        "environment": d.environment, "target_url": log_url, "created_at": s.created_at, "updated_at": s.created_at,
        "deployment_url": f"{api}/deployments/{d.id}", "repository_url": api, "environment_url": "",
        "log_url": log_url, "performed_via_github_app": None,
    }


def find_deployment(owner: str, name: str, deployment_id: int) -> tuple[Repo | None, Deployment | None]:
    repo = emulator().store.repo(owner, name)
    if repo is None:
        return None, None
    return repo, next((d for d in repo.deployments if d.id == deployment_id), None)


@rest_route(bp, "/repos/<owner>/<name>/deployments")
def list_deployments(identity: Identity, owner: str, name: str):
    repo = emulator().store.repo(owner, name)
    if repo is None:
        return not_found(f"{DOCS}/deployments/deployments#list-deployments")
    items = list(repo.deployments)
    for key in FILTERS:
        value = request.args.get(key)
        if value:
            items = [d for d in items if getattr(d, key) == value]
    page, headers = paginate(items)
    u = urls()
    return 200, [deployment_json(repo, d, u) for d in page], headers


@rest_route(bp, "/repos/<owner>/<name>/deployments/<int:deployment_id>")
def get_deployment(identity: Identity, owner: str, name: str, deployment_id: int):
    repo, deployment = find_deployment(owner, name, deployment_id)
    if deployment is None:
        return not_found(f"{DOCS}/deployments/deployments#get-a-deployment")
    return 200, deployment_json(repo, deployment, urls()), {}


@rest_route(bp, "/repos/<owner>/<name>/deployments/<int:deployment_id>/statuses")
def list_statuses(identity: Identity, owner: str, name: str, deployment_id: int):
    repo, deployment = find_deployment(owner, name, deployment_id)
    if deployment is None:
        return not_found(f"{DOCS}/deployments/statuses#list-deployment-statuses")
    page, headers = paginate(list(deployment.statuses))
    u = urls()
    return 200, [status_json(repo, deployment, s, u) for s in page], headers
