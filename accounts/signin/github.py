"""What a signing-in user's GitHub OAuth token says about them: their organizations and teams.

The API root is the one allauth's GitHub adapter uses (api.github.com, or ``<GITHUB_URL>/api/v3`` for
GitHub Enterprise Server and the local emulator), so these calls go where the token came from. The token is
used for the duration of the sign-in only and never stored.
"""
from __future__ import annotations

from dataclasses import dataclass

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter

MAX_PAGES = 10  # 1,000 organizations or teams: more than any user has


class GitHubError(Exception):
    """GitHub did not answer what sign-in needs (a status, not a refusal of the user)."""


@dataclass(frozen=True)
class Membership:
    orgs: frozenset[str]  # lowercase logins of the organizations the user is an active member of
    teams: tuple[tuple[str, str], ...]  # (lowercase org login, team slug)


def api_root() -> str:
    return GitHubOAuth2Adapter.profile_url.removesuffix("/user")


def _get_all(session, url: str, token: str) -> list:
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"}
    items: list = []
    params: dict | None = {"per_page": 100}
    for _ in range(MAX_PAGES):
        resp = session.get(url, headers=headers, params=params)
        if resp.status_code != 200:
            raise GitHubError(f"GET {url.removeprefix(api_root())} answered {resp.status_code}")
        page = resp.json()
        if not isinstance(page, list):
            raise GitHubError(f"GET {url.removeprefix(api_root())} did not answer a list")
        items.extend(page)
        url = resp.links.get("next", {}).get("url")
        if not url:
            break
        params = None  # the next link carries them
    return items


def membership(token: str) -> Membership:
    """The user's organizations (GET /user/orgs) and teams (GET /user/teams); needs the read:org scope."""
    root = api_root()
    with get_adapter().get_requests_session() as session:
        orgs = _get_all(session, f"{root}/user/orgs", token)
        teams = _get_all(session, f"{root}/user/teams", token)
    return Membership(
        orgs=frozenset(str(o.get("login", "")).lower() for o in orgs if o.get("login")),
        teams=tuple((str((t.get("organization") or {}).get("login", "")).lower(), str(t.get("slug", "")))
                    for t in teams if t.get("slug")),
    )
