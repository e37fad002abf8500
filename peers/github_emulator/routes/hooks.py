"""REST: webhooks of an organization or a repository, as GitHub serves them
(``GET/POST /orgs/{org}/hooks``, ``GET/PATCH/DELETE /orgs/{org}/hooks/{hook_id}``, ``POST .../pings``,
``GET .../deliveries``, and the same under ``/repos/{owner}/{repo}/hooks``), and the repositories an
installation token may see (``GET /installation/repositories``).

Managing hooks takes an org owner's token, or a repository admin's for a repository's hooks (anyone
else gets 404, an installation token 403, as on GitHub; when the scenario names no owner, its members
stand in). A bad hook answers 422 ``Validation Failed``; a URL that is not on loopback is one
(``webhooks.loopback_target``). Creating a hook pings it, as GitHub does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request

from .. import rest, webhook_events
from ..rest import DOCS, error
from ..state import Identity
from ..webhooks import EXTENSION as HOOKS, Hook, HookError, Webhooks
from ..web import emulator, not_found, paginate, rest_route, rest_view, urls

bp = Blueprint("hooks", __name__)
ORG_DOCS = f"{DOCS}/orgs/webhooks"
REPO_DOCS = f"{DOCS}/repos/webhooks"


def webhooks() -> Webhooks:
    return current_app.extensions[HOOKS]


def _route(rule: str, methods: tuple[str, ...]) -> Callable:
    def register(handler: Callable) -> Callable:
        view = rest_view(handler)  # faults, auth and the rate limit, as for every REST call
        bp.add_url_rule(rule, handler.__name__, view, methods=list(methods))
        return view
    return register


@dataclass(frozen=True)
class Scope:
    """Whose hooks a request manages: an org's or a repository's."""
    kind: str  # Organization | Repository
    target: str | int  # the org's lowercase login, or the repository's id
    api_path: str  # /orgs/{org} or /repos/{owner}/{repo}
    org: Any
    repo: Any
    doc: str

    def hook(self, hook_id: str) -> Hook | None:
        hook = webhooks().get(hook_id)
        return hook if hook is not None and hook.kind == self.kind and hook.target == self.target else None


def _scope(identity: Identity, org: str, owner: str | None = None, name: str | None = None):
    """The Scope of hooks the identity may administer, or the (status, body, headers) GitHub answers."""
    store = emulator().store
    o = store.org(owner or org)
    r = store.repo(owner, name) if owner else None
    doc = REPO_DOCS if owner else ORG_DOCS
    if identity.installation is not None:
        return 403, error("Resource not accessible by integration", doc, 403), {}
    if not identity.login:
        return 401, error("Requires authentication", doc, 401), {}
    if o is None or (owner and r is None):
        return not_found(doc)
    login = identity.login.lower()
    member = o.members.get(login)
    # every org has an owner on GitHub; when the scenario names none, its members stand in
    owner_ok = member is not None and (member.role == "admin" or not any(m.role == "admin" for m in o.members.values()))
    direct = next((p for k, p in r.collaborators.items() if k.lower() == login), None) if r else None
    if not owner_ok and direct != "admin":
        return not_found(doc)  # GitHub hides what a non-owner may not administer
    if r is not None:
        return Scope("Repository", r.id, f"/repos/{r.full_name}", o, r, doc)
    return Scope("Organization", o.login.lower(), f"/orgs/{o.login}", o, None, doc)


def _invalid(message: str, doc: str):
    errors = [{"resource": "Hook", "code": "custom", "message": message}]
    return 422, error("Validation Failed", doc, 422, errors=errors), {}


def _body() -> dict[str, Any] | None:
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else None


def ping(hook: Any, api_path: str, org: Any, repo: Any, sender: dict[str, Any] | None = None) -> dict[str, Any]:
    emu = emulator()
    sender = sender or webhook_events.sender_for(emu, org, None, urls())
    payload = webhook_events.ping_payload(hook, urls(), api_path, sender, org, repo)
    target_id = repo.id if repo is not None else org.id
    return webhooks().send(hook, "ping", payload, repo_id=repo.id if repo else None, target_id=target_id)


def _sender(identity: Identity, org: Any) -> dict[str, Any]:
    m = emulator().store.user(identity.login or "")
    return webhook_events.user(m, urls()) if m else webhook_events.sender_for(emulator(), org, None, urls())


# --- list and create ---

def _list_or_create(identity: Identity, org: str, owner: str | None = None, name: str | None = None):
    scope = _scope(identity, org, owner, name)
    if not isinstance(scope, Scope):
        return scope
    if request.method == "GET":
        page, headers = paginate(webhooks().of(scope.kind, scope.target))
        return 200, [webhook_events.hook_json(h, urls(), scope.api_path) for h in page], headers
    body = _body()
    if body is None:
        return 400, error("Problems parsing JSON", scope.doc, 400), {}
    if body.get("name", "web") != "web":
        return _invalid("name must be \"web\"", scope.doc)
    try:
        hook = webhooks().add(scope.kind, scope.target, body.get("config"), body.get("events"),
                              body.get("active", True))
    except HookError as exc:
        return _invalid(str(exc), scope.doc)
    ping(hook, scope.api_path, scope.org, scope.repo, _sender(identity, scope.org))
    location = f"{urls().api}{scope.api_path}/hooks/{hook.id}"
    return 201, webhook_events.hook_json(hook, urls(), scope.api_path), {"Location": location}


@_route("/orgs/<org>/hooks", ("GET", "POST"))
def org_hooks(identity: Identity, org: str):
    return _list_or_create(identity, org)


@_route("/repos/<owner>/<name>/hooks", ("GET", "POST"))
def repo_hooks(identity: Identity, owner: str, name: str):
    return _list_or_create(identity, owner, owner, name)


# --- one hook ---

def _one(identity: Identity, hook_id: str, org: str, owner: str | None = None, name: str | None = None):
    scope = _scope(identity, org, owner, name)
    if not isinstance(scope, Scope):
        return scope
    hook = scope.hook(hook_id)
    if hook is None:
        return not_found(scope.doc)
    if request.method == "DELETE":
        webhooks().remove(hook.id)
        return 204, Response(status=204), {}
    if request.method == "PATCH":
        body = _body()
        if body is None:
            return 400, error("Problems parsing JSON", scope.doc, 400), {}
        if body.get("name", "web") != "web":
            return _invalid("name must be \"web\"", scope.doc)
        try:
            webhooks().update(hook, body.get("config"), body.get("events"), body.get("add_events"),
                              body.get("remove_events"), body.get("active"))
        except HookError as exc:
            return _invalid(str(exc), scope.doc)
    return 200, webhook_events.hook_json(hook, urls(), scope.api_path), {}


@_route("/orgs/<org>/hooks/<hook_id>", ("GET", "PATCH", "DELETE"))
def org_hook(identity: Identity, org: str, hook_id: str):
    return _one(identity, hook_id, org)


@_route("/repos/<owner>/<name>/hooks/<hook_id>", ("GET", "PATCH", "DELETE"))
def repo_hook(identity: Identity, owner: str, name: str, hook_id: str):
    return _one(identity, hook_id, owner, owner, name)


def _ping(identity: Identity, hook_id: str, org: str, owner: str | None = None, name: str | None = None):
    scope = _scope(identity, org, owner, name)
    if not isinstance(scope, Scope):
        return scope
    hook = scope.hook(hook_id)
    if hook is None:
        return not_found(scope.doc)
    ping(hook, scope.api_path, scope.org, scope.repo, _sender(identity, scope.org))
    return 204, Response(status=204), {}


@_route("/orgs/<org>/hooks/<hook_id>/pings", ("POST",))
def org_hook_ping(identity: Identity, org: str, hook_id: str):
    return _ping(identity, hook_id, org)


@_route("/repos/<owner>/<name>/hooks/<hook_id>/pings", ("POST",))
def repo_hook_ping(identity: Identity, owner: str, name: str, hook_id: str):
    return _ping(identity, hook_id, owner, owner, name)


def _deliveries(identity: Identity, hook_id: str, org: str, owner: str | None = None, name: str | None = None):
    scope = _scope(identity, org, owner, name)
    if not isinstance(scope, Scope):
        return scope
    hook = scope.hook(hook_id)
    if hook is None:
        return not_found(scope.doc)
    items = list(reversed(webhooks().deliveries(hook.id)))  # newest first, as GitHub lists them
    page, headers = paginate(items)
    return 200, [delivery_item(d) for d in page], headers


def delivery_item(d: dict[str, Any]) -> dict[str, Any]:
    """A delivery in GitHub's ``hook-delivery-item`` shape (status_code 0 when nothing answered)."""
    return {"id": d["id"], "guid": d["guid"], "delivered_at": d["delivered_at"] or d["queued_at"],
            "redelivery": d["redelivery"], "duration": d["duration"], "status": d["status"],
            "status_code": d["status_code"] or 0, "event": d["event"], "action": d["action"],
            "installation_id": d["installation_id"], "repository_id": d["repository_id"], "throttled_at": None}


@rest_route(bp, "/orgs/<org>/hooks/<hook_id>/deliveries")
def org_hook_deliveries(identity: Identity, org: str, hook_id: str):
    return _deliveries(identity, hook_id, org)


@rest_route(bp, "/repos/<owner>/<name>/hooks/<hook_id>/deliveries")
def repo_hook_deliveries(identity: Identity, owner: str, name: str, hook_id: str):
    return _deliveries(identity, hook_id, owner, owner, name)


# --- what an installation may see ---

@rest_route(bp, "/installation/repositories")
def installation_repositories(identity: Identity):
    emu = emulator()
    doc = f"{DOCS}/apps/installations#list-repositories-accessible-to-the-app-installation"
    if identity.installation is None:
        return 403, error("You must authenticate with an installation access token in order to list repositories "
                          "for an installation.", doc, 403), {}
    org = emu.installation_org(identity.installation)
    if org is None:
        return not_found(doc)
    visible = emu.installation_repo_ids(org.login)
    repos = [r for r in org.repos.values() if visible is None or r.id in visible]
    page, headers = paginate(repos)
    return 200, {"total_count": len(repos), "repository_selection": "all" if visible is None else "selected",
                 "repositories": [rest.minimal_repo(r, org, urls()) for r in page]}, headers
