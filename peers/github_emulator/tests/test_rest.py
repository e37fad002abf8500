"""REST: payloads against GitHub's OpenAPI description, scenario data, pagination, ETags, auth, 404s."""
from __future__ import annotations

import base64
import re

import pytest
import requests

from .conftest import ORG, TOKEN, org_of, repo_of

ENDPOINTS = [
    ("/orgs/{org}", "/orgs/globex"),
    ("/orgs/{org}/members", "/orgs/globex/members"),
    ("/orgs/{org}/teams", "/orgs/globex/teams"),
    ("/orgs/{org}/teams/{team_slug}", "/orgs/globex/teams/payments"),
    ("/orgs/{org}/teams/{team_slug}/members", "/orgs/globex/teams/payments/members"),
    ("/orgs/{org}/teams/{team_slug}/repos", "/orgs/globex/teams/payments/repos"),
    ("/orgs/{org}/repos", "/orgs/globex/repos?per_page=100"),
    ("/orgs/{org}/repos", "/orgs/globex/repos?type=forks"),
    ("/repos/{owner}/{repo}", "/repos/globex/search-hub"),
    ("/repos/{owner}/{repo}/languages", "/repos/globex/search-hub/languages"),
    ("/repos/{owner}/{repo}/topics", "/repos/globex/search-hub/topics"),
    ("/repos/{owner}/{repo}/contents/{path}", "/repos/globex/search-hub/contents/.github/CODEOWNERS"),
    ("/repos/{owner}/{repo}/contents/{path}", "/repos/globex/search-hub/contents/.github/workflows"),
    ("/repos/{owner}/{repo}/commits", "/repos/globex/search-hub/commits?per_page=100"),
    ("/users/{username}", "/users/zoe-ng25"),
    ("/rate_limit", "/rate_limit"),
]


@pytest.mark.parametrize("spec_path,url", ENDPOINTS, ids=[u for _, u in ENDPOINTS])
def test_payload_matches_github_openapi(emulator, http, openapi, spec_path, url):
    resp = http.get(emulator + url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    openapi.validate(spec_path, resp.json())


def test_not_found_is_githubs_error(emulator, http, openapi):
    for url in ("/orgs/nope", "/repos/globex/nope", "/repos/globex/search-hub/contents/no/such/file.txt",
                "/orgs/globex/teams/nope"):
        resp = http.get(emulator + url)
        assert resp.status_code == 404, url
        body = resp.json()
        assert body["message"] == "Not Found" and body["documentation_url"].startswith("https://docs.github.com/")
    openapi.validate("/orgs/{org}", http.get(emulator + "/orgs/nope").json(), status=404)


def test_org_members_and_teams_match_scenario(emulator, http, messy):
    org = org_of(messy)
    members = http.get(f"{emulator}/orgs/{ORG}/members?per_page=100").json()
    assert [m["login"] for m in members] == [m["login"] for m in org["members"]]
    teams = http.get(f"{emulator}/orgs/{ORG}/teams?per_page=100").json()
    assert [(t["slug"], t["parent"]["slug"] if t["parent"] else None) for t in teams] == [
        (t["slug"], t["parent"]) for t in org["teams"]]
    payments = next(t for t in org["teams"] if t["slug"] == "payments")
    members = http.get(f"{emulator}/orgs/{ORG}/teams/payments/members").json()
    assert [m["login"] for m in members] == payments["members"]
    repos = http.get(f"{emulator}/orgs/{ORG}/teams/payments/repos").json()
    roles = {"pull": "read", "push": "write", "maintain": "maintain", "admin": "admin", "triage": "triage"}
    assert {r["name"]: r["role_name"] for r in repos} == {n: roles[p] for n, p in payments["repos"].items()}
    maintained = next(r for r in repos if r["role_name"] == "maintain")
    assert maintained["permissions"] == {"admin": False, "maintain": True, "push": True, "triage": True, "pull": True}


def test_team_members_include_child_teams_as_on_github(emulator, http, messy):
    org = org_of(messy)
    children = [t for t in org["teams"] if t["parent"] == "engineering"]
    expected = {login for t in children for login in t["members"]}
    got = http.get(f"{emulator}/orgs/{ORG}/teams/engineering/members?per_page=100").json()
    assert {m["login"] for m in got} == expected


def test_repo_fields_match_scenario(emulator, http, messy):
    for raw in org_of(messy)["repos"]:
        repo = http.get(f"{emulator}/repos/{ORG}/{raw['name']}").json()
        assert repo["full_name"] == f"{ORG}/{raw['name']}"
        assert (repo["description"], repo["archived"], repo["fork"], repo["language"], repo["default_branch"]) == (
            raw["description"] or None, raw["archived"], raw["fork"], raw["language"], raw["default_branch"])
        assert repo["pushed_at"] == raw["pushed_at"]
        assert repo["topics"] == raw["topics"]
    langs = http.get(f"{emulator}/repos/{ORG}/search-hub/languages").json()
    assert langs == repo_of(messy, "search-hub")["languages"]
    assert list(langs.values()) == sorted(langs.values(), reverse=True)


def test_contents_nested_paths_and_directories(emulator, http, messy):
    raw = repo_of(messy, "search-hub")
    for path, text in raw["files"].items():
        body = http.get(f"{emulator}/repos/{ORG}/search-hub/contents/{path}").json()
        assert body["type"] == "file" and body["encoding"] == "base64" and body["path"] == path
        assert base64.b64decode(body["content"]).decode() == text
        assert all(len(line) <= 60 for line in body["content"].splitlines())
    listing = http.get(f"{emulator}/repos/{ORG}/search-hub/contents/.github/workflows").json()
    expected = sorted(p for p in raw["files"] if p.startswith(".github/workflows/"))
    assert [e["path"] for e in listing] == expected and {e["type"] for e in listing} == {"file"}
    root = http.get(f"{emulator}/repos/{ORG}/search-hub/contents/").json()
    assert {e["name"]: e["type"] for e in root}[".github"] == "dir"
    # the same file through its download_url and the raw media type
    file_json = http.get(f"{emulator}/repos/{ORG}/search-hub/contents/README.md").json()
    assert requests.get(file_json["download_url"]).text == raw["files"]["README.md"]
    rawtext = http.get(f"{emulator}/repos/{ORG}/search-hub/contents/README.md",
                       headers={"Accept": "application/vnd.github.raw+json"})
    assert rawtext.text == raw["files"]["README.md"]
    bad_ref = http.get(f"{emulator}/repos/{ORG}/search-hub/contents/README.md?ref=nope")
    assert bad_ref.status_code == 404 and "No commit found for the ref nope" in bad_ref.json()["message"]
    assert http.get(f"{emulator}/repos/{ORG}/search-hub/contents/README.md?ref={raw['default_branch']}").ok


def test_commits_since_and_per_page(emulator, http, messy):
    raw = repo_of(messy, "search-hub")
    commits = http.get(f"{emulator}/repos/{ORG}/search-hub/commits?per_page=100").json()
    assert [(c["author"]["login"], c["commit"]["author"]["date"], c["commit"]["message"]) for c in commits] == [
        (c["author"], c["date"], c["message"]) for c in raw["commits"]]
    assert commits[0]["parents"][0]["sha"] == commits[1]["sha"] and commits[-1]["parents"] == []
    member = next(m for m in org_of(messy)["members"] if m["login"] == raw["commits"][0]["author"])
    assert commits[0]["commit"]["author"]["name"] == member["name"]
    assert commits[0]["commit"]["author"]["email"] == member["email"]
    since = "2026-10-03T00:00:00Z"
    recent = http.get(f"{emulator}/repos/{ORG}/search-hub/commits", params={"since": since}).json()
    assert len(recent) == sum(1 for c in raw["commits"] if c["date"] >= since) > 0
    two = http.get(f"{emulator}/repos/{ORG}/search-hub/commits?per_page=2")
    assert len(two.json()) == 2 and 'rel="next"' in two.headers["Link"]


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header or "")}


def test_link_header_pagination(emulator, http, messy):
    names, url, pages = [], f"{emulator}/orgs/{ORG}/repos?per_page=7&sort=full_name", 0
    while url:
        resp = http.get(url)
        names += [r["name"] for r in resp.json()]
        pages += 1
        links = _links(resp.headers.get("Link", ""))
        if pages == 1:
            assert set(links) == {"next", "last"} and links["last"].endswith("page=6")
        if pages == 2:
            assert set(links) == {"prev", "next", "last", "first"}
        url = links.get("next")
    expected = sorted((r["name"] for r in org_of(messy)["repos"]), key=str.lower)
    assert names == expected and pages == 6
    default = http.get(f"{emulator}/orgs/{ORG}/repos")
    assert len(default.json()) == 30  # GitHub's default page size
    capped = http.get(f"{emulator}/orgs/{ORG}/members?per_page=500")
    assert len(capped.json()) == min(100, len(org_of(messy)["members"]))


def test_repo_type_filter(emulator, http, messy):
    repos = org_of(messy)["repos"]
    forks = http.get(f"{emulator}/orgs/{ORG}/repos?type=forks").json()
    assert {r["name"] for r in forks} == {r["name"] for r in repos if r["fork"]}
    sources = http.get(f"{emulator}/orgs/{ORG}/repos?type=sources&per_page=100").json()
    assert len(sources) == sum(1 for r in repos if not r["fork"])


def test_etag_not_modified_does_not_count(emulator, http):
    first = http.get(f"{emulator}/repos/{ORG}/search-hub")
    etag, remaining = first.headers["ETag"], int(first.headers["X-RateLimit-Remaining"])
    again = http.get(f"{emulator}/repos/{ORG}/search-hub", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining
    changed = http.get(f"{emulator}/repos/{ORG}/search-hub", headers={"If-None-Match": 'W/"stale"'})
    assert changed.status_code == 200 and int(changed.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_rate_limit_headers_decrease(emulator, http):
    a = http.get(f"{emulator}/orgs/{ORG}")
    b = http.get(f"{emulator}/orgs/{ORG}/teams")
    assert int(b.headers["X-RateLimit-Remaining"]) == int(a.headers["X-RateLimit-Remaining"]) - 1
    assert int(b.headers["X-RateLimit-Used"]) == int(a.headers["X-RateLimit-Used"]) + 1
    assert b.headers["X-RateLimit-Limit"] == "5000" and b.headers["X-RateLimit-Resource"] == "core"
    overview = http.get(f"{emulator}/rate_limit").json()  # not counted itself
    assert overview["resources"]["core"]["remaining"] == int(b.headers["X-RateLimit-Remaining"])


def test_auth(emulator):
    for header in ("token wrong", "Bearer wrong", "Basic xyz"):
        resp = requests.get(f"{emulator}/orgs/{ORG}", headers={"Authorization": header})
        assert resp.status_code == 401 and resp.json()["message"] == "Bad credentials"
    assert requests.get(f"{emulator}/orgs/{ORG}").status_code == 401
    assert requests.get(f"{emulator}/orgs/{ORG}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_enterprise_base_path(emulator, http):
    repo = http.get(f"{emulator}/api/v3/repos/{ORG}/search-hub").json()
    assert repo["url"] == f"{emulator}/api/v3/repos/{ORG}/search-hub"
    assert repo["html_url"] == f"{emulator}/{ORG}/search-hub"
    team = http.get(f"{emulator}/api/v3/orgs/{ORG}/teams/payments").json()
    assert http.get(team["url"] + "/members").json() == http.get(f"{emulator}/api/v3/orgs/{ORG}/teams/payments/members").json()
    assert http.get(f"{emulator}/api/v3/nope").status_code == 404
