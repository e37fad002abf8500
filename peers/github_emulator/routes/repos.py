"""REST: an organization's repositories, one repository, its languages, topics, commits, branches and
collaborators. An installation token sees only the repositories its installation was given
(``/_emulator/installation/repositories``)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from .. import rest
from ..changes import at_ref
from ..rest import DOCS, error
from ..state import Identity
from ..store import PERMISSIONS, iso
from ..web import emulator, not_found, paginate, rest_route, urls

bp = Blueprint("repos", __name__)


def find_repo(owner: str, name: str) -> tuple[Any, Any]:
    store = emulator().store
    return store.org(owner), store.repo(owner, name)


def hidden(identity: Identity, org: Any, repo: Any) -> bool:
    """Whether an installation token may not see ``repo`` (its installation has a repository selection)."""
    if identity.installation is None or org is None:
        return False
    visible = emulator().installation_repo_ids(org.login)
    return visible is not None and repo.id not in visible


@rest_route(bp, "/orgs/<org>/repos")
def org_repos(identity: Identity, org: str):
    o = emulator().store.org(org)
    if o is None:
        return not_found(f"{DOCS}/repos/repos#list-organization-repositories")
    kind = request.args.get("type", "all")
    keep = {"all": lambda r: True, "member": lambda r: True, "public": lambda r: not r.private,
            "private": lambda r: r.private, "forks": lambda r: r.fork, "sources": lambda r: not r.fork}
    if kind not in keep:
        return 422, error("Validation Failed", f"{DOCS}/repos/repos#list-organization-repositories", 422), {}
    items = [r for r in o.repos.values() if keep[kind](r) and not hidden(identity, o, r)]
    sort = request.args.get("sort", "created")
    direction = request.args.get("direction", "asc" if sort == "full_name" else "desc")
    keys = {"created": lambda r: (r.created_at, r.index), "updated": lambda r: (r.updated_at, r.index),
            "pushed": lambda r: (r.pushed_at or "", r.index), "full_name": lambda r: r.full_name.lower()}
    items.sort(key=keys.get(sort, keys["created"]), reverse=direction == "desc")
    page, headers = paginate(items)
    return 200, [rest.minimal_repo(r, o, urls()) for r in page], headers


@rest_route(bp, "/repos/<owner>/<name>")
def get_repo(identity: Identity, owner: str, name: str):
    o, r = find_repo(owner, name)
    if r is None or hidden(identity, o, r):
        return not_found(f"{DOCS}/repos/repos#get-a-repository")
    return 200, rest.full_repo(r, o, urls()), {}


@rest_route(bp, "/repos/<owner>/<name>/languages")
def repo_languages(identity: Identity, owner: str, name: str):
    o, r = find_repo(owner, name)
    return (200, dict(r.languages), {}) if r else not_found(f"{DOCS}/repos/repos#list-repository-languages")


@rest_route(bp, "/repos/<owner>/<name>/topics")
def repo_topics(identity: Identity, owner: str, name: str):
    o, r = find_repo(owner, name)
    return (200, {"names": list(r.topics)}, {}) if r else not_found(f"{DOCS}/repos/repos#get-all-repository-topics")


@rest_route(bp, "/repos/<owner>/<name>/commits")
def repo_commits(identity: Identity, owner: str, name: str):
    doc = f"{DOCS}/commits/commits#list-commits"
    o, r = find_repo(owner, name)
    if r is None:
        return not_found(doc)
    if not r.commits:
        return 409, error("Git Repository is empty.", doc, 409), {}
    sha = request.args.get("sha")
    view = at_ref(r, sha)
    if view is None:
        return 404, error(f"No commit found for SHA: {sha}", doc, 404), {}
    r = view
    indexed = list(enumerate(r.commits))
    for arg, keep in (("since", lambda c, v: c.date >= v), ("until", lambda c, v: c.date <= v)):
        if request.args.get(arg):
            try:
                value = iso(request.args[arg]) or ""
            except ValueError:
                return 400, error(f"Invalid time: {request.args[arg]}", doc, 400), {}
            indexed = [(i, c) for i, c in indexed if keep(c, value)]
    if request.args.get("author"):
        who = request.args["author"].lower()
        indexed = [(i, c) for i, c in indexed if who in ((c.author or "").lower(), c.email.lower())]
    if request.args.get("path") and r.entry(request.args["path"]) is None:
        indexed = []  # which commits touched a path is unknown; a path that does not exist has none
    page, headers = paginate(indexed)
    users = emulator().store.users
    body = [rest.commit(r, c, r.commits[i + 1] if i + 1 < len(r.commits) else None, users, urls())
            for i, c in page]
    return 200, body, headers


@rest_route(bp, "/repos/<owner>/<name>/branches")
def repo_branches(identity: Identity, owner: str, name: str):
    """The default branch and any pushed through the control API, by name (none in an empty repository);
    no protection."""
    o, r = find_repo(owner, name)
    if r is None:
        return not_found(f"{DOCS}/branches/branches#list-branches")
    heads = [(b.name, b.commits[0].oid) for b in r.branches.values() if b.commits]
    if r.commits and not r.is_empty:
        heads.append((r.default_branch, r.commits[0].oid))
    if request.args.get("protected", "").lower() == "true":
        heads = []
    items = [{"name": branch, "protected": False,
              "commit": {"sha": head, "url": f"{urls().api}/repos/{r.full_name}/commits/{head}"}}
             for branch, head in sorted(heads)]
    page, headers = paginate(items)
    return 200, page, headers


@rest_route(bp, "/repos/<owner>/<name>/collaborators")
def repo_collaborators(identity: Identity, owner: str, name: str):
    """Direct collaborators (``affiliation=direct``), those outside the org (``outside``), or with ``all``
    (the default) also org owners (admin) and the members of teams with access (and of their child teams),
    each at their highest permission. The org's base permission is not modelled."""
    doc = f"{DOCS}/collaborators/collaborators#list-repository-collaborators"
    o, r = find_repo(owner, name)
    if r is None:
        return not_found(doc)
    affiliation = request.args.get("affiliation", "all")
    if affiliation not in ("all", "direct", "outside"):
        return 422, error("Validation Failed", doc, 422), {}
    store, best = emulator().store, {}

    def grant(login: str, permission: str) -> None:
        user = store.user(login)
        key = login.lower()
        if user and (key not in best or PERMISSIONS.index(permission) > PERMISSIONS.index(best[key][1])):
            best[key] = (user, permission)

    for login, permission in r.collaborators.items():
        if affiliation != "outside" or login.lower() not in o.members:
            grant(login, permission)
    if affiliation == "all":
        for m in o.members.values():
            if m.role == "admin":
                grant(m.login, "admin")
        for team in o.teams.values():
            permission = next((p for k, p in team.repos.items() if k.lower() == r.name.lower()), None)
            if permission:
                for t in [team, *o.team_descendants(team.slug)]:
                    for login in t.members:
                        grant(login, permission)
    page, headers = paginate(sorted(best.values(), key=lambda up: up[0].login.lower()))
    return 200, [{**rest.member(m, urls()), "permissions": rest.permissions(p), "role_name": rest.ROLE_NAMES[p]}
                 for m, p in page], headers
