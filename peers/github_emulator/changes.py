"""Changes to the store as a real org makes them: pushes (to any branch), repositories created, renamed,
archived, edited, transferred and deleted, teams and their members and repositories, org members and
repository collaborators.

Each function changes the store under ``Store.lock`` the store's way (new objects swapped in, none edited
in place, so a request in flight keeps reading the state it started with) and returns what the webhook
payloads need (``webhook_events``). Bad input raises ``ValueError`` with a message that says what to fix.
Ids stay with the object as on GitHub: a renamed or transferred repository keeps its id, and commits keep
their oids (an oid hashes its parent, tree, author, date and message, not the repository's name).
"""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

from .store import (
    PERMISSIONS, Branch, Commit, Member, Org, Repo, Store, Team, _commits, _file_bytes, _repo, _tree, iso, now_iso,
    stable_id,
)

ZERO = "0" * 40
REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
BRANCH_NAME = re.compile(r"^(?!/)(?!.*(?:\.\.|//|@\{|\.lock$|/$|\.$))[A-Za-z0-9._/-]{1,250}$")
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
MAX_COMMITS = 100  # per push, to keep one control call small


@dataclass(frozen=True)
class PushedCommit:
    commit: Commit
    tree: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    modified: tuple[str, ...]


@dataclass(frozen=True)
class Push:
    repo: Repo  # after the push
    org: Org
    ref: str
    before: str
    after: str
    created: bool
    deleted: bool
    commits: tuple[PushedCommit, ...]  # oldest first, as GitHub lists them


# --- lookups that explain what is missing ---

def org_of(store: Store, login: str) -> Org:
    org = store.org(str(login))
    if org is None:
        raise ValueError(f"no organization {login!r} in the scenario")
    return org


def repo_of(store: Store, full_name: str) -> tuple[Org, Repo]:
    owner, _, name = str(full_name).partition("/")
    org = org_of(store, owner)
    repo = org.repos.get(name.lower())
    if repo is None:
        raise ValueError(f"no repository {full_name!r} in the scenario")
    return org, repo


def team_of(org: Org, slug: str) -> Team:
    team = org.teams.get(str(slug).lower())
    if team is None:
        raise ValueError(f"no team {slug!r} in {org.login}")
    return team


def member_of(org: Org, login: str) -> Member:
    member = org.members.get(str(login).lower())
    if member is None:
        raise ValueError(f"{login!r} is not a member of {org.login}; add them to the org first")
    return member


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not REPO_NAME.match(name) or name in (".", ".."):
        raise ValueError("a repository name is 1-100 letters, digits, '.', '-' or '_'")
    return name


def _put_repo(org: Org, repo: Repo, old_key: str | None = None) -> None:
    """Swap ``repo`` in (at ``old_key``'s place when renaming), keeping declaration order."""
    repos = {}
    for key, value in org.repos.items():
        repos[repo.name.lower() if key == old_key else key] = repo if key == old_key else value
    if old_key is None:
        repos[repo.name.lower()] = repo
    org.repos = repos


def _set_team_repos(org: Org, change: Any) -> None:
    """Replace every team whose repository map ``change(team.repos)`` alters."""
    teams = {}
    for key, team in org.teams.items():
        new = change(dict(team.repos))
        teams[key] = team if new == team.repos else replace(team, repos=new)
    org.teams = teams


# --- pushes ---

def _commit(repo: Repo, raw: dict[str, Any], parent: str, tree: str, when: str, members: dict[str, Member]) -> Commit:
    raw = {"date": when, "message": "Update files", **raw}
    if raw.get("author") is None and not raw.get("name"):
        raw.update(name="Roster Emulator", email="emulator@localhost")
    base = _commits(repo.full_name, [raw], members)[0]
    oid = hashlib.sha1(f"commit\n{parent}\n{tree}\n{base.login}\n{base.date}\n{base.message}".encode()).hexdigest()
    return replace(base, oid=oid)


def push(store: Store, full_name: str, files: dict[str, Any] | None = None, deleted: list[str] | None = None,
         commits: list[dict[str, Any]] | None = None, pushed_at: str | None = None, branch: str | None = None,
         delete_branch: bool = False) -> Push | Repo:
    """Push to ``branch`` (default: the default branch; a new name creates it from the default branch's head).

    ``commits`` are newest first (as ``/_emulator/push`` always took them); each may carry its own ``files``
    and ``deleted``; the top-level ``files`` / ``deleted`` belong to the newest commit, which is made up
    when none is named. A push with no files and no commits only moves ``pushed_at`` (as before) and
    returns the repo: there is nothing for a push event to say.
    """
    if files is not None and not isinstance(files, dict):
        raise ValueError("files must map paths to contents")
    if deleted is not None and not isinstance(deleted, list):
        raise ValueError("deleted must be a list of paths")
    if commits is not None and (not isinstance(commits, list) or not all(isinstance(c, dict) for c in commits)):
        raise ValueError("commits must be a list of objects (newest first)")
    if len(commits or ()) > MAX_COMMITS:
        raise ValueError(f"at most {MAX_COMMITS} commits per push")
    with store.lock:
        org, repo = repo_of(store, full_name)
        if repo.archived:
            raise ValueError(f"{repo.full_name} is archived: GitHub refuses pushes to an archived repository")
        name = str(branch or repo.default_branch)
        if not BRANCH_NAME.match(name):
            raise ValueError(f"invalid branch name {name!r}")
        when = iso(pushed_at) or now_iso()
        on_default = name == repo.default_branch
        existing = None if on_default else repo.branches.get(name)
        if delete_branch:
            if on_default or existing is None:
                raise ValueError(f"cannot delete branch {name!r}: it is the default branch or does not exist")
            updated = replace(repo, branches={k: v for k, v in repo.branches.items() if k != name})
            _put_repo(org, updated, repo.name.lower())
            return Push(updated, org, f"refs/heads/{name}", existing.commits[0].oid, ZERO, False, True, ())
        if not files and not deleted and not commits and (on_default or existing):
            updated = replace(repo, pushed_at=when, updated_at=when)
            _put_repo(org, updated, repo.name.lower())
            return updated
        head_commits, head_files = ((repo.commits, repo.files) if on_default or existing is None
                                    else (existing.commits, existing.files))
        before = head_commits[0].oid if head_commits else ZERO
        raw = [dict(c) for c in reversed(commits or [])] or [{}]  # oldest first
        raw[-1] = {**raw[-1], "files": {**(raw[-1].get("files") or {}), **(files or {})},
                   "deleted": list(raw[-1].get("deleted") or []) + list(deleted or [])}
        current, parent, pushed = dict(head_files), before, []
        for entry in raw:
            changed = {str(p).strip("/"): _file_bytes(v) for p, v in (entry.pop("files", None) or {}).items()}
            gone = [str(p).strip("/") for p in entry.pop("deleted", None) or () if str(p).strip("/") in current]
            added = tuple(p for p in changed if p not in current)
            modified = tuple(p for p in changed if p in current and current[p] != changed[p])
            current.update(changed)
            for path in gone:
                current.pop(path, None)
            tree = _tree(current)
            commit = _commit(repo, entry, parent, tree["root_sha"], when, org.members)
            pushed.append(PushedCommit(commit, tree["root_sha"], added, tuple(gone), modified))
            parent = commit.oid
        new_commits = tuple(p.commit for p in reversed(pushed)) + head_commits
        if on_default:
            updated = replace(repo, **_tree(current), commits=new_commits, pushed_at=when, updated_at=when)
        else:
            tree = _tree(current)
            new_branch = Branch(name, new_commits, tree["files"], tree["dirs"], tree["root_sha"])
            updated = replace(repo, branches={**repo.branches, name: new_branch}, pushed_at=when, updated_at=when)
        _put_repo(org, updated, repo.name.lower())
        created = (not on_default and existing is None) or not head_commits  # a new branch, or a first push
        return Push(updated, org, f"refs/heads/{name}", ZERO if created else before, parent, created, False,
                    tuple(pushed))


# --- repositories ---

def create_repo(store: Store, org_login: str, name: Any, description: Any = None, private: Any = True,
                topics: Any = None, default_branch: Any = "main", files: Any = None) -> tuple[Org, Repo]:
    _check_name(name)
    topics = _check_topics(topics or [])
    with store.lock:
        org = org_of(store, org_login)
        if name.lower() in org.repos:
            raise ValueError(f"{org.login}/{name} already exists")
        when = now_iso()
        raw = {"name": name, "description": description, "visibility": "private" if private else "public",
               "topics": topics, "default_branch": default_branch or "main", "files": files or {},
               "commits": [{"author": None, "date": when, "message": "Initial commit"}] if files else [],
               "created_at": when, "updated_at": when}
        # a new repository gets a new id, even under the name of one deleted before
        repo = replace(_repo(org.login, raw, len(org.repos), org.members), id=stable_id("repo", uuid.uuid4().hex))
        _put_repo(org, repo)
        return org, repo


def _check_topics(topics: Any) -> list[str]:
    if not isinstance(topics, list) or len(topics) > 20 or not all(isinstance(t, str) and TOPIC.match(t)
                                                                   for t in topics):
        raise ValueError("topics: at most 20, each lowercase letters, digits and '-', up to 50 characters")
    return list(dict.fromkeys(topics))


def rename_repo(store: Store, full_name: str, new_name: Any) -> tuple[Org, Repo, str]:
    """Returns (org, renamed repo, old name)."""
    _check_name(new_name)
    with store.lock:
        org, repo = repo_of(store, full_name)
        if new_name.lower() in org.repos and new_name.lower() != repo.name.lower():
            raise ValueError(f"{org.login}/{new_name} already exists")
        old = repo.name
        updated = replace(repo, name=new_name, updated_at=now_iso())
        _put_repo(org, updated, old.lower())
        _set_team_repos(org, lambda repos: {(new_name if k.lower() == old.lower() else k): v for k, v in repos.items()})
        return org, updated, old


def set_archived(store: Store, full_name: str, archived: bool) -> tuple[Org, Repo, bool]:
    """Returns (org, repo, whether it changed)."""
    with store.lock:
        org, repo = repo_of(store, full_name)
        if repo.archived == archived:
            return org, repo, False
        updated = replace(repo, archived=archived, updated_at=now_iso())
        _put_repo(org, updated, repo.name.lower())
        return org, updated, True


def edit_repo(store: Store, full_name: str, body: dict[str, Any]) -> tuple[Org, Repo, list[tuple[str, dict]]]:
    """Edit description, topics, default_branch and visibility. Returns (org, repo, [(action, changes)]):
    ``edited`` with GitHub's ``changes`` (``{"description": {"from": ...}}``), ``privatized`` or ``publicized``."""
    unknown = set(body) - {"description", "topics", "default_branch", "visibility", "private", "sender"}
    if unknown:
        raise ValueError(f"cannot edit {sorted(unknown)}; editable: description, topics, default_branch, visibility")
    with store.lock:
        org, repo = repo_of(store, full_name)
        changes: dict[str, Any] = {}
        new: dict[str, Any] = {}
        if "description" in body and (body["description"] or None) != repo.description:
            if body["description"] is not None and not isinstance(body["description"], str):
                raise ValueError("description must be a string or null")
            changes["description"] = {"from": repo.description}
            new["description"] = body["description"] or None
        if "topics" in body:
            topics = tuple(_check_topics(body["topics"]))
            if topics != repo.topics:
                changes["topics"] = {"from": list(repo.topics)}
                new["topics"] = topics
        if "default_branch" in body and body["default_branch"] != repo.default_branch:
            target = repo.branches.get(str(body["default_branch"]))
            if target is None:
                raise ValueError(f"no branch {body['default_branch']!r} in {repo.full_name}; push to it first")
            old = Branch(repo.default_branch, repo.commits, repo.files, repo.dirs, repo.root_sha)
            branches = {k: v for k, v in repo.branches.items() if k != target.name}
            branches[old.name] = old
            changes["default_branch"] = {"from": repo.default_branch}
            new.update(default_branch=target.name, commits=target.commits, files=target.files, dirs=target.dirs,
                       root_sha=target.root_sha, branches=branches)
        events = [("edited", changes)] if changes else []
        private = body.get("private")
        if "visibility" in body:
            if body["visibility"] not in ("public", "private"):
                raise ValueError("visibility must be public or private")
            private = body["visibility"] == "private"
        if private is not None and bool(private) != repo.private:
            new["private"] = bool(private)
            events.append(("privatized" if private else "publicized", {}))
        if not events:
            return org, repo, []
        updated = replace(repo, **new, updated_at=now_iso())
        _put_repo(org, updated, repo.name.lower())
        return org, updated, events


def transfer_repo(store: Store, full_name: str, new_owner: Any) -> tuple[Org, Org, Repo]:
    """Move a repository to another org of the scenario. Returns (old org, new org, repo)."""
    with store.lock:
        old_org, repo = repo_of(store, full_name)
        new_org = org_of(store, str(new_owner))
        if new_org is old_org:
            raise ValueError(f"{repo.full_name} already belongs to {new_org.login}")
        if repo.name.lower() in new_org.repos:
            raise ValueError(f"{new_org.login}/{repo.name} already exists")
        moved = replace(repo, owner=new_org.login, index=len(new_org.repos), updated_at=now_iso())
        old_org.repos = {k: v for k, v in old_org.repos.items() if k != repo.name.lower()}
        _set_team_repos(old_org, lambda repos: {k: v for k, v in repos.items() if k.lower() != repo.name.lower()})
        _put_repo(new_org, moved)
        return old_org, new_org, moved


def delete_repo(store: Store, full_name: str) -> tuple[Org, Repo]:
    with store.lock:
        org, repo = repo_of(store, full_name)
        org.repos = {k: v for k, v in org.repos.items() if k != repo.name.lower()}
        _set_team_repos(org, lambda repos: {k: v for k, v in repos.items() if k.lower() != repo.name.lower()})
        return org, repo


# --- org members and repository collaborators ---

def add_org_member(store: Store, org_login: str, login: Any, role: Any = "member", name: Any = None,
                   email: Any = None) -> tuple[Org, Member, bool]:
    """Returns (org, member, whether they are new to the org)."""
    if not isinstance(login, str) or not LOGIN.match(login):
        raise ValueError("a login is up to 39 letters, digits and single dashes")
    if role not in ("member", "admin"):
        raise ValueError("role must be member or admin")
    with store.lock:
        org = org_of(store, org_login)
        known = store.users.get(login.lower())
        existing = org.members.get(login.lower())
        member = Member(login=(known or existing).login if (known or existing) else login,
                        name=name or (known.name if known else None), email=email or (known.email if known else None),
                        role=role, id=known.id if known else stable_id("user", login))
        org.members = {**org.members, login.lower(): member}
        store.users = {**store.users, login.lower(): store.users.get(login.lower()) or member}
        return org, member, existing is None


def remove_org_member(store: Store, org_login: str, login: str) -> tuple[Org, Member]:
    """Remove someone from the org and from its teams (GitHub does both)."""
    with store.lock:
        org = org_of(store, org_login)
        member = member_of(org, login)
        org.members = {k: v for k, v in org.members.items() if k != login.lower()}
        org.teams = {k: _without_member(t, login) for k, t in org.teams.items()}
        return org, member


def _without_member(team: Team, login: str) -> Team:
    if login.lower() not in {m.lower() for m in team.members}:
        return team
    return replace(team, members=tuple(m for m in team.members if m.lower() != login.lower()),
                   maintainers=team.maintainers - {login.lower()})


def set_collaborator(store: Store, full_name: str, login: Any,
                     permission: Any = "push") -> tuple[Org, Repo, Member, str | None]:
    """Add a direct collaborator (accepted at once) or change their permission.
    Returns (org, repo, user, previous permission or None)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"permission must be one of {list(PERMISSIONS)}")
    if not isinstance(login, str) or not LOGIN.match(login):
        raise ValueError("a login is up to 39 letters, digits and single dashes")
    with store.lock:
        org, repo = repo_of(store, full_name)
        user = store.users.get(login.lower())
        if user is None:  # an outside collaborator GitHub knows but the scenario does not
            user = Member(login=login, name=None, email=None, role="member", id=stable_id("user", login))
            store.users = {**store.users, login.lower(): user}
        previous = next((p for k, p in repo.collaborators.items() if k.lower() == login.lower()), None)
        updated = replace(repo, collaborators={**{k: v for k, v in repo.collaborators.items()
                                                  if k.lower() != login.lower()}, user.login: permission})
        _put_repo(org, updated, repo.name.lower())
        return org, updated, user, previous


def remove_collaborator(store: Store, full_name: str, login: str) -> tuple[Org, Repo, Member]:
    with store.lock:
        org, repo = repo_of(store, full_name)
        if not any(k.lower() == login.lower() for k in repo.collaborators):
            raise ValueError(f"{login!r} is not a collaborator on {repo.full_name}")
        kept = {k: v for k, v in repo.collaborators.items() if k.lower() != login.lower()}
        updated = replace(repo, collaborators=kept)
        _put_repo(org, updated, repo.name.lower())
        user = store.users.get(login.lower()) or Member(login, None, None, "member", stable_id("user", login))
        return org, updated, user


# --- the GitHub App installation's repository selection ---

def select_installation_repos(emu: Any, org_login: str, add: Any = None, remove: Any = None,
                              select_all: bool = False) -> tuple[Org, list[Repo], list[Repo], str]:
    """Add repositories to, or remove them from, the app's installation on an org (``select_all``: back to
    every repository). Returns (org, added, removed, the new repository_selection)."""
    if emu.app is None:
        raise ValueError("no GitHub App is configured; POST /_emulator/app first")
    for value, what in ((add, "add"), (remove, "remove")):
        if value is not None and (not isinstance(value, list) or not all(isinstance(x, str) for x in value)):
            raise ValueError(f"{what} must be a list of repository names")
    store = emu.store
    with store.lock:
        org = org_of(store, org_login)
        if emu.installation_id(org.login) is None:
            raise ValueError(f"the app is not installed on {org.login}")
        every = {r.id: r for r in org.repos.values()}
        before = emu.app.selected.get(org.login.lower())
        seen = set(every) if before is None else set(before) & set(every)
        named = {}
        for name in (add or []) + (remove or []):
            repo = org.repos.get(name.lower())
            if repo is None:
                raise ValueError(f"no repository {org.login}/{name}")
            named[name] = repo
        gained, lost = {named[n].id for n in add or []}, {named[n].id for n in remove or []}
        now = set(every) if select_all else (seen | gained) - lost
        selected = dict(emu.app.selected)
        if select_all:
            selected.pop(org.login.lower(), None)
        else:
            selected[org.login.lower()] = frozenset(now)
        emu.app = replace(emu.app, selected=selected)
        added = [every[i] for i in every if i in now - seen]
        removed = [every[i] for i in every if i in seen - now]
        return org, added, removed, "all" if select_all else "selected"


def at_ref(repo: Repo, ref: str | None) -> Repo | None:
    """The repository as of ``ref`` (a branch name, ``refs/heads/<name>``, ``HEAD`` or a branch head's
    oid, 7 characters or more): itself for the default branch, a view with that branch's commits and files
    (and it as ``default_branch``, so links in payloads name it) for another, None for an unknown ref."""
    if not ref or ref in ("HEAD", repo.default_branch, f"refs/heads/{repo.default_branch}"):
        return repo
    branch = repo.branches.get(ref.removeprefix("refs/heads/"))
    if branch is None and len(ref) >= 7:
        if repo.commits and repo.commits[0].oid.startswith(ref):
            return repo
        branch = next((b for b in repo.branches.values() if b.commits and b.commits[0].oid.startswith(ref)), None)
    if branch is None:
        return None
    return replace(repo, default_branch=branch.name, commits=branch.commits, files=branch.files, dirs=branch.dirs,
                   root_sha=branch.root_sha)
