"""REST payloads in the shapes of GitHub's OpenAPI description (api.github.com).

Each builder takes the store object and ``Urls`` (the emulator's own API and web roots, so links a
client follows come back here). Optional fields GitHub documents as non-null are left out rather
than filled with made-up values.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from .store import EPOCH, PERMISSIONS, Commit, Member, Org, Repo, Team, TreeEntry, node_id

DOCS = "https://docs.github.com/rest"
# GitHub's contents API serves the bytes of files up to 1 MB; larger ones come back with encoding "none".
CONTENTS_MAX_BYTES = 1024 * 1024
ROLE_NAMES = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}


@dataclass(frozen=True)
class Urls:
    api: str  # e.g. http://127.0.0.1:8000 or http://127.0.0.1:8000/api/v3
    html: str  # e.g. http://127.0.0.1:8000
    raw: str  # where download_url points: the emulator's /_raw route


def error(message: str, doc: str = DOCS, status: int | None = None, **extra: Any) -> dict[str, Any]:
    body = {"message": message, "documentation_url": doc, **extra}
    if status is not None:
        body["status"] = str(status)
    return body


def simple_user(login: str, db_id: int, urls: Urls, kind: str = "User") -> dict[str, Any]:
    api = f"{urls.api}/users/{login}"
    return {
        "login": login, "id": db_id, "node_id": node_id("U" if kind == "User" else "O", db_id),
        "avatar_url": f"{urls.html}/avatars/{login}", "gravatar_id": "", "url": api,
        "html_url": f"{urls.html}/{login}", "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}", "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs", "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events", "type": kind, "user_view_type": "public", "site_admin": False,
    }


def member(m: Member, urls: Urls) -> dict[str, Any]:
    return simple_user(m.login, m.id, urls)


def org_owner(org: Org, urls: Urls) -> dict[str, Any]:
    return simple_user(org.login, org.id, urls, kind="Organization")


def public_user(m: Member, urls: Urls) -> dict[str, Any]:
    return {
        **member(m, urls), "name": m.name, "company": None, "blog": "", "location": None, "email": m.email,
        "hireable": None, "bio": None, "twitter_username": None, "public_repos": 0, "public_gists": 0,
        "followers": 0, "following": 0, "created_at": EPOCH, "updated_at": EPOCH,
    }


def _org_links(org: Org, urls: Urls) -> dict[str, Any]:
    api = f"{urls.api}/orgs/{org.login}"
    return {
        "login": org.login, "id": org.id, "node_id": node_id("O", org.id), "url": api, "repos_url": f"{api}/repos",
        "events_url": f"{api}/events", "hooks_url": f"{api}/hooks", "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}", "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": f"{urls.html}/avatars/{org.login}", "description": org.description,
    }


def org_full(org: Org, urls: Urls) -> dict[str, Any]:
    public = sum(1 for r in org.repos.values() if not r.private)
    body = {
        **_org_links(org, urls), "name": org.name, "twitter_username": None, "is_verified": False,
        "has_organization_projects": True, "has_repository_projects": True, "public_repos": public,
        "public_gists": 0, "followers": 0, "following": 0, "html_url": f"{urls.html}/{org.login}",
        "created_at": org.created_at, "updated_at": org.created_at, "archived_at": None, "type": "Organization",
        "total_private_repos": len(org.repos) - public, "owned_private_repos": len(org.repos) - public,
    }
    if org.email:
        body["email"] = org.email
    return body


def _team_links(team: Team, org: Org, urls: Urls) -> dict[str, Any]:
    api = f"{urls.api}/organizations/{org.id}/team/{team.id}"
    return {
        "id": team.id, "node_id": node_id("T", team.id), "url": api, "html_url": f"{urls.html}/orgs/{org.login}/teams/{team.slug}",
        "name": team.name, "slug": team.slug, "description": team.description, "privacy": "closed",
        "notification_setting": "notifications_enabled", "permission": "pull",
        "members_url": f"{api}/members{{/member}}", "repositories_url": f"{api}/repos", "type": "organization",
        "organization_id": org.id,
    }


def team(t: Team, org: Org, urls: Urls) -> dict[str, Any]:
    parent = org.teams.get(t.parent.lower()) if t.parent else None
    return {**_team_links(t, org, urls), "parent": _team_links(parent, org, urls) if parent else None}


def team_full(t: Team, org: Org, urls: Urls) -> dict[str, Any]:
    return {
        **team(t, org, urls), "members_count": len(t.members), "repos_count": len(t.repos),
        "created_at": EPOCH, "updated_at": EPOCH, "organization": org_full(org, urls),
    }


def permissions(level: str) -> dict[str, bool]:
    """GitHub's permission booleans for a role: each role includes the ones below it."""
    rank = PERMISSIONS.index(level) if level in PERMISSIONS else 0
    return {p: PERMISSIONS.index(p) <= rank for p in ("admin", "maintain", "push", "triage", "pull")}


def minimal_repo(repo: Repo, org: Org, urls: Urls, permission: str | None = None) -> dict[str, Any]:
    api = f"{urls.api}/repos/{repo.full_name}"
    html = f"{urls.html}/{repo.full_name}"
    body = {
        "id": repo.id, "node_id": node_id("R", repo.id), "name": repo.name, "full_name": repo.full_name,
        "private": repo.private, "owner": org_owner(org, urls), "html_url": html, "description": repo.description,
        "fork": repo.fork, "url": api, "forks_url": f"{api}/forks", "keys_url": f"{api}/keys{{/key_id}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}", "teams_url": f"{api}/teams",
        "hooks_url": f"{api}/hooks", "issue_events_url": f"{api}/issues/events{{/number}}",
        "events_url": f"{api}/events", "assignees_url": f"{api}/assignees{{/user}}",
        "branches_url": f"{api}/branches{{/branch}}", "tags_url": f"{api}/tags", "blobs_url": f"{api}/git/blobs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}", "git_refs_url": f"{api}/git/refs{{/sha}}",
        "trees_url": f"{api}/git/trees{{/sha}}", "statuses_url": f"{api}/statuses/{{sha}}",
        "languages_url": f"{api}/languages", "stargazers_url": f"{api}/stargazers",
        "contributors_url": f"{api}/contributors", "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription", "commits_url": f"{api}/commits{{/sha}}",
        "git_commits_url": f"{api}/git/commits{{/sha}}", "comments_url": f"{api}/comments{{/number}}",
        "issue_comment_url": f"{api}/issues/comments{{/number}}", "contents_url": f"{api}/contents/{{+path}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}", "merges_url": f"{api}/merges",
        "archive_url": f"{api}/{{archive_format}}{{/ref}}", "downloads_url": f"{api}/downloads",
        "issues_url": f"{api}/issues{{/number}}", "pulls_url": f"{api}/pulls{{/number}}",
        "milestones_url": f"{api}/milestones{{/number}}", "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "labels_url": f"{api}/labels{{/name}}", "releases_url": f"{api}/releases{{/id}}",
        "deployments_url": f"{api}/deployments", "created_at": repo.created_at, "updated_at": repo.updated_at,
        "pushed_at": repo.pushed_at, "git_url": f"{html}.git".replace("http://", "git://", 1),
        "ssh_url": f"git@{urls.html.split('://', 1)[-1]}:{repo.full_name}.git", "clone_url": f"{html}.git",
        "svn_url": html, "homepage": None, "size": sum(repo.languages.values()) // 1024, "stargazers_count": 0,
        "watchers_count": 0, "language": repo.language, "has_issues": True, "has_projects": True,
        "has_downloads": True, "has_wiki": True, "has_pages": False, "has_discussions": False, "forks_count": 0,
        "mirror_url": None, "archived": repo.archived, "disabled": False, "open_issues_count": 0, "license": None,
        "allow_forking": True, "is_template": False, "web_commit_signoff_required": False,
        "topics": list(repo.topics), "visibility": repo.visibility, "forks": 0, "open_issues": 0, "watchers": 0,
        "default_branch": repo.default_branch,
    }
    if permission:
        body["permissions"] = permissions(permission)
        body["role_name"] = ROLE_NAMES.get(permission, permission)
    return body


def full_repo(repo: Repo, org: Org, urls: Urls) -> dict[str, Any]:
    return {
        **minimal_repo(repo, org, urls), "temp_clone_token": None, "organization": org_owner(org, urls),
        "network_count": 0, "subscribers_count": 0,
    }


def _content_links(repo: Repo, entry: TreeEntry, urls: Urls) -> dict[str, Any]:
    api = f"{urls.api}/repos/{repo.full_name}"
    self_url = f"{api}/contents/{entry.path}?ref={repo.default_branch}"
    git_url = f"{api}/git/{'trees' if entry.is_dir else 'blobs'}/{entry.sha}"
    html_url = f"{urls.html}/{repo.full_name}/{'tree' if entry.is_dir else 'blob'}/{repo.default_branch}/{entry.path}"
    return {
        "name": entry.name, "path": entry.path, "sha": entry.sha, "size": entry.size, "url": self_url,
        "html_url": html_url, "git_url": git_url,
        "download_url": None if entry.is_dir else f"{urls.raw}/{repo.full_name}/{repo.default_branch}/{entry.path}",
        "type": "dir" if entry.is_dir else "file", "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def content_file(repo: Repo, entry: TreeEntry, urls: Urls) -> dict[str, Any]:
    data = repo.files[entry.path]
    if len(data) > CONTENTS_MAX_BYTES:
        content, encoding = "", "none"
    else:
        # GitHub wraps the base64 text at 60 characters per line
        b64 = base64.b64encode(data).decode()
        content, encoding = "".join(b64[i:i + 60] + "\n" for i in range(0, len(b64), 60)), "base64"
    return {**_content_links(repo, entry, urls), "content": content, "encoding": encoding}


def content_dir(repo: Repo, path: str, urls: Urls) -> list[dict[str, Any]]:
    return [_content_links(repo, e, urls) for e in repo.dirs.get(path, ())]


def commit(repo: Repo, c: Commit, parent: Commit | None, users: dict[str, Member], urls: Urls) -> dict[str, Any]:
    api = f"{urls.api}/repos/{repo.full_name}"
    html = f"{urls.html}/{repo.full_name}"
    user = users.get(c.author.lower()) if c.author else None
    person = {"name": c.name, "email": c.email, "date": c.date}
    return {
        "sha": c.oid, "node_id": node_id("C", int(c.oid[:8], 16)),
        "commit": {
            "author": person, "committer": person, "message": c.message,
            # only the head commit's tree is known; older commits point at it too
            "tree": {"sha": repo.root_sha, "url": f"{api}/git/trees/{repo.root_sha}"},
            "url": f"{api}/git/commits/{c.oid}", "comment_count": 0,
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                             "verified_at": None},
        },
        "url": f"{api}/commits/{c.oid}", "html_url": f"{html}/commit/{c.oid}",
        "comments_url": f"{api}/commits/{c.oid}/comments",
        "author": member(user, urls) if user else None, "committer": member(user, urls) if user else None,
        "parents": [{"sha": parent.oid, "url": f"{api}/commits/{parent.oid}", "html_url": f"{html}/commit/{parent.oid}"}]
        if parent else [],
    }


def rate_limit_overview(resources: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {"resources": resources, "rate": resources["core"]}


APP_PERMISSIONS = {"contents": "read", "metadata": "read", "members": "read"}


def integration(app_id: int, slug: str, owner: Org | None, installs: int, urls: Urls) -> dict[str, Any]:
    owner_json = org_owner(owner, urls) if owner else simple_user(slug, app_id, urls, kind="Bot")
    return {
        "id": app_id, "slug": slug, "node_id": node_id("A", app_id), "client_id": f"Iv1.{app_id:016x}",
        "owner": owner_json, "name": slug, "description": "Roster discovery app (emulated)",
        "external_url": urls.html, "html_url": f"{urls.html}/apps/{slug}", "created_at": EPOCH, "updated_at": EPOCH,
        "permissions": APP_PERMISSIONS, "events": [], "installations_count": installs,
    }


def installation(install_id: int, app_id: int, slug: str, org: Org, urls: Urls, selection: str = "all") -> dict[str, Any]:
    return {
        "id": install_id, "client_id": f"Iv1.{app_id:016x}", "account": org_owner(org, urls),
        "repository_selection": selection, "access_tokens_url": f"{urls.api}/app/installations/{install_id}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.html}/organizations/{org.login}/settings/installations/{install_id}",
        "app_id": app_id, "app_slug": slug, "target_id": org.id, "target_type": "Organization",
        "permissions": APP_PERMISSIONS, "events": [], "created_at": EPOCH, "updated_at": EPOCH,
        "single_file_name": None, "has_multiple_single_files": False, "single_file_paths": [],
        "suspended_by": None, "suspended_at": None,
    }
