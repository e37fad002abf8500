"""Every REST route the emulator serves, for the bundled sample company, validated against the response
schema GitHub's OpenAPI description (npm @octokit/openapi) documents for that operation ($refs resolved,
undocumented top-level fields refused; conftest.OpenAPI). A route added without an entry here fails
``test_every_route_is_checked``; the endpoints GitHub documents but the emulator does not model are
checked through the fallback."""
from __future__ import annotations

import time

import jwt
import pytest
import requests
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from peers.github_emulator import create_app, get_schema, openapi as described, start_in_thread
from peers.github_emulator.store import stable_id
from peers.scenario import parse_scenario

from .conftest import SCENARIOS

TOKEN = "ghp_shapes"
APP_ID = 4343
SKIPPED = {  # GET rules that are not GitHub REST operations
    "/static/<path:filename>", "/<path:anything>", "/_raw/<owner>/<name>/<branch>/<path:path>",
    "/_emulator/faults", "/_emulator/stats", "/_emulator/oauth/apps", "/login/oauth/authorize",
    "/_emulator/hooks", "/_emulator/deliveries",
}
ORG_HOOK, REPO_HOOK = 1, 2  # the webhooks `served` registers, in that order

# The description's list of installations inlines the account as allOf [simple-user, enterprise], which no
# account satisfies (one operation later it is anyOf, as GitHub answers): check each item against that one.
ITEMWISE = {"/app/installations": "/app/installations/{installation_id}"}


def with_deploys(document: dict) -> dict:
    """The sample company (kept identical to the shared copy) with deployments and workflow runs added to its first
    repository that deploys: two deployments to production (the first superseded) and two runs."""
    org = document["github"]["orgs"][0]
    repo = next(r for r in org["repos"] if any(str(p).startswith(".github/workflows/") for p in r.get("files") or {}))
    workflow = next(str(p) for p in repo["files"] if str(p).startswith(".github/workflows/"))
    login = org["members"][0]["login"] if isinstance(org["members"][0], dict) else org["members"][0]
    repo["deployments"] = [{"environment": "production", "created_at": "2026-10-01T12:30:00Z", "creator": login},
                           {"environment": "production", "created_at": "2026-10-02T09:00:00Z", "creator": login}]
    repo["workflow_runs"] = [{"workflow": workflow, "created_at": "2026-10-01T12:05:00Z", "actor": login},
                             {"workflow": workflow, "created_at": "2026-10-02T08:40:00Z", "actor": login,
                              "conclusion": "failure"}]
    return parse_scenario(yaml.safe_dump(document), source="sample-company with deploys")


@pytest.fixture(scope="module")
def company():
    scenario = with_deploys(yaml.safe_load((SCENARIOS / "sample-company.yaml").read_text()))
    org = scenario["github"]["orgs"][0]
    repo = next(r for r in org["repos"] if any(str(p).startswith(".github/workflows/") for p in r.get("files") or {}))
    team = org["teams"][0]
    member = org["members"][0]
    member = member if isinstance(member, dict) else {"login": member}
    return scenario, org, repo, team, member


@pytest.fixture(scope="module")
def served(company):
    scenario, org, *_ = company
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    get_schema()
    app = create_app(scenario, tokens=[TOKEN], app_id=APP_ID, app_public_key=public)
    base, stop = start_in_thread(app)
    now = int(time.time())
    app_jwt = jwt.encode({"iat": now - 60, "exp": now + 540, "iss": str(APP_ID)}, key, algorithm="RS256")
    repo = company[2]
    for hook_id, path in ((ORG_HOOK, f"/orgs/{org['login']}"), (REPO_HOOK, f"/repos/{org['login']}/{repo['name']}")):
        # nothing listens on port 9: the ping's failed delivery is listed too
        hook = requests.post(f"{base}{path}/hooks", headers={"Authorization": f"token {TOKEN}"},
                             json={"name": "web", "config": {"url": "http://127.0.0.1:9/hook"}}).json()
        assert hook["id"] == hook_id
    requests.post(f"{base}/_emulator/hooks/flush")
    yield app, base, app_jwt
    stop()


def cases(company) -> dict[str, tuple[str, str, str]]:
    """Flask rule -> (OpenAPI path, URL, auth) for every route."""
    _, org, repo, team, member = company
    o, r, t, u = org["login"], f"{org['login']}/{repo['name']}", team["slug"], member["login"]
    org_id, team_id = stable_id("org", o), stable_id("team", f"{o}/{t}")
    workflow = next(str(p) for p in repo["files"] if str(p).startswith(".github/workflows/")).rsplit("/", 1)[1]
    install = stable_id("installation", f"{APP_ID}/{o}")
    # a repository with deployments (one of them superseded: two statuses) and workflow runs
    deployed = next(x for x in org["repos"] if len(x["deployments"]) > 1 and x["workflow_runs"])
    d = f"{o}/{deployed['name']}"
    deployment, run = stable_id("deployment", f"{d}/1"), stable_id("workflow-run", f"{d}/0")
    return {
        "/orgs/<org>": ("/orgs/{org}", f"/orgs/{o}", "token"),
        "/orgs/<org>/members": ("/orgs/{org}/members", f"/orgs/{o}/members?per_page=100", "token"),
        "/orgs/<org>/teams": ("/orgs/{org}/teams", f"/orgs/{o}/teams?per_page=100", "token"),
        "/orgs/<org>/teams/<slug>": ("/orgs/{org}/teams/{team_slug}", f"/orgs/{o}/teams/{t}", "token"),
        "/orgs/<org>/teams/<slug>/members": ("/orgs/{org}/teams/{team_slug}/members", f"/orgs/{o}/teams/{t}/members", "token"),
        "/orgs/<org>/teams/<slug>/repos": ("/orgs/{org}/teams/{team_slug}/repos", f"/orgs/{o}/teams/{t}/repos", "token"),
        # legacy team URLs (in payloads) answer what the slug URLs answer
        "/organizations/<org_id>/team/<team_id>": ("/orgs/{org}/teams/{team_slug}", f"/organizations/{org_id}/team/{team_id}", "token"),
        "/organizations/<org_id>/team/<team_id>/members": ("/orgs/{org}/teams/{team_slug}/members", f"/organizations/{org_id}/team/{team_id}/members", "token"),
        "/organizations/<org_id>/team/<team_id>/repos": ("/orgs/{org}/teams/{team_slug}/repos", f"/organizations/{org_id}/team/{team_id}/repos", "token"),
        "/users/<login>": ("/users/{username}", f"/users/{u}", "token"),
        "/user": ("/user", "/user", "token"),
        "/rate_limit": ("/rate_limit", "/rate_limit", "token"),
        "/orgs/<org>/repos": ("/orgs/{org}/repos", f"/orgs/{o}/repos?per_page=100", "token"),
        "/repos/<owner>/<name>": ("/repos/{owner}/{repo}", f"/repos/{r}", "token"),
        "/repos/<owner>/<name>/languages": ("/repos/{owner}/{repo}/languages", f"/repos/{r}/languages", "token"),
        "/repos/<owner>/<name>/topics": ("/repos/{owner}/{repo}/topics", f"/repos/{r}/topics", "token"),
        "/repos/<owner>/<name>/branches": ("/repos/{owner}/{repo}/branches", f"/repos/{r}/branches", "token"),
        "/repos/<owner>/<name>/commits": ("/repos/{owner}/{repo}/commits", f"/repos/{r}/commits?per_page=100", "token"),
        "/repos/<owner>/<name>/contents": ("/repos/{owner}/{repo}/contents/{path}", f"/repos/{r}/contents", "token"),
        "/repos/<owner>/<name>/contents/<path:path>": ("/repos/{owner}/{repo}/contents/{path}", f"/repos/{r}/contents/.github/workflows/{workflow}", "token"),
        "/repos/<owner>/<name>/actions/workflows": ("/repos/{owner}/{repo}/actions/workflows", f"/repos/{r}/actions/workflows", "token"),
        "/repos/<owner>/<name>/actions/workflows/<workflow_id>": ("/repos/{owner}/{repo}/actions/workflows/{workflow_id}", f"/repos/{r}/actions/workflows/{workflow}", "token"),
        "/repos/<owner>/<name>/actions/workflows/<workflow_id>/runs": ("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", f"/repos/{r}/actions/workflows/{workflow}/runs", "token"),
        "/repos/<owner>/<name>/actions/runs": ("/repos/{owner}/{repo}/actions/runs", f"/repos/{d}/actions/runs", "token"),
        "/repos/<owner>/<name>/actions/runs/<int:run_id>": ("/repos/{owner}/{repo}/actions/runs/{run_id}", f"/repos/{d}/actions/runs/{run}", "token"),
        "/repos/<owner>/<name>/deployments": ("/repos/{owner}/{repo}/deployments", f"/repos/{d}/deployments", "token"),
        "/repos/<owner>/<name>/deployments/<int:deployment_id>": ("/repos/{owner}/{repo}/deployments/{deployment_id}", f"/repos/{d}/deployments/{deployment}", "token"),
        "/repos/<owner>/<name>/deployments/<int:deployment_id>/statuses": ("/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", f"/repos/{d}/deployments/{deployment}/statuses", "token"),
        "/app": ("/app", "/app", "jwt"),
        "/app/installations": ("/app/installations", "/app/installations", "jwt"),
        "/app/installations/<int:install_id>": ("/app/installations/{installation_id}", f"/app/installations/{install}", "jwt"),
        "/orgs/<org>/installation": ("/orgs/{org}/installation", f"/orgs/{o}/installation", "jwt"),
        "/user/emails": ("/user/emails", "/user/emails", "token"),
        "/user/orgs": ("/user/orgs", "/user/orgs", "token"),
        "/user/memberships/orgs": ("/user/memberships/orgs", "/user/memberships/orgs", "token"),
        "/user/memberships/orgs/<org>": ("/user/memberships/orgs/{org}", f"/user/memberships/orgs/{o}", "token"),
        "/user/teams": ("/user/teams", "/user/teams", "token"),
        "/orgs/<org>/hooks": ("/orgs/{org}/hooks", f"/orgs/{o}/hooks", "token"),
        "/orgs/<org>/hooks/<hook_id>": ("/orgs/{org}/hooks/{hook_id}", f"/orgs/{o}/hooks/{ORG_HOOK}", "token"),
        "/orgs/<org>/hooks/<hook_id>/deliveries": ("/orgs/{org}/hooks/{hook_id}/deliveries", f"/orgs/{o}/hooks/{ORG_HOOK}/deliveries", "token"),
        "/repos/<owner>/<name>/hooks": ("/repos/{owner}/{repo}/hooks", f"/repos/{r}/hooks", "token"),
        "/repos/<owner>/<name>/hooks/<hook_id>": ("/repos/{owner}/{repo}/hooks/{hook_id}", f"/repos/{r}/hooks/{REPO_HOOK}", "token"),
        "/repos/<owner>/<name>/hooks/<hook_id>/deliveries": ("/repos/{owner}/{repo}/hooks/{hook_id}/deliveries", f"/repos/{r}/hooks/{REPO_HOOK}/deliveries", "token"),
        "/repos/<owner>/<name>/collaborators": ("/repos/{owner}/{repo}/collaborators", f"/repos/{r}/collaborators", "token"),
        "/installation/repositories": ("/installation/repositories", "/installation/repositories", "installation"),
    }


def _get(served, url: str, auth: str) -> requests.Response:
    _, base, app_jwt = served
    header = f"Bearer {app_jwt}" if auth == "jwt" else f"token {TOKEN}"
    if auth == "installation":  # an installation token, minted with the app's JWT
        install = requests.get(f"{base}/app/installations", headers={"Authorization": f"Bearer {app_jwt}"}).json()[0]
        token = requests.post(f"{base}/app/installations/{install['id']}/access_tokens",
                              headers={"Authorization": f"Bearer {app_jwt}"}).json()["token"]
        header = f"token {token}"
    return requests.get(base + url, headers={"Authorization": header}, timeout=30)


def test_every_route_is_checked(served, company):
    app = served[0]
    rules = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods} - SKIPPED
    assert rules == set(cases(company)), "add the new route to cases()"


def test_every_route_matches_githubs_schema(served, company, openapi):
    failures = []
    for rule, (spec_path, url, auth) in cases(company).items():
        resp = _get(served, url, auth)
        if resp.status_code != 200:
            failures.append(f"{rule}: {url} answered {resp.status_code} {resp.text[:200]}")
            continue
        try:
            if rule in ITEMWISE:  # see ITEMWISE
                assert isinstance(resp.json(), list) and resp.json(), rule
                for item in resp.json():
                    openapi.validate(ITEMWISE[rule], item)
            else:
                openapi.validate(spec_path, resp.json())
        except AssertionError as exc:
            failures.append(f"{rule}: {exc}")
    assert not failures, "\n".join(failures)


def test_unmodelled_endpoints_answer_githubs_empty_values(served, company, openapi):
    _, org, repo, team, member = company
    r = f"{org['login']}/{repo['name']}"
    expected = {
        f"/repos/{r}/rulesets": ("/repos/{owner}/{repo}/rulesets", []),
        f"/repos/{r}/environments": ("/repos/{owner}/{repo}/environments", {"total_count": 0, "environments": []}),
        f"/api/v3/repos/{r}/environments": ("/repos/{owner}/{repo}/environments", {"total_count": 0, "environments": []}),
        f"/repos/{r}/releases": ("/repos/{owner}/{repo}/releases", []),
    }
    for url, (spec_path, body) in expected.items():
        resp = _get(served, url, "token")
        assert resp.status_code == 200 and resp.json() == body, url
        assert resp.headers.get("ETag"), url
        openapi.validate(spec_path, resp.json())
    # every other list GitHub documents under the org, a repo, a team or a user answers empty and valid
    values = {"org": org["login"], "owner": org["login"], "repo": repo["name"], "team_slug": team["slug"],
              "username": member["login"]}
    checked = 0
    for op in described.operations():
        if not op.has_empty or set(op.params) - set(values) or not op.params:
            continue
        url = op.template.format(**values)
        resp = _get(served, url, "token")
        matched = described.lookup(url)
        if matched and matched[0].template != op.template:
            continue  # a more specific template (e.g. one the emulator models) answers this URL
        assert resp.status_code == 200, (url, resp.status_code, resp.text[:200])
        openapi.validate(op.template, resp.json())
        checked += 1
    assert checked > 100


def test_not_found_as_github_documents(served, company, openapi):
    _, org, repo, *_ = company
    r = f"{org['login']}/{repo['name']}"
    # a documented single object the scenario does not have: 404 with that operation's documentation URL
    pages = _get(served, f"/repos/{r}/pages", "token")
    assert pages.status_code == 404
    assert pages.json()["documentation_url"] == described.lookup(f"/repos/{r}/pages")[0].doc
    # a list under an object that does not exist: 404
    assert _get(served, f"/repos/{org['login']}/no-such-repo/rulesets", "token").status_code == 404
    assert _get(served, f"/repos/{r}/actions/runs/12/jobs", "token").status_code == 404
    # a path GitHub does not serve: the generic 404, with or without credentials
    for headers in ({}, {"Authorization": f"token {TOKEN}"}):
        resp = requests.get(served[1] + "/no/such/endpoint", headers=headers, timeout=30)
        assert resp.status_code == 404
        assert resp.json() == {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
    # a documented path still needs credentials
    assert requests.get(f"{served[1]}/repos/{r}/rulesets", timeout=30).status_code == 401
