"""A repository's deployments (with their statuses) and Actions workflow runs, from a scenario's
``deployments`` and ``workflow_runs`` (see ``scenarios/FORMAT.md``), held as frozen objects newest first.

A sha left out is the default branch's head at the time; a successful deployment makes the earlier
successful one of its environment ``inactive``, as GitHub does (auto_inactive) for non-transient
environments. Kept apart from ``store`` so the store only gains two fields and one call.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Sequence

WORKFLOWS_DIR = ".github/workflows"


@dataclass(frozen=True)
class DeploymentStatus:
    id: int
    state: str  # success | failure | error | inactive | pending | queued | in_progress
    created_at: str
    creator: str | None  # login


@dataclass(frozen=True)
class Deployment:
    id: int
    environment: str
    sha: str
    ref: str
    task: str
    description: str
    creator: str | None  # login
    created_at: str
    log_url: str
    statuses: tuple[DeploymentStatus, ...]  # newest first

    @property
    def state(self) -> str:
        return self.statuses[0].state


@dataclass(frozen=True)
class WorkflowRun:
    id: int
    path: str  # .github/workflows/<file>
    run_number: int
    head_sha: str
    head_branch: str
    event: str
    status: str
    conclusion: str | None
    actor: str | None  # login
    created_at: str

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def workflow_path(name: str) -> str:
    """``deploy.yml`` or ``.github/workflows/deploy.yml`` -> ``.github/workflows/deploy.yml``."""
    name = str(name).strip().strip("/")
    return name if "/" in name else f"{WORKFLOWS_DIR}/{name}"


def build_deploy_history(full_name: str, raw: dict[str, Any], commits: Sequence[Any], default_branch: str,
                         pushed_at: str | None) -> dict[str, tuple]:
    """``{"deployments": (...), "workflow_runs": (...)}`` for ``Repo``; ``commits`` newest first."""
    from .store import EPOCH, iso, stable_id  # store imports this module: import back only when called

    def when(value: Any) -> str:
        return iso(value) or pushed_at or EPOCH

    def head_at(moment: str, what: str) -> str:
        for commit in commits:  # newest first: the first one not after the moment was the head then
            if commit.date <= moment:
                return commit.oid
        if commits:
            return commits[-1].oid
        return hashlib.sha1(f"{what}\n{full_name}\n{moment}".encode()).hexdigest()  # an empty repository

    declared = []
    for i, d in enumerate(raw.get("deployments") or ()):
        created = when(d.get("created_at"))
        declared.append((created, i, d))
    declared.sort(key=lambda item: (item[0], item[1]))
    deployments: list[Deployment] = []
    last_success: dict[str, int] = {}  # environment -> position in ``deployments`` of its newest success
    for created, i, d in declared:
        env = str(d.get("environment") or "production")
        creator = str(d["creator"]) if d.get("creator") else None
        state = str(d.get("status") or "success")
        status = DeploymentStatus(stable_id("deployment-status", f"{full_name}/{i}/0"), state, created, creator)
        deployments.append(Deployment(
            id=stable_id("deployment", f"{full_name}/{i}"), environment=env,
            sha=str(d.get("sha") or head_at(created, "deployment")), ref=str(d.get("ref") or default_branch),
            task=str(d.get("task") or "deploy"), description=str(d.get("description") or ""), creator=creator,
            created_at=created, log_url=str(d.get("log_url") or ""), statuses=(status,)))
        if state == "success":
            earlier = last_success.get(env)
            if earlier is not None:
                old = deployments[earlier]
                inactive = DeploymentStatus(stable_id("deployment-status", f"{full_name}/{i}/inactive"), "inactive",
                                            created, creator)
                deployments[earlier] = Deployment(**{**vars(old), "statuses": (inactive, *old.statuses)})
            last_success[env] = len(deployments) - 1

    declared_runs = sorted(((when(r.get("created_at")), i, r) for i, r in enumerate(raw.get("workflow_runs") or ())),
                           key=lambda item: (item[0], item[1]))
    numbers: dict[str, int] = {}
    runs = []
    for created, i, r in declared_runs:
        path = workflow_path(r["workflow"])
        numbers[path] = numbers.get(path, 0) + 1
        status = str(r.get("status") or "completed")
        runs.append(WorkflowRun(
            id=stable_id("workflow-run", f"{full_name}/{i}"), path=path,
            run_number=int(r.get("run_number") or numbers[path]),
            head_sha=str(r.get("head_sha") or head_at(created, "run")),
            head_branch=str(r.get("head_branch") or default_branch), event=str(r.get("event") or "push"),
            status=status, conclusion=r.get("conclusion") if "conclusion" in r else
            ("success" if status == "completed" else None),
            actor=str(r["actor"]) if r.get("actor") else None, created_at=created))
    return {"deployments": tuple(reversed(deployments)), "workflow_runs": tuple(reversed(runs))}
