"""The emulator's control API under ``/_emulator/`` (no auth, loopback only): faults, the scenario,
stats, pushes, rate limits, the GitHub App, and webhooks. A bad body answers 400 with ``{"message": ...}``.
The changes a real org makes to repositories, teams and members are in ``control_changes``.

Webhooks (see ``webhooks`` for who hears what and how a delivery is sent):

- ``POST /_emulator/hooks`` ``{"url", "secret", "events": ["*"], "content_type": "json", "org"?, "repo"?,
  "app"?}``: register a hook without a token: an org hook on ``org`` (on every org when neither ``org``
  nor ``repo`` is given), a repository hook on ``repo`` ("owner/name"), or with ``"app": true`` the GitHub
  App's webhook (needs ``/_emulator/app``). Answers the hook (``id``); org and repository hooks get a ping.
  ``GET /_emulator/hooks`` lists every hook, ``DELETE /_emulator/hooks/<id>`` removes one.
- ``POST /_emulator/hooks/flush`` ``{"timeout": 30}``: wait until every queued delivery has been attempted
  (``{"flushed": true}``). Every change below also takes ``?wait=1`` to do the same before answering.
- ``GET /_emulator/deliveries`` (``?event=push&hook_id=1&payload=1``): what was sent, oldest first: ``guid``
  (the ``X-GitHub-Delivery``), ``hook_id``, ``event``, ``action``, ``url``, ``status_code`` (null when nothing
  answered), ``error`` and, with ``payload=1``, the payload. ``DELETE`` forgets them.
- ``POST /_emulator/push`` ``{"repo": "owner/name", "files": {path: text}, "deleted": [path], "commits":
  [{"author", "message", "date", "files", "deleted"}] (newest first), "branch"?, "delete_branch"?,
  "pushed_at"?, "sender"?}``: a push (to the default branch unless ``branch`` is given; a new branch is
  created from the default branch's head) and its ``push`` event. A body with only ``repo`` (and
  ``pushed_at``) moves ``pushed_at`` and sends nothing, as before.
"""
from __future__ import annotations

from dataclasses import asdict, fields
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Response, request

from peers.scenario import ScenarioError, parse_scenario

from .. import changes, webhook_events
from ..state import Faults, GitHubApp
from ..web import emulator, json_response, loopback, urls
from ..webhooks import HookError
from .hooks import ping, webhooks

bp = Blueprint("control", __name__)


def control(view: Callable[..., Any]) -> Callable[..., Response]:
    @wraps(view)
    def wrapper(**path: str) -> Response:
        if not loopback():
            return json_response({"message": "control endpoints answer on loopback only"}, 403)
        try:
            return json_response(view(**path))
        except KeyError as exc:
            return json_response({"message": f"missing {exc}"}, 400)
        except (ValueError, TypeError, ScenarioError) as exc:
            return json_response({"message": str(exc)}, 400)
    return wrapper


def body() -> dict[str, Any]:
    """The request's JSON object (``{}`` when empty), or a 400."""
    data = request.get_json(silent=True, force=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def delivered(sent: list[dict[str, Any]], **answer: Any) -> dict[str, Any]:
    """The answer of a change: its deliveries (``{"guid", "hook_id", "event", "action"}``), after waiting
    until they were attempted with ``?wait=1``."""
    if request.args.get("wait", "").lower() in ("1", "true", "yes"):
        webhooks().flush()
    return {**answer, "deliveries": sent}


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
    data, emu = body(), emulator()
    result = changes.push(emu.store, str(data["repo"]), files=data.get("files"), deleted=data.get("deleted"),
                          commits=data.get("commits"), pushed_at=data.get("pushed_at"), branch=data.get("branch"),
                          delete_branch=bool(data.get("delete_branch")))
    if not isinstance(result, changes.Push):  # only pushed_at moved: nothing for a push event to say
        return delivered([], repo=result.full_name, pushed_at=result.pushed_at,
                         head=result.commits[0].oid if result.commits else None)
    head = result.commits[-1].commit if result.commits else None
    who = data.get("sender") or (head.author if head else None)
    sender = webhook_events.sender_for(emu, result.org, who, urls())
    pusher = emu.store.user(sender["login"])
    payload = webhook_events.push_payload(result, sender, pusher, urls())
    sent = webhook_events.dispatch(emu, webhooks(), "push", payload, result.org, result.repo)
    repo = result.repo
    return delivered(sent, repo=repo.full_name, pushed_at=repo.pushed_at, ref=result.ref, before=result.before,
                     after=result.after, head=repo.commits[0].oid if repo.commits else None)


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


# --- webhooks ---

@bp.route("/_emulator/hooks", methods=["GET", "POST"], endpoint="hooks")
@control
def hooks() -> Any:
    emu, hub = emulator(), webhooks()
    if request.method == "GET":
        return [_hook_answer(h) for h in hub.of_all()]
    data = body()
    org = repo = None
    if data.get("app"):
        if emu.app is None:
            raise ValueError("no GitHub App is configured; POST /_emulator/app first")
        kind, target = "App", None
    elif data.get("repo"):
        org, repo = changes.repo_of(emu.store, str(data["repo"]))
        kind, target = "Repository", repo.id
    elif data.get("org"):
        org = changes.org_of(emu.store, str(data["org"]))
        kind, target = "Organization", org.login.lower()
    else:
        kind, target = "Organization", None
    config = {k: data[k] for k in ("url", "secret", "content_type", "insecure_ssl") if k in data}
    try:
        hook = hub.add(kind, target, config, data.get("events", ["*"]), data.get("active", True))
    except HookError as exc:
        raise ValueError(str(exc)) from None
    if org is not None:  # GitHub pings a hook it has just created
        ping(hook, f"/repos/{repo.full_name}" if repo else f"/orgs/{org.login}", org, repo)
    return _hook_answer(hook)


def _hook_answer(hook: Any) -> dict[str, Any]:
    return {"id": hook.id, "type": hook.kind, "target": hook.target, "url": hook.url, "events": list(hook.events),
            "active": hook.active, "content_type": hook.content_type, "last_response": hook.last_response}


@bp.delete("/_emulator/hooks/<int:hook_id>", endpoint="hook_delete")
@control
def delete_hook(hook_id: int) -> Any:
    if not webhooks().remove(hook_id):
        raise ValueError(f"no hook {hook_id}")
    return {"deleted": hook_id}


@bp.post("/_emulator/hooks/flush", endpoint="hooks_flush")
@control
def flush_hooks() -> Any:
    timeout = float(body().get("timeout", 30))
    if not 0 < timeout <= 300:
        raise ValueError("timeout must be between 0 and 300 seconds")
    return {"flushed": webhooks().flush(timeout)}


@bp.route("/_emulator/deliveries", methods=["GET", "DELETE"], endpoint="deliveries")
@control
def deliveries() -> Any:
    hub = webhooks()
    if request.method == "DELETE":
        hub.clear_deliveries()
        return []
    hook_id = request.args.get("hook_id")
    items = hub.deliveries(int(hook_id) if hook_id else None)
    if request.args.get("event"):
        items = [d for d in items if d["event"] == request.args["event"]]
    if request.args.get("payload", "").lower() not in ("1", "true", "yes"):
        for item in items:
            item.pop("payload")
    return items
