"""The GitHub connector against the emulator: real HTTP, GitHub's schema, GitHub's limits and faults."""
import json
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import connection as db

from discovery import execute, runs
from discovery.facts import GH_REPO
from discovery.models import Connection, Fact, RunStatus
from peers.github_emulator import start_in_thread
from peers.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[4] / "scenarios" / "sample-messy.yaml"
TOKEN = "emulator-token"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def app_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture
def emulator(scenario, app_key, settings):
    url, stop = start_in_thread(scenario, tokens=[TOKEN], app_id=4242, app_public_key=app_key[1],
                                app_installed_on=["globex"])
    settings.ROSTER_GITHUB_EMULATOR_URL = url  # the one base_url local peers mode allows (discovery.endpoints)
    yield url
    stop()


def control(url, path, body):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request).read() or b"{}")


def github_connection(url, *, auth="token", secret=None, org="globex", name="gh"):
    from portal.workspaces.models import Workspace

    conn = Connection(workspace=Workspace.default(), provider="github", name=name,
                      config={"org": org, "base_url": url, "auth": auth, **({"app_id": 4242} if auth == "app" else {})})
    conn.set_secret(secret or {"token": TOKEN})
    conn.save()
    return conn


def scan(conn):
    run = runs.create_scan_run(conn)
    for job in run.jobs.all():
        execute.execute_job(execute.load_job(db.schema_name, str(run.workspace_id), str(run.pk), str(job.pk)))
    return runs.finish_run(run)


def active_repos(scenario):
    return {r["name"] for o in scenario["github"]["orgs"] for r in o["repos"] if not r["archived"] and not r["fork"]}


def test_full_scan_reads_every_active_repository_within_budget(in_alpha, emulator, scenario):
    run = scan(github_connection(emulator))
    assert run.status == RunStatus.SUCCEEDED, run.failures
    assert set(Fact.objects.filter(kind=GH_REPO).values_list("name", flat=True)) == active_repos(scenario)
    repo_job = run.jobs.get(scanner="github_repos")
    assert 0 < repo_job.stats["extra"]["graphql_points"] <= 10
    assert repo_job.stats["extra"]["repos_excluded"] == 4  # 3 archived + 1 fork
    search_hub = Fact.objects.get(kind=GH_REPO, name="search-hub").attributes
    assert search_hub["codeowners_path"] == ".github/CODEOWNERS" and search_hub["default_branch"] == "master"
    assert search_hub["commit_authors"]["zoe-ng25"] >= 2


def test_incremental_scan_reads_only_pushed_repositories(in_alpha, emulator, scenario):
    conn = github_connection(emulator)
    first = scan(conn)
    control(emulator, "/_emulator/push", {"repo": "globex/search-hub",
                                          "files": {"README.md": "# Search Hub\n\nFinds things, faster now.\n"}})
    control(emulator, "/_emulator/stats/reset", {})
    second = scan(conn)
    assert second.status == RunStatus.SUCCEEDED
    job = second.jobs.get(scanner="github_repos")
    assert job.stats["extra"]["repos_unchanged"] == len(active_repos(scenario)) - 1
    assert Fact.objects.get(kind=GH_REPO, name="search-hub").attributes["readme_description"] == \
        "Finds things, faster now."
    # Every repository still counts as seen by the incremental run.
    assert Fact.objects.filter(kind=GH_REPO, last_seen_run=second).count() == len(active_repos(scenario))
    # One cheap listing page and one fetch of the changed repository (the benchmark shows the saving at scale),
    # plus its last deploys (search-hub has a deploy workflow): its deployments and its deploy workflow's runs.
    assert job.stats["extra"]["graphql_requests"] == 2 and job.stats["extra"]["rest_requests"] == 2
    assert job.stats["extra"]["requests"] == 4 and first.status == RunStatus.SUCCEEDED


def test_conditional_requests_cost_nothing_the_second_time(in_alpha, emulator):
    conn = github_connection(emulator)
    conn.config["teams_refresh_hours"] = 0  # read teams every run
    conn.save()
    scan(conn)
    second = scan(conn)
    teams = second.jobs.get(scanner="github_teams")
    assert teams.stats["extra"]["mode"] == "full" and teams.stats["extra"]["not_modified"] >= 1


def test_teams_read_recently_are_kept_without_requests(in_alpha, emulator):
    from discovery.facts import GH_TEAM

    conn = github_connection(emulator)
    scan(conn)
    second = scan(conn)
    teams = second.jobs.get(scanner="github_teams")
    assert teams.stats["extra"]["mode"] == "incremental" and teams.stats["extra"]["requests"] == 0
    assert Fact.objects.filter(kind=GH_TEAM).exclude(last_seen_run=second).count() == 0


def test_secondary_rate_limit_and_5xx_are_absorbed(in_alpha, emulator, scenario):
    control(emulator, "/_emulator/faults", {"secondary_rate_limit_every": 4, "error_rate": 0.2, "seed": 3})
    run = scan(github_connection(emulator))
    assert run.status == RunStatus.SUCCEEDED, run.failures
    assert run.stats["wait_seconds"] > 0 and run.stats["retries"] + run.stats["throttled"] > 0
    assert Fact.objects.filter(kind=GH_REPO).count() == len(active_repos(scenario))


def test_502_on_large_pages_halves_the_page(in_alpha, emulator, scenario):
    control(emulator, "/_emulator/faults", {"bad_gateway_over": 1500})
    run = scan(github_connection(emulator))
    assert run.status == RunStatus.SUCCEEDED, run.failures
    assert run.jobs.get(scanner="github_repos").stats["extra"]["page_halvings"] >= 2
    assert Fact.objects.filter(kind=GH_REPO).count() == len(active_repos(scenario))


def test_budget_exhausted_is_rate_limited_with_remediation(in_alpha, emulator):
    control(emulator, "/_emulator/rate_limit", {"core": 5000, "graphql": 2})
    run = scan(github_connection(emulator))
    assert run.status in (RunStatus.FAILED, RunStatus.PARTIAL)
    codes = {f["reason_code"] for f in run.failures}
    assert codes == {"rate_limited"} and all("rate limit" in f["remediation"] for f in run.failures)


@pytest.mark.parametrize("org,secret,code", [
    ("globex", {"token": "wrong"}, "bad_credentials"),
    ("no-such-org", None, "org_not_found"),
])
def test_failures_map_to_reason_codes(in_alpha, emulator, org, secret, code):
    run = scan(github_connection(emulator, org=org, secret=secret))
    assert run.status == RunStatus.FAILED
    assert {f["reason_code"] for f in run.failures} == {code}


def test_github_app_installation_token(in_alpha, emulator, app_key, scenario):
    run = scan(github_connection(emulator, auth="app", secret={"private_key": app_key[0]}))
    assert run.status == RunStatus.SUCCEEDED, run.failures
    assert Fact.objects.filter(kind=GH_REPO).count() == len(active_repos(scenario))


def test_github_app_not_installed(in_alpha, emulator, app_key):
    run = scan(github_connection(emulator, auth="app", secret={"private_key": app_key[0]}, org="initech"))
    assert {f["reason_code"] for f in run.failures} == {"app_not_installed"}
