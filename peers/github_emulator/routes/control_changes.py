"""Control API: the changes a real org makes, each sent to the webhooks GitHub would send it to (no auth,
loopback only; a bad body answers 400 with ``{"message": ...}``). Every change answers what it changed and
``deliveries`` (the ``X-GitHub-Delivery`` ids queued); ``?wait=1`` waits until they were attempted. Each
takes an optional ``"sender"`` (a login; default: the org's first admin). REST and GraphQL answer the new
state at once (a renamed repository under its new name, a deleted one 404).

Repositories (event ``repository`` unless said otherwise):

- ``POST /_emulator/repos`` ``{"org", "name", "description"?, "private"?, "topics"?, "default_branch"?,
  "files"?}``: ``created``;
- ``POST /_emulator/repos/<owner>/<name>/rename`` ``{"name"}``: ``renamed`` (``changes.repository.name.from``);
- ``POST /_emulator/repos/<owner>/<name>/archive`` and ``/unarchive``: ``archived`` / ``unarchived``;
- ``PATCH /_emulator/repos/<owner>/<name>`` ``{"description"?, "topics"?, "default_branch"?, "visibility"?}``:
  ``edited`` with ``changes`` (and ``privatized`` / ``publicized`` for a visibility change);
- ``POST /_emulator/repos/<owner>/<name>/transfer`` ``{"new_owner"}`` (another org of the scenario):
  ``transferred`` (``changes.owner.from.user``), sent to the new owner's hooks;
- ``DELETE /_emulator/repos/<owner>/<name>``: ``deleted`` (org hooks only, as GitHub);
- ``PUT`` / ``DELETE /_emulator/repos/<owner>/<name>/collaborators/<login>`` ``{"permission"}``: event
  ``member`` ``added`` / ``edited`` / ``removed``.

Teams and members:

- ``POST /_emulator/orgs/<org>/teams`` ``{"name", "description"?, "parent"?, "members"?, "maintainers"?,
  "repos"?: {name: permission}}``: ``team`` ``created``;
- ``PATCH /_emulator/orgs/<org>/teams/<slug>`` ``{"name"?, "description"?, "parent"?}``: ``team`` ``edited``;
- ``DELETE /_emulator/orgs/<org>/teams/<slug>``: ``team`` ``deleted`` (child teams too);
- ``PUT`` / ``DELETE /_emulator/orgs/<org>/teams/<slug>/members/<login>`` ``{"role"?}``: ``membership``
  ``added`` / ``removed`` (``scope: team``);
- ``PUT /_emulator/orgs/<org>/teams/<slug>/repos/<repo>`` ``{"permission"}``: ``team_add`` and ``team``
  ``added_to_repository`` (or ``team`` ``edited`` for a new permission); ``DELETE``:
  ``team`` ``removed_from_repository``;
- ``PUT`` / ``DELETE /_emulator/orgs/<org>/members/<login>`` ``{"role"?, "name"?, "email"?}``:
  ``organization`` ``member_added`` / ``member_removed``.

The GitHub App (``/_emulator/app`` first):

- ``POST /_emulator/installation/repositories`` ``{"org", "add"?: [names], "remove"?: [names], "all"?: true}``:
  ``installation_repositories`` ``added`` / ``removed``; the installation then sees only the selected
  repositories (``GET /installation/repositories``, ``GET /orgs/{org}/repos`` with its token).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from .. import changes, team_changes, webhook_events as events
from ..rest import permissions
from ..web import emulator, urls
from .control import body, control, delivered
from .hooks import webhooks

bp = Blueprint("control_changes", __name__)


def _send(event: str, payload: dict[str, Any], org: Any, repo: Any = None) -> list[str]:
    return events.dispatch(emulator(), webhooks(), event, payload, org, repo)


def _sender(data: dict[str, Any], org: Any) -> dict[str, Any]:
    return events.sender_for(emulator(), org, data.get("sender"), urls())


def _repo_answer(repo: Any) -> dict[str, Any]:
    return {"repo": repo.full_name, "id": repo.id, "archived": repo.archived, "private": repo.private,
            "default_branch": repo.default_branch}


# --- repositories ---

@bp.post("/_emulator/repos", endpoint="repo_create")
@control
def create_repo() -> Any:
    data = body()
    org, repo = changes.create_repo(emulator().store, str(data["org"]), data.get("name"), data.get("description"),
                                    data.get("private", True), data.get("topics"), data.get("default_branch"),
                                    data.get("files"))
    sent = _send("repository", events.repository_payload("created", repo, org, _sender(data, org), urls()), org, repo)
    return delivered(sent, **_repo_answer(repo))


@bp.post("/_emulator/repos/<owner>/<name>/rename", endpoint="repo_rename")
@control
def rename_repo(owner: str, name: str) -> Any:
    data = body()
    org, repo, old = changes.rename_repo(emulator().store, f"{owner}/{name}", data.get("name"))
    payload = events.repository_payload("renamed", repo, org, _sender(data, org), urls(),
                                        {"repository": {"name": {"from": old}}})
    return delivered(_send("repository", payload, org, repo), **_repo_answer(repo))


@bp.post("/_emulator/repos/<owner>/<name>/<any(archive, unarchive):verb>", endpoint="repo_archive")
@control
def archive_repo(owner: str, name: str, verb: str) -> Any:
    data = body()
    org, repo, changed = changes.set_archived(emulator().store, f"{owner}/{name}", verb == "archive")
    if not changed:
        return delivered([], **_repo_answer(repo))
    payload = events.repository_payload(f"{verb}d", repo, org, _sender(data, org), urls())
    return delivered(_send("repository", payload, org, repo), **_repo_answer(repo))


@bp.route("/_emulator/repos/<owner>/<name>", methods=["PATCH", "DELETE"], endpoint="repo_edit")
@control
def edit_or_delete_repo(owner: str, name: str) -> Any:
    data, store = body(), emulator().store
    if request.method == "DELETE":
        org, repo = changes.delete_repo(store, f"{owner}/{name}")
        payload = events.repository_payload("deleted", repo, org, _sender(data, org), urls())
        sent = _send("repository", payload, org, repo)
        webhooks().remove_where("Repository", repo.id)  # a repository's hooks go with it
        return delivered(sent, repo=repo.full_name, deleted=True)
    org, repo, actions = changes.edit_repo(store, f"{owner}/{name}", data)
    sent = []
    for action, change in actions:
        payload = events.repository_payload(action, repo, org, _sender(data, org), urls(),
                                            change if action == "edited" else None)
        sent += _send("repository", payload, org, repo)
    return delivered(sent, **_repo_answer(repo), topics=list(repo.topics), description=repo.description)


@bp.post("/_emulator/repos/<owner>/<name>/transfer", endpoint="repo_transfer")
@control
def transfer_repo(owner: str, name: str) -> Any:
    data = body()
    old_org, new_org, repo = changes.transfer_repo(emulator().store, f"{owner}/{name}", data.get("new_owner"))
    payload = events.repository_payload("transferred", repo, new_org, _sender(data, new_org), urls(),
                                        {"owner": {"from": {"user": events.org_as_user(old_org, urls())}}})
    return delivered(_send("repository", payload, new_org, repo), **_repo_answer(repo))


@bp.route("/_emulator/repos/<owner>/<name>/collaborators/<login>", methods=["PUT", "DELETE"],
          endpoint="repo_collaborator")
@control
def collaborator(owner: str, name: str, login: str) -> Any:
    data, store = body(), emulator().store
    if request.method == "DELETE":
        org, repo, user = changes.remove_collaborator(store, f"{owner}/{name}", login)
        payload = events.member_payload("removed", user, repo, org, _sender(data, org), urls())
        return delivered(_send("member", payload, org, repo), repo=repo.full_name, login=user.login)
    permission = data.get("permission", "push")
    org, repo, user, previous = changes.set_collaborator(store, f"{owner}/{name}", login, permission)
    if previous == permission:
        return delivered([], repo=repo.full_name, login=user.login, permission=permission)
    action = "added" if previous is None else "edited"
    payload = events.member_payload(action, user, repo, org, _sender(data, org), urls(), permission, previous)
    return delivered(_send("member", payload, org, repo), repo=repo.full_name, login=user.login, permission=permission)


# --- teams ---

@bp.post("/_emulator/orgs/<org>/teams", endpoint="team_create")
@control
def create_team(org: str) -> Any:
    data = body()
    o, team = team_changes.create_team(emulator().store, org, data.get("name"), data.get("description"),
                                       data.get("parent"), data.get("members"), data.get("maintainers"),
                                       data.get("repos"))
    sent = _send("team", events.team_payload("created", team, o, _sender(data, o), urls()), o)
    return delivered(sent, slug=team.slug, id=team.id)


@bp.route("/_emulator/orgs/<org>/teams/<slug>", methods=["PATCH", "DELETE"], endpoint="team_edit")
@control
def edit_or_delete_team(org: str, slug: str) -> Any:
    data, store = body(), emulator().store
    if request.method == "DELETE":
        o, gone = team_changes.delete_team(store, org, slug)
        sender = _sender(data, o)
        sent = []
        for team in gone:
            sent += _send("team", events.team_payload("deleted", team, o, sender, urls()), o)
        return delivered(sent, deleted=[t.slug for t in gone])
    o, team, change = team_changes.edit_team(store, org, slug, data)
    if not change:  # nothing GitHub reports changed (a parent move is not in the payload's changes either)
        sent = []
    else:
        sent = _send("team", events.team_payload("edited", team, o, _sender(data, o), urls(), changes=change), o)
    return delivered(sent, slug=team.slug, name=team.name, parent=team.parent)


@bp.route("/_emulator/orgs/<org>/teams/<slug>/members/<login>", methods=["PUT", "DELETE"], endpoint="team_member")
@control
def team_member(org: str, slug: str, login: str) -> Any:
    data, store = body(), emulator().store
    if request.method == "DELETE":
        o, team, member = team_changes.remove_team_member(store, org, slug, login)
        action = "removed"
    else:
        o, team, member, added = team_changes.set_team_member(store, org, slug, login, data.get("role", "member"))
        if not added:  # a new team role is no membership event on GitHub
            return delivered([], slug=team.slug, login=member.login)
        action = "added"
    payload = events.membership_payload(action, team, member, o, _sender(data, o), urls())
    return delivered(_send("membership", payload, o), slug=team.slug, login=member.login)


@bp.route("/_emulator/orgs/<org>/teams/<slug>/repos/<repo_name>", methods=["PUT", "DELETE"], endpoint="team_repo")
@control
def team_repo(org: str, slug: str, repo_name: str) -> Any:
    data, store = body(), emulator().store
    if request.method == "DELETE":
        o, team, repo = team_changes.remove_team_repo(store, org, slug, repo_name)
        payload = events.team_payload("removed_from_repository", team, o, _sender(data, o), urls(), repo)
        return delivered(_send("team", payload, o, repo), slug=team.slug, repo=repo.full_name)
    permission = data.get("permission", "push")
    o, team, repo, previous = team_changes.set_team_repo(store, org, slug, repo_name, permission)
    sender = _sender(data, o)
    if previous == permission:
        sent = []
    elif previous is None:
        sent = _send("team_add", events.team_add_payload(team, repo, o, sender, urls()), o, repo)
        sent += _send("team", events.team_payload("added_to_repository", team, o, sender, urls(), repo), o, repo)
    else:
        before = {k: v for k, v in permissions(previous).items() if k in ("admin", "pull", "push")}
        change = {"repository": {"permissions": {"from": before}}}
        sent = _send("team", events.team_payload("edited", team, o, sender, urls(), repo, change), o, repo)
    return delivered(sent, slug=team.slug, repo=repo.full_name, permission=permission)


@bp.route("/_emulator/orgs/<org>/members/<login>", methods=["PUT", "DELETE"], endpoint="org_member")
@control
def org_member(org: str, login: str) -> Any:
    data, store = body(), emulator().store
    if request.method == "DELETE":
        o, member = changes.remove_org_member(store, org, login)
        action = "member_removed"
    else:
        o, member, new = changes.add_org_member(store, org, login, data.get("role", "member"), data.get("name"),
                                                data.get("email"))
        if not new:
            return delivered([], login=member.login, role=member.role)
        action = "member_added"
    payload = events.organization_payload(action, member, o, _sender(data, o), urls())
    return delivered(_send("organization", payload, o), login=member.login, role=member.role)


# --- the GitHub App's installation ---

@bp.post("/_emulator/installation/repositories", endpoint="installation_repositories")
@control
def installation_repositories() -> Any:
    data, emu = body(), emulator()
    org, added, removed, selection = changes.select_installation_repos(
        emu, str(data["org"]), data.get("add"), data.get("remove"), bool(data.get("all")))
    sender = _sender(data, org)
    sent = []
    for action, repos in (("added", added), ("removed", removed)):
        if repos:
            payload = events.installation_repositories_payload(emu, action, org, repos, sender, urls())
            sent += _send("installation_repositories", payload, org)
    return delivered(sent, repository_selection=selection, added=[r.full_name for r in added],
                     removed=[r.full_name for r in removed])
