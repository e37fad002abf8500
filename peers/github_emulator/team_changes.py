"""Changes to teams as GitHub makes them: create, edit (a new name gives a new slug), delete (with the
child teams, as GitHub deletes them), members in and out, repositories in, out or at a new permission.
Same conventions as ``changes``: under ``Store.lock``, new objects swapped in, ``ValueError`` for bad input.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Any

from .changes import member_of, org_of, team_of
from .store import PERMISSIONS, Member, Org, Store, Team, stable_id


def slugify(name: str) -> str:
    """GitHub's team slug: lowercase, runs of anything but letters and digits become one dash."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 255 or not slugify(name):
        raise ValueError("a team name needs at least one letter or digit (up to 255 characters)")
    return name.strip()


def _check_parent(org: Org, parent: Any, slug: str | None = None) -> str | None:
    if parent in (None, ""):
        return None
    team = team_of(org, str(parent))
    if slug and (team.slug.lower() == slug.lower() or team in org.team_descendants(slug)):
        raise ValueError(f"{team.slug} cannot be the parent of {slug}: that would make a cycle")
    return team.slug


def create_team(store: Store, org_login: str, name: Any, description: Any = "", parent: Any = None,
                members: Any = None, maintainers: Any = None, repos: Any = None) -> tuple[Org, Team]:
    name = _check_name(name)
    slug = slugify(name)
    with store.lock:
        org = org_of(store, org_login)
        if slug in org.teams or any(t.name.lower() == name.lower() for t in org.teams.values()):
            raise ValueError(f"a team named {name!r} (slug {slug}) already exists in {org.login}")
        people = [member_of(org, x).login for x in members or []]
        leads = {member_of(org, x).login.lower() for x in maintainers or []}
        people += [org.members[x].login for x in sorted(leads) if x not in {p.lower() for p in people}]
        repo_perms = _check_repos(org, repos or {})
        # a new team gets a new id, even under the slug of one deleted before
        team = Team(slug=slug, name=name, description=str(description or ""), parent=_check_parent(org, parent),
                    members=tuple(people), maintainers=frozenset(leads), repos=repo_perms,
                    id=stable_id("team", uuid.uuid4().hex))
        org.teams = {**org.teams, slug: team}
        return org, team


def _check_repos(org: Org, repos: Any) -> dict[str, str]:
    if not isinstance(repos, dict):
        raise ValueError("repos must map repository names to permissions")
    out = {}
    for name, permission in repos.items():
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {list(PERMISSIONS)}")
        repo = org.repos.get(str(name).lower())
        if repo is None:
            raise ValueError(f"no repository {org.login}/{name}")
        out[repo.name] = permission
    return out


def edit_team(store: Store, org_login: str, slug: str, body: dict[str, Any]) -> tuple[Org, Team, dict[str, Any]]:
    """Edit name, description or parent. Returns (org, team, GitHub's ``changes``)."""
    unknown = set(body) - {"name", "description", "parent", "sender"}
    if unknown:
        raise ValueError(f"cannot edit {sorted(unknown)}; editable: name, description, parent")
    with store.lock:
        org = org_of(store, org_login)
        team = team_of(org, slug)
        changes: dict[str, Any] = {}
        new: dict[str, Any] = {}
        if "name" in body and body["name"] != team.name:
            name = _check_name(body["name"])
            new_slug = slugify(name)
            if new_slug != team.slug.lower() and new_slug in org.teams:
                raise ValueError(f"a team with slug {new_slug} already exists in {org.login}")
            changes["name"] = {"from": team.name}
            new.update(name=name, slug=new_slug)
        if "description" in body and (body["description"] or "") != team.description:
            changes["description"] = {"from": team.description}
            new["description"] = str(body["description"] or "")
        if "parent" in body:
            parent = _check_parent(org, body["parent"], team.slug)
            if (parent or "").lower() != (team.parent or "").lower():
                new["parent"] = parent
        if not new:
            return org, team, {}
        updated = replace(team, **new)
        teams = {}
        for key, value in org.teams.items():
            if key == team.slug.lower():
                teams[updated.slug.lower()] = updated
            elif value.parent and value.parent.lower() == team.slug.lower() and updated.slug != team.slug:
                teams[key] = replace(value, parent=updated.slug)  # children follow the new slug
            else:
                teams[key] = value
        org.teams = teams
        return org, updated, changes


def delete_team(store: Store, org_login: str, slug: str) -> tuple[Org, list[Team]]:
    """Delete a team and its descendants. Returns (org, deleted teams, children first)."""
    with store.lock:
        org = org_of(store, org_login)
        team = team_of(org, slug)
        gone = list(reversed(org.team_descendants(team.slug))) + [team]
        keys = {t.slug.lower() for t in gone}
        org.teams = {k: v for k, v in org.teams.items() if k not in keys}
        return org, gone


def set_team_member(store: Store, org_login: str, slug: str, login: str,
                    role: Any = "member") -> tuple[Org, Team, Member, bool]:
    """Add someone (an org member) to a team, or change their team role. Returns (org, team, member, added)."""
    if role not in ("member", "maintainer"):
        raise ValueError("role must be member or maintainer")
    with store.lock:
        org = org_of(store, org_login)
        team = team_of(org, slug)
        member = member_of(org, login)
        added = member.login.lower() not in {m.lower() for m in team.members}
        key = member.login.lower()
        leads = team.maintainers | {key} if role == "maintainer" else team.maintainers - {key}
        updated = replace(team, members=team.members + ((member.login,) if added else ()), maintainers=leads)
        org.teams = {**org.teams, team.slug.lower(): updated}
        return org, updated, member, added


def remove_team_member(store: Store, org_login: str, slug: str, login: str) -> tuple[Org, Team, Member]:
    with store.lock:
        org = org_of(store, org_login)
        team = team_of(org, slug)
        member = member_of(org, login)
        if member.login.lower() not in {m.lower() for m in team.members}:
            raise ValueError(f"{login!r} is not a member of team {team.slug}")
        updated = replace(team, members=tuple(m for m in team.members if m.lower() != member.login.lower()),
                          maintainers=team.maintainers - {member.login.lower()})
        org.teams = {**org.teams, team.slug.lower(): updated}
        return org, updated, member


def set_team_repo(store: Store, org_login: str, slug: str, repo_name: str,
                  permission: Any = "push") -> tuple[Org, Team, Any, str | None]:
    """Give a team access to a repository, or a new permission on it.
    Returns (org, team, repo, the previous permission or None when the team had no access)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"permission must be one of {list(PERMISSIONS)}")
    with store.lock:
        org = org_of(store, org_login)
        team = team_of(org, slug)
        repo = org.repos.get(repo_name.lower())
        if repo is None:
            raise ValueError(f"no repository {org.login}/{repo_name}")
        previous = next((p for k, p in team.repos.items() if k.lower() == repo.name.lower()), None)
        repos = {k: v for k, v in team.repos.items() if k.lower() != repo.name.lower()}
        updated = replace(team, repos={**repos, repo.name: permission})
        org.teams = {**org.teams, team.slug.lower(): updated}
        return org, updated, repo, previous


def remove_team_repo(store: Store, org_login: str, slug: str, repo_name: str) -> tuple[Org, Team, Any]:
    with store.lock:
        org = org_of(store, org_login)
        team = team_of(org, slug)
        repo = org.repos.get(repo_name.lower())
        if repo is None or not any(k.lower() == repo.name.lower() for k in team.repos):
            raise ValueError(f"team {team.slug} has no access to {org.login}/{repo_name}")
        updated = replace(team, repos={k: v for k, v in team.repos.items() if k.lower() != repo.name.lower()})
        org.teams = {**org.teams, team.slug.lower(): updated}
        return org, updated, repo
