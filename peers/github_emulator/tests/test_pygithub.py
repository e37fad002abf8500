"""PyGithub, a real GitHub client, against the emulator (GitHub Enterprise style base URL)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from github import Auth, Github, GithubException

from .conftest import ORG, TOKEN, org_of, repo_of


@pytest.fixture
def gh(emulator):
    client = Github(base_url=f"{emulator}/api/v3", auth=Auth.Token(TOKEN), retry=None)
    yield client
    client.close()


def test_org_members_and_teams(gh, messy):
    want = org_of(messy)
    org = gh.get_organization(ORG)
    assert (org.login, org.name) == (want["login"], want["name"])
    assert [m.login for m in org.get_members()] == [m["login"] for m in want["members"]]  # 46: two pages
    teams = {t.slug: t for t in org.get_teams()}
    assert set(teams) == {t["slug"] for t in want["teams"]}
    payments = next(t for t in want["teams"] if t["slug"] == "payments")
    team = org.get_team_by_slug("payments")
    assert team.parent.slug == payments["parent"]
    assert [m.login for m in team.get_members()] == payments["members"]
    assert {r.name: r.permissions.push for r in team.get_repos()} == {
        n: p in ("push", "maintain", "admin") for n, p in payments["repos"].items()}


def test_repos_contents_and_commits(gh, messy):
    org = gh.get_organization(ORG)
    repos = list(org.get_repos())
    assert sorted(r.name for r in repos) == sorted(r["name"] for r in org_of(messy)["repos"])
    want = repo_of(messy, "search-hub")
    repo = gh.get_repo(f"{ORG}/search-hub")
    assert (repo.default_branch, repo.archived, repo.language) == (want["default_branch"], want["archived"], want["language"])
    languages = repo.get_languages()
    languages.pop("url", None)  # PyGithub 2.x adds the request URL to dict responses
    assert languages == want["languages"]
    assert repo.get_topics() == want["topics"]
    assert repo.get_contents(".github/workflows/deploy.yml").decoded_content.decode() == want["files"][".github/workflows/deploy.yml"]
    listing = repo.get_contents(".github/workflows")
    assert sorted(c.path for c in listing) == sorted(p for p in want["files"] if p.startswith(".github/workflows/"))
    with pytest.raises(GithubException) as missing:
        repo.get_contents("nope/nothing.txt")
    assert missing.value.status == 404
    commits = list(repo.get_commits())
    assert [(c.author.login, c.commit.message) for c in commits] == [(c["author"], c["message"]) for c in want["commits"]]
    since = datetime(2026, 10, 3, tzinfo=timezone.utc)
    assert repo.get_commits(since=since).totalCount == sum(1 for c in want["commits"] if c["date"] >= "2026-10-03")


def test_rate_limit_and_graphql(gh):
    before = gh.get_rate_limit().resources.core.remaining
    gh.get_user("zoe-ng25").name  # noqa: B018 - a counted request
    after = gh.get_rate_limit().resources.core
    assert after.remaining == before - 1 and after.limit == 5000
    _, data = gh.requester.graphql_query('query { organization(login: "globex") { login } }', {})
    assert data["data"]["organization"]["login"] == ORG
