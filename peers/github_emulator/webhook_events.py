"""What GitHub sends for each change: webhook payloads in the shapes of GitHub's published webhook schemas
(npm ``@octokit/webhooks-schemas``; ``webhook_schemas.validate_payload`` checks them) and ``dispatch``, which
hands a payload to every hook that GitHub would send it to (``Webhooks.recipients``).

Webhook objects are the REST ones (``rest``) with what the webhook schemas add or leave out: users carry no
``user_view_type``, repositories carry ``custom_properties``, teams no ``type`` / ``organization_id``, and in
``push`` payloads the repository's ``created_at`` / ``pushed_at`` are Unix times as GitHub sends them there.
"""
from __future__ import annotations

import calendar
import uuid
from datetime import datetime
from typing import Any

from . import rest
from .changes import Push
from .rest import Urls
from .store import Member, Org, Repo, Team, node_id
from .webhooks import Hook, Webhooks

ZEN = "Keep it logically awesome."


# --- objects ---

def user(m: Member, urls: Urls) -> dict[str, Any]:
    body = rest.simple_user(m.login, m.id, urls)
    body.pop("user_view_type")
    return body


def org_as_user(org: Org, urls: Urls) -> dict[str, Any]:
    body = rest.org_owner(org, urls)
    body.pop("user_view_type")
    return body


def organization(org: Org, urls: Urls) -> dict[str, Any]:
    return rest._org_links(org, urls)


def _epoch(value: str | None) -> int | None:
    return calendar.timegm(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").timetuple()) if value else None


def repository(repo: Repo, org: Org, urls: Urls, push: bool = False) -> dict[str, Any]:
    body = rest.minimal_repo(repo, org, urls)
    body["owner"] = org_as_user(org, urls)
    body["custom_properties"] = {}
    if push:  # the push event's own flavour of the repository
        body["owner"].update(name=org.login, email=org.email)
        body.update(created_at=_epoch(repo.created_at), pushed_at=_epoch(repo.pushed_at), stargazers=0,
                    master_branch=repo.default_branch, organization=org.login)
    return body


def _team_core(t: Team, org: Org, urls: Urls) -> dict[str, Any]:
    body = rest._team_links(t, org, urls)
    body.pop("type")
    body.pop("organization_id")
    return body


def team(t: Team, org: Org, urls: Urls) -> dict[str, Any]:
    parent = org.teams.get(t.parent.lower()) if t.parent else None
    return {**_team_core(t, org, urls), "parent": _team_core(parent, org, urls) if parent else None}


def installation(emu: Any, org: Org, urls: Urls) -> dict[str, Any]:
    body = rest.installation(emu.installation_id(org.login), emu.app.id, emu.app.slug, org, urls,
                             selection=selection(emu, org))
    body.pop("client_id")
    body["account"] = org_as_user(org, urls)
    return body


def selection(emu: Any, org: Org) -> str:
    return "all" if emu.installation_repo_ids(org.login) is None else "selected"


def hook_json(hook: Hook, urls: Urls, api_path: str, ping: bool = False) -> dict[str, Any]:
    """A hook as the REST API (``org-hook`` / ``hook``) and the ping payload show it; ``api_path`` is
    ``/orgs/{org}`` or ``/repos/{owner}/{repo}`` (or ``/app`` for the App's webhook)."""
    api = f"{urls.api}{api_path}/hooks/{hook.id}"
    config = {"url": hook.url, "content_type": hook.content_type, "insecure_ssl": hook.insecure_ssl}
    if hook.secret:
        config["secret"] = "********"  # GitHub never shows a secret back
    body = {"type": hook.kind, "id": hook.id, "name": "web", "active": hook.active, "events": list(hook.events),
            "config": config, "updated_at": hook.updated_at, "created_at": hook.created_at, "url": api,
            "ping_url": f"{api}/pings", "deliveries_url": f"{api}/deliveries"}
    if hook.kind == "Repository":
        body["test_url"] = f"{api}/test"
        unused = {"code": None, "status": "unused", "message": None}  # the ping's schema wants it untouched
        body["last_response"] = unused if ping else dict(hook.last_response)
    return body


# --- payloads ---

def _person(name: str, email: str, login: str | None) -> dict[str, Any]:
    body = {"name": name, "email": email}
    if login:
        body["username"] = login
    return body


def push_payload(push: Push, sender: dict[str, Any], pusher: Member | None, urls: Urls) -> dict[str, Any]:
    repo, org = push.repo, push.org
    html = f"{urls.html}/{repo.full_name}"
    commits = []
    for pc in push.commits:
        c = pc.commit
        person = _person(c.name, c.email, c.author)
        commits.append({
            "id": c.oid, "tree_id": pc.tree, "distinct": True, "message": c.message,
            "timestamp": c.date.replace("Z", "+00:00"), "url": f"{html}/commit/{c.oid}", "author": person,
            "committer": person, "added": list(pc.added), "removed": list(pc.removed), "modified": list(pc.modified),
        })
    if push.created:
        compare = f"{html}/compare/{push.ref.removeprefix('refs/heads/')}"
    else:
        compare = f"{html}/compare/{push.before[:12]}...{push.after[:12]}"
    who = pusher or (Member(sender["login"], None, None, "member", sender["id"]))
    return {
        "ref": push.ref, "before": push.before, "after": push.after,
        "repository": repository(repo, org, urls, push=True),
        "pusher": {"name": who.login, "email": who.email or f"{who.login}@users.noreply.github.com"},
        "organization": organization(org, urls), "sender": sender, "created": push.created, "deleted": push.deleted,
        "forced": False, "base_ref": None, "compare": compare, "commits": commits,
        "head_commit": commits[-1] if commits else None,
    }


def repository_payload(action: str, repo: Repo, org: Org, sender: dict[str, Any], urls: Urls,
                       changes: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action}
    if changes is not None:
        body["changes"] = changes
    body.update(repository=repository(repo, org, urls), organization=organization(org, urls), sender=sender)
    return body


def team_payload(action: str, t: Team, org: Org, sender: dict[str, Any], urls: Urls, repo: Repo | None = None,
                 changes: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action}
    if changes is not None:
        body["changes"] = changes
    body["team"] = team(t, org, urls)
    if repo is not None:
        body["repository"] = repository(repo, org, urls)
        granted = next((p for k, p in t.repos.items() if k.lower() == repo.name.lower()), None)
        if granted:  # the team's permissions on it, as GitHub adds them
            body["repository"]["permissions"] = rest.permissions(granted)
    body.update(organization=organization(org, urls), sender=sender)
    return body


def team_add_payload(t: Team, repo: Repo, org: Org, sender: dict[str, Any], urls: Urls) -> dict[str, Any]:
    return {"team": team(t, org, urls), "repository": repository(repo, org, urls),
            "organization": organization(org, urls), "sender": sender}


def membership_payload(action: str, t: Team, m: Member, org: Org, sender: dict[str, Any], urls: Urls) -> dict[str, Any]:
    return {"action": action, "scope": "team", "member": user(m, urls), "sender": sender, "team": team(t, org, urls),
            "organization": organization(org, urls)}


def member_payload(action: str, m: Member, repo: Repo, org: Org, sender: dict[str, Any], urls: Urls,
                   permission: str | None = None, previous: str | None = None) -> dict[str, Any]:
    """The ``member`` event: a repository collaborator added, edited or removed."""
    body: dict[str, Any] = {"action": action, "member": user(m, urls)}
    role = rest.ROLE_NAMES.get(permission or "", permission)
    if action == "added" and role in ("write", "admin"):  # the values GitHub documents for changes.permission.to
        body["changes"] = {"permission": {"to": role}}
    if action == "edited":
        body["changes"] = {"old_permission": {"from": rest.ROLE_NAMES.get(previous or "", previous or "")}}
    body.update(repository=repository(repo, org, urls), organization=organization(org, urls), sender=sender)
    return body


def organization_payload(action: str, m: Member, org: Org, sender: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """``organization`` with ``member_added`` / ``member_removed``."""
    api = f"{urls.api}/orgs/{org.login}"
    membership = {"url": f"{api}/memberships/{m.login}", "state": "active", "role": m.role,
                  "organization_url": api, "user": user(m, urls)}
    return {"action": action, "membership": membership, "organization": organization(org, urls), "sender": sender}


def installation_repositories_payload(emu: Any, action: str, org: Org, repos: list[Repo], sender: dict[str, Any],
                                      urls: Urls) -> dict[str, Any]:
    listed = [{"id": r.id, "node_id": node_id("R", r.id), "name": r.name, "full_name": r.full_name,
               "private": r.private} for r in repos]
    return {"action": action, "installation": installation(emu, org, urls), "repository_selection": selection(emu, org),
            "repositories_added": listed if action == "added" else [],
            "repositories_removed": listed if action == "removed" else [], "requester": None, "sender": sender}


def ping_payload(hook: Hook, urls: Urls, api_path: str, sender: dict[str, Any], org: Org | None = None,
                 repo: Repo | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"zen": ZEN, "hook_id": hook.id, "hook": hook_json(hook, urls, api_path, ping=True)}
    if repo is not None and org is not None:
        body["repository"] = repository(repo, org, urls)
    if org is not None:
        body["organization"] = organization(org, urls)
    body["sender"] = sender
    return body


def sender_for(emu: Any, org: Org | None, login: Any, urls: Urls) -> dict[str, Any]:
    """Who made the change: ``login`` (a user the scenario knows), else the org's first admin, else its
    first member, else the org itself."""
    if login:
        m = emu.store.user(str(login))
        if m is None:
            raise ValueError(f"sender {login!r} is not a user of the scenario")
        return user(m, urls)
    members = list(org.members.values()) if org else []
    m = next((x for x in members if x.role == "admin"), members[0] if members else None)
    if m is not None:
        return user(m, urls)
    if org is not None:
        return org_as_user(org, urls)
    raise ValueError("name a sender: the scenario has nobody to make the change")


# --- who hears of it ---

def dispatch(emu: Any, hooks: Webhooks, event: str, payload: dict[str, Any], org: Org | None,
             repo: Repo | None = None) -> list[dict[str, Any]]:
    """Queue ``payload`` for every hook GitHub would send it to, under one ``X-GitHub-Delivery`` guid;
    returns the deliveries (``Webhooks.send``)."""
    guid = str(uuid.uuid4())
    install = emu.installation_id(org.login) if org is not None and emu.app is not None else None
    visible = emu.installation_repo_ids(org.login) if org is not None else None
    app = install is not None and (event == "installation_repositories" or repo is None or visible is None
                                   or repo.id in visible)
    sent = []
    for hook in hooks.recipients(event, payload.get("action"), org.login if org else None,
                                 repo.id if repo else None, app):
        body = payload
        if hook.kind == "App" and event != "installation_repositories":
            body = {**payload, "installation": {"id": install, "node_id": node_id("MDIz", install)}}
        target_id = {"Organization": org.id if org else 0, "Repository": repo.id if repo else 0,
                     "App": emu.app.id if emu.app else 0}[hook.kind]
        sent.append(hooks.send(hook, event, body, repo_id=repo.id if repo else None,
                               installation=install if hook.kind == "App" else None, target_id=target_id, guid=guid))
    return sent
