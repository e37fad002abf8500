"""The GitHub part of a scenario, held in memory in the shapes both APIs serve from.

Objects are replaced, never edited in place: a request reads whatever ``Store.orgs`` pointed to
when it started, and writers (scenario reload, ``/_emulator/push``) swap in new objects under
``Store.lock``. Lookups are case-insensitive like GitHub's.
"""
from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from .deploy_history import Deployment, WorkflowRun, build_deploy_history

# Creation date for things the scenario gives none for (orgs, teams, users, repos without commits).
EPOCH = "2020-01-01T00:00:00Z"
PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def stable_id(kind: str, key: str) -> int:
    """A positive database id that stays the same for the same object across runs."""
    return int.from_bytes(hashlib.sha1(f"{kind}:{key.lower()}".encode()).digest()[:4], "big") % 900_000_000 + 1000


def node_id(prefix: str, db_id: int) -> str:
    """GitHub's next-generation global id shape, e.g. ``R_kgDOB3xQ1w``."""
    return f"{prefix}_kgDO" + base64.urlsafe_b64encode(db_id.to_bytes(4, "big")).decode().rstrip("=")


def iso(value: Any) -> str | None:
    """Normalise a YAML timestamp (str or datetime) to GitHub's ``2026-10-01T12:00:00Z``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        dt = dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_binary(data: bytes) -> bool:
    """Git's heuristic: a NUL byte in the first 8000 bytes, or bytes that are not UTF-8."""
    if b"\0" in data[:8000]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@dataclass(frozen=True)
class Member:
    login: str
    name: str | None
    email: str | None
    role: str  # "admin" | "member"
    id: int


@dataclass(frozen=True)
class Team:
    slug: str
    name: str
    description: str
    parent: str | None
    members: tuple[str, ...]
    maintainers: frozenset[str]
    repos: dict[str, str]  # repo name -> pull | triage | push | maintain | admin
    id: int


@dataclass(frozen=True)
class Commit:
    oid: str
    login: str | None  # the author as the scenario names it
    author: str | None  # that author's member login, or None for an author with no GitHub account
    name: str
    email: str
    date: str
    message: str


@dataclass(frozen=True)
class TreeEntry:
    name: str
    path: str
    is_dir: bool
    sha: str
    size: int


@dataclass(frozen=True)
class Branch:
    """A branch besides the default one (pushed through the control API): its commits and files."""
    name: str
    commits: tuple[Commit, ...]  # newest first
    files: dict[str, bytes]
    dirs: dict[str, tuple[TreeEntry, ...]] = field(default_factory=dict)
    root_sha: str = EMPTY_TREE


@dataclass(frozen=True)
class Repo:
    owner: str
    name: str
    description: str | None
    language: str | None
    languages: dict[str, int]  # largest first, as GitHub lists them
    topics: tuple[str, ...]
    archived: bool
    fork: bool
    private: bool
    default_branch: str
    pushed_at: str | None
    created_at: str
    updated_at: str
    files: dict[str, bytes]
    commits: tuple[Commit, ...]  # newest first
    id: int
    index: int  # declaration order = creation order
    dirs: dict[str, tuple[TreeEntry, ...]] = field(default_factory=dict)  # dir path ("" = root) -> entries
    root_sha: str = EMPTY_TREE
    branches: dict[str, Branch] = field(default_factory=dict)  # other branches, by name (changes.py)
    collaborators: dict[str, str] = field(default_factory=dict)  # direct collaborator login -> permission
    deployments: tuple[Deployment, ...] = ()  # newest first (deploy_history.py)
    workflow_runs: tuple[WorkflowRun, ...] = ()  # newest first

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def visibility(self) -> str:
        return "private" if self.private else "public"

    @property
    def is_empty(self) -> bool:
        return not self.files and not self.commits

    def entry(self, path: str) -> TreeEntry | None:
        """The file or directory at ``path`` ("" is the root), or None."""
        path = path.strip("/")
        if path == "":
            return TreeEntry("", "", True, self.root_sha, 0)
        parent, _, name = path.rpartition("/")
        for entry in self.dirs.get(parent, ()):
            if entry.name == name:
                return entry
        return None


@dataclass
class Org:
    login: str
    name: str
    description: str | None
    email: str | None
    created_at: str
    members: dict[str, Member]  # lower login -> member
    teams: dict[str, Team]  # lower slug -> team, in declaration order
    repos: dict[str, Repo]  # lower name -> repo, in declaration order
    id: int

    def team_children(self, slug: str) -> list[Team]:
        return [t for t in self.teams.values() if t.parent and t.parent.lower() == slug.lower()]

    def team_descendants(self, slug: str) -> list[Team]:
        out, todo = [], self.team_children(slug)
        while todo:
            team = todo.pop(0)
            if team not in out:
                out.append(team)
                todo.extend(self.team_children(team.slug))
        return out


def _file_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):  # YAML !!binary
        return value
    return ("" if value is None else str(value)).encode("utf-8")


def _tree_sha(dirs: dict[str, tuple[TreeEntry, ...]], path: str) -> str:
    body = b""
    # git orders tree entries by name, comparing a directory as if it ended with "/"
    for e in sorted(dirs.get(path, ()), key=lambda e: e.name + ("/" if e.is_dir else "")):
        mode = b"40000" if e.is_dir else b"100644"
        body += mode + b" " + e.name.encode() + b"\0" + bytes.fromhex(e.sha)
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()


def build_dirs(files: dict[str, bytes]) -> dict[str, tuple[TreeEntry, ...]]:
    """Directory listings (sorted by name) with git blob and tree shas, from a flat path -> bytes map."""
    children: dict[str, dict[str, bool]] = {"": {}} if files else {}
    for path in files:
        parts = path.split("/")
        for depth in range(len(parts)):
            parent = "/".join(parts[:depth])
            children.setdefault(parent, {})[parts[depth]] = depth < len(parts) - 1
    dirs: dict[str, tuple[TreeEntry, ...]] = {}
    # deepest directories first so a parent can use its children's tree shas
    for parent in sorted(children, key=lambda p: -p.count("/") - (p != "")):
        entries = []
        for name, is_dir in sorted(children[parent].items()):
            path = f"{parent}/{name}" if parent else name
            if is_dir:
                entries.append(TreeEntry(name, path, True, _tree_sha(dirs, path), 0))
            else:
                entries.append(TreeEntry(name, path, False, git_blob_sha(files[path]), len(files[path])))
        dirs[parent] = tuple(entries)
    return dirs


def _tree(files: dict[str, bytes]) -> dict[str, Any]:
    dirs = build_dirs(files)
    return {"files": files, "dirs": dirs, "root_sha": _tree_sha(dirs, "") if files else EMPTY_TREE}


def _commits(full_name: str, raw: list[dict[str, Any]], members: dict[str, Member]) -> tuple[Commit, ...]:
    out = []
    for pos, c in enumerate(raw):
        login = c.get("author")
        member = members.get(str(login).lower()) if login else None
        date = iso(c.get("date")) or EPOCH
        message = str(c.get("message") or "")
        seq = len(raw) - pos  # position counted from the oldest commit, stable when newer ones are added
        oid = hashlib.sha1(f"commit\n{full_name}\n{seq}\n{login}\n{date}\n{message}".encode()).hexdigest()
        out.append(Commit(
            oid=oid,
            login=str(login) if login else None,
            author=member.login if member else None,
            name=c.get("name") or (member.name if member and member.name else None) or str(login or "unknown"),
            email=c.get("email") or (member.email if member and member.email else None)
            or f"{login or 'unknown'}@users.noreply.github.com",
            date=date,
            message=message,
        ))
    return tuple(out)


def _repo(org_login: str, raw: dict[str, Any], index: int, members: dict[str, Member]) -> Repo:
    name = str(raw["name"])
    full_name = f"{org_login}/{name}"
    files = {str(p).strip("/"): _file_bytes(v) for p, v in (raw.get("files") or {}).items()}
    commits = _commits(full_name, raw.get("commits") or [], members)
    pushed_at = iso(raw.get("pushed_at")) or (commits[0].date if commits else None)
    created_at = iso(raw.get("created_at")) or (commits[-1].date if commits else None) or pushed_at or EPOCH
    visibility = str(raw.get("visibility") or ("public" if raw.get("private") is False else "private"))
    languages = dict(sorted((raw.get("languages") or {}).items(), key=lambda kv: -int(kv[1])))
    return Repo(
        owner=org_login, name=name, description=raw.get("description") or None, language=raw.get("language"),
        languages={k: int(v) for k, v in languages.items()}, topics=tuple(str(t) for t in raw.get("topics") or ()),
        archived=bool(raw.get("archived")), fork=bool(raw.get("fork")), private=visibility != "public",
        default_branch=str(raw.get("default_branch") or "main"), pushed_at=pushed_at, created_at=created_at,
        updated_at=iso(raw.get("updated_at")) or pushed_at or created_at, commits=commits,
        id=stable_id("repo", full_name), index=index, **_tree(files),
        **build_deploy_history(full_name, raw, commits, str(raw.get("default_branch") or "main"), pushed_at),
    )


def _org(raw: dict[str, Any]) -> Org:
    login = str(raw["login"])
    members = {}
    for m in raw.get("members") or []:
        m = {"login": m} if isinstance(m, str) else m
        members[str(m["login"]).lower()] = Member(
            login=str(m["login"]), name=m.get("name"), email=m.get("email"),
            role="admin" if str(m.get("role", "member")).lower() == "admin" else "member",
            id=stable_id("user", str(m["login"])),
        )
    teams = {}
    for t in raw.get("teams") or []:
        slug = str(t["slug"])
        teams[slug.lower()] = Team(
            slug=slug, name=str(t.get("name") or slug), description=t.get("description") or "",
            parent=t.get("parent") or None, members=tuple(str(x) for x in t.get("members") or ()),
            maintainers=frozenset(str(x).lower() for x in t.get("maintainers") or ()),
            repos={str(k): str(v) for k, v in (t.get("repos") or {}).items()}, id=stable_id("team", f"{login}/{slug}"),
        )
    repos = {}
    for i, r in enumerate(raw.get("repos") or []):
        repo = _repo(login, r, i, members)
        repos[repo.name.lower()] = repo
    return Org(
        login=login, name=str(raw.get("name") or login), description=raw.get("description") or None,
        email=raw.get("email"), created_at=iso(raw.get("created_at")) or EPOCH, members=members, teams=teams,
        repos=repos, id=stable_id("org", login),
    )


class Store:
    """The orgs, teams, members and repos of the loaded scenario."""

    def __init__(self, scenario: dict[str, Any] | None = None):
        self.lock = threading.Lock()
        self.orgs: dict[str, Org] = {}
        self.users: dict[str, Member] = {}
        self.load(scenario)

    def load(self, scenario: dict[str, Any] | None) -> None:
        orgs = {}
        for raw in ((scenario or {}).get("github") or {}).get("orgs") or []:
            org = _org(raw)
            orgs[org.login.lower()] = org
        users = {}
        for org in orgs.values():
            for key, member in org.members.items():
                users.setdefault(key, member)
        with self.lock:
            self.orgs, self.users = orgs, users

    def org(self, login: str) -> Org | None:
        return self.orgs.get(login.lower())

    def repo(self, owner: str, name: str) -> Repo | None:
        org = self.org(owner)
        return org.repos.get(name.lower()) if org else None

    def user(self, login: str) -> Member | None:
        return self.users.get(login.lower())

    def push(self, full_name: str, files: dict[str, Any] | None = None, pushed_at: str | None = None,
             commits: list[dict[str, Any]] | None = None, deleted: list[str] | None = None) -> Repo:
        """Apply a push to a repo: change files, prepend commits, bump pushed_at (to now unless given).

        A push that changes files but names no commit gets one commit with no GitHub author, so
        the head commit oid changes as it would on GitHub.
        """
        owner, _, name = full_name.partition("/")
        with self.lock:
            org = self.org(owner)
            repo = org.repos.get(name.lower()) if org else None
            if repo is None:
                raise KeyError(full_name)
            new_files = dict(repo.files)
            for path, value in (files or {}).items():
                new_files[str(path).strip("/")] = _file_bytes(value)
            for path in deleted or ():
                new_files.pop(str(path).strip("/"), None)
            when = iso(pushed_at) or now_iso()
            new_raw = list(commits or ())
            if not new_raw and (files or deleted):
                new_raw = [{"author": None, "name": "Roster Emulator", "email": "emulator@localhost",
                            "date": when, "message": "Update files"}]
            old_raw = [{"author": c.login, "name": c.name, "email": c.email, "date": c.date, "message": c.message}
                       for c in repo.commits]
            all_commits = _commits(repo.full_name, new_raw + old_raw, org.members)
            updated = replace(repo, **_tree(new_files), commits=all_commits,
                              pushed_at=when, updated_at=when)
            org.repos = {**org.repos, name.lower(): updated}
            return updated
