"""The emulator's control API under ``/_emulator/`` (no auth, loopback only): faults, the scenario,
stats, pushes, rate limits and the GitHub App. A bad body answers 400 with ``{"message": ...}``."""
from __future__ import annotations

from dataclasses import asdict, fields
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Response, request

from peers.scenario import ScenarioError, parse_scenario

from ..state import Faults, GitHubApp
from ..web import emulator, json_response, loopback

bp = Blueprint("control", __name__)


def control(view: Callable[[], Any]) -> Callable[[], Response]:
    @wraps(view)
    def wrapper() -> Response:
        if not loopback():
            return json_response({"message": "control endpoints answer on loopback only"}, 403)
        try:
            return json_response(view())
        except (ValueError, TypeError, KeyError, ScenarioError) as exc:
            return json_response({"message": str(exc)}, 400)
    return wrapper


@bp.route("/_emulator/faults", methods=["GET", "POST"], endpoint="faults")
@control
def set_faults() -> Any:
    emu = emulator()
    if request.method == "POST":
        changes = request.get_json(force=True) or {}
        unknown = set(changes) - {f.name for f in fields(Faults)}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        emu.set_faults(Faults(**{**asdict(emu.faults), **changes}))
    return asdict(emu.faults)


@bp.post("/_emulator/scenario", endpoint="scenario")
@control
def load_scenario() -> Any:
    store = emulator().store
    store.load(parse_scenario(request.get_data(as_text=True), source="POST /_emulator/scenario"))
    return {"orgs": [o.login for o in store.orgs.values()], "repos": sum(len(o.repos) for o in store.orgs.values())}


@bp.get("/_emulator/stats", endpoint="stats")
@control
def get_stats() -> Any:
    emu = emulator()
    with emu.lock:
        return dict(emu.stats)


@bp.post("/_emulator/stats/reset", endpoint="stats_reset")
@control
def reset_stats() -> Any:
    emu = emulator()
    emu.reset_stats()
    return dict(emu.stats)


@bp.post("/_emulator/push", endpoint="push")
@control
def push() -> Any:
    body = request.get_json(force=True) or {}
    repo = emulator().store.push(str(body["repo"]), files=body.get("files"), pushed_at=body.get("pushed_at"),
                                 commits=body.get("commits"), deleted=body.get("deleted"))
    return {"repo": repo.full_name, "pushed_at": repo.pushed_at,
            "head": repo.commits[0].oid if repo.commits else None}


@bp.post("/_emulator/rate_limit", endpoint="rate_limit_control")
@control
def set_rate_limit() -> Any:
    emu = emulator()
    body = request.get_json(force=True) or {}
    emu.set_limits(body.get("core"), body.get("graphql"))
    return dict(emu.limits)


@bp.post("/_emulator/app", endpoint="github_app")
@control
def set_app() -> Any:
    emu = emulator()
    body = request.get_json(force=True) or {}
    emu.app = GitHubApp(int(body["id"]), str(body["public_key"]), str(body.get("slug") or "roster-emulator"),
                        body.get("installed_on"))
    return {"id": emu.app.id, "slug": emu.app.slug, "installed_on": emu.app.installed_on}
