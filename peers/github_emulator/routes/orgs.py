"""REST: organizations, their members and teams (by slug and by the numeric ids payload URLs use),
users, the authenticated user and the rate-limit overview."""
from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, request

from .. import rest
from ..rest import DOCS, error
from ..state import Identity
from ..web import emulator, not_found, paginate, rest_route, urls

bp = Blueprint("orgs", __name__)


@rest_route(bp, "/orgs/<org>")
def get_org(identity: Identity, org: str):
    o = emulator().store.org(org)
    return (200, rest.org_full(o, urls()), {}) if o else not_found(f"{DOCS}/orgs/orgs#get-an-organization")


@rest_route(bp, "/orgs/<org>/members")
def org_members(identity: Identity, org: str):
    o = emulator().store.org(org)
    if o is None:
        return not_found(f"{DOCS}/orgs/members#list-organization-members")
    role = request.args.get("role", "all")
    people = [m for m in o.members.values() if role == "all" or m.role == role]
    page, headers = paginate(people)
    return 200, [rest.member(m, urls()) for m in page], headers


@rest_route(bp, "/orgs/<org>/teams")
def org_teams(identity: Identity, org: str):
    o = emulator().store.org(org)
    if o is None:
        return not_found(f"{DOCS}/teams/teams#list-teams")
    page, headers = paginate(list(o.teams.values()))
    return 200, [rest.team(t, o, urls()) for t in page], headers


# --- one team, found by org login and slug or by org and team ids ---

def find_team(org: str, slug: str) -> tuple[Any, Any]:
    o = emulator().store.org(org)
    return (o, o.teams.get(slug.lower())) if o else (None, None)


def find_team_by_id(org_id: str, team_id: str) -> tuple[Any, Any]:
    for o in emulator().store.orgs.values():
        if str(o.id) == org_id:
            return o, next((t for t in o.teams.values() if str(t.id) == team_id), None)
    return None, None


def team_payload(o: Any, t: Any):
    return (200, rest.team_full(t, o, urls()), {}) if t else not_found(f"{DOCS}/teams/teams#get-a-team-by-name")


def team_members_payload(o: Any, t: Any):
    if t is None:
        return not_found(f"{DOCS}/teams/members#list-team-members")
    # GitHub: "Team members will include the members of child teams."
    logins = list(t.members)
    for child in o.team_descendants(t.slug):
        logins += [x for x in child.members if x.lower() not in {y.lower() for y in logins}]
    role = request.args.get("role", "all")
    people = [m for m in (emulator().store.user(x) for x in logins) if m]
    if role != "all":
        people = [m for m in people if (m.login.lower() in t.maintainers) == (role == "maintainer")]
    page, headers = paginate(people)
    return 200, [rest.member(m, urls()) for m in page], headers


def team_repos_payload(o: Any, t: Any):
    if t is None:
        return not_found(f"{DOCS}/teams/teams#list-team-repositories")
    items = [(o.repos[n.lower()], perm) for n, perm in t.repos.items() if n.lower() in o.repos]
    page, headers = paginate(items)
    return 200, [rest.minimal_repo(r, o, urls(), permission=p) for r, p in page], headers


@rest_route(bp, "/orgs/<org>/teams/<slug>")
def get_team(identity: Identity, org: str, slug: str):
    return team_payload(*find_team(org, slug))


@rest_route(bp, "/orgs/<org>/teams/<slug>/members")
def team_members(identity: Identity, org: str, slug: str):
    return team_members_payload(*find_team(org, slug))


@rest_route(bp, "/orgs/<org>/teams/<slug>/repos")
def team_repos(identity: Identity, org: str, slug: str):
    return team_repos_payload(*find_team(org, slug))


# the team URLs inside payloads (which clients such as PyGithub follow) use numeric ids
@rest_route(bp, "/organizations/<org_id>/team/<team_id>")
def get_team_by_id(identity: Identity, org_id: str, team_id: str):
    return team_payload(*find_team_by_id(org_id, team_id))


@rest_route(bp, "/organizations/<org_id>/team/<team_id>/members")
def team_members_by_id(identity: Identity, org_id: str, team_id: str):
    return team_members_payload(*find_team_by_id(org_id, team_id))


@rest_route(bp, "/organizations/<org_id>/team/<team_id>/repos")
def team_repos_by_id(identity: Identity, org_id: str, team_id: str):
    return team_repos_payload(*find_team_by_id(org_id, team_id))


# --- users and rate limit ---

@rest_route(bp, "/users/<login>")
def get_user(identity: Identity, login: str):
    store = emulator().store
    m = store.user(login)
    if m:
        return 200, rest.public_user(m, urls()), {}
    o = store.org(login)
    if o:
        return 200, {**rest.org_full(o, urls()), "user_view_type": "public"}, {}
    return not_found(f"{DOCS}/users/users#get-a-user")


@rest_route(bp, "/user")
def get_authenticated_user(identity: Identity):
    if identity.installation is not None:
        return 403, error("Resource not accessible by integration", f"{DOCS}/users/users", 403), {}
    m = emulator().store.user(identity.login or "")
    return (200, rest.public_user(m, urls()), {}) if m else not_found(f"{DOCS}/users/users")


@rest_route(bp, "/rate_limit", charge=False)  # GitHub does not count this one
def rate_limit(identity: Identity):
    emu = emulator()
    core, graphql = emu.budget(identity, "core"), emu.budget(identity, "graphql")
    # search is not served; GitHub's document requires it, so report its untouched budget
    search = {"limit": 30, "used": 0, "remaining": 30, "reset": int(time.time()) + 60, "resource": "search"}
    return 200, rest.rate_limit_overview({"core": core.as_json("core"), "search": search,
                                          "graphql": graphql.as_json("graphql")}), {}
