"""Last deploys from GitHub: the pure parsing (any JSON in, facts or nothing out), the reader against the
emulator (real HTTP, GitHub's shapes, ETags, failures) and a whole repositories job through the executor."""
from __future__ import annotations

import json
import urllib.request

import pytest
import yaml

from discovery import facts
from discovery.connectors.github import deploys
from discovery.connectors.github.client import EtagStore, GithubClient
from discovery.connectors.github.deploys import (
    DeployReader, deploy_workflows, deployment_fact, known_deploys, newest_per_environment, workflow_run_fact,
)
from discovery.connectors.github.errors import GithubFailure
from discovery.connectors.github.repo_facts import repo_batch
from peers.github_emulator import start_in_thread
from peers.scenario import parse_scenario

TOKEN = "deploys-token"
DEPLOY_WORKFLOW = ("name: Deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
                   "    steps:\n"
                   "      - run: aws ecs update-service --cluster prod --service pay --force-new-deployment\n")
CI_WORKFLOW = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
COMPANY = {
    "format": "roster-scenario/1", "name": "deploy-co",
    "github": {"orgs": [{"login": "acme", "members": [{"login": "alice"}, {"login": "bob"}], "repos": [
        {"name": "pay", "files": {".github/workflows/deploy.yml": DEPLOY_WORKFLOW,
                                  ".github/workflows/ci.yml": CI_WORKFLOW},
         "commits": [{"author": "bob", "date": "2026-10-03T09:00:00Z", "message": "faster"},
                     {"author": "alice", "date": "2026-10-01T09:00:00Z", "message": "first"}],
         "deployments": [
             {"environment": "production", "created_at": "2026-10-01T10:00:00Z", "creator": "alice"},
             {"environment": "production", "created_at": "2026-10-03T10:00:00Z", "creator": "bob",
              "log_url": "https://ci.example.test/pay/3"},
             {"environment": "staging", "created_at": "2026-10-02T10:00:00Z", "creator": "alice"},
             {"environment": "staging", "created_at": "2026-10-04T10:00:00Z", "creator": "bob", "status": "failure"},
         ],
         "workflow_runs": [
             {"workflow": "deploy.yml", "created_at": "2026-10-03T09:05:00Z", "actor": "bob"},
             {"workflow": "deploy.yml", "created_at": "2026-10-04T09:05:00Z", "actor": "bob", "conclusion": "failure"},
             {"workflow": "ci.yml", "created_at": "2026-10-05T09:05:00Z", "actor": "alice"},
         ]},
        {"name": "quiet", "files": {".github/workflows/deploy.yml": DEPLOY_WORKFLOW.replace("pay", "quiet")},
         "commits": [{"author": "alice", "date": "2026-10-01T09:00:00Z", "message": "init"}]},
        {"name": "docs", "files": {"README.md": "# Docs\n"},
         "deployments": [{"environment": "github-pages", "created_at": "2026-10-01T10:00:00Z"}]},
    ]}]},
}


@pytest.fixture(scope="module")
def company():
    return parse_scenario(yaml.safe_dump(COMPANY))


@pytest.fixture(scope="module")
def emulator(company):
    url, stop = start_in_thread(company, tokens=[TOKEN])
    yield url
    stop()


def client_for(url, **options):
    return GithubClient(url, TOKEN, etag_cache=EtagStore(), url_guard=lambda _: None, **options)


# --- pure ---------------------------------------------------------------------------------------------

def test_deploy_workflows_come_from_deploy_targets(company):
    repos = {r["name"]: r for r in company["github"]["orgs"][0]["repos"]}
    assert deploy_workflows(repo_batch("acme", repos["pay"]).facts) == [".github/workflows/deploy.yml"]
    assert deploy_workflows(repo_batch("acme", repos["docs"]).facts) == []


def test_newest_per_environment_keeps_order_and_bounds():
    listed = [{"id": i, "environment": f"env{i % 6}"} for i in range(30)] + [{"id": "x", "environment": "a"}, None, 7]
    picked = newest_per_environment(listed)
    assert list(picked) == ["env0", "env1", "env2", "env3"]  # MAX_ENVIRONMENTS, in first-seen (newest) order
    assert [d["id"] for d in picked["env0"]] == [0, 6]        # MAX_TRIES_PER_ENVIRONMENT, newest first
    assert newest_per_environment({"not": "a list"}) == {}


def test_deployment_fact_only_for_success_with_safe_links():
    deployment = {"id": 7, "environment": "prod/eu", "sha": "a" * 40, "ref": "main", "creator": {"login": "bob"},
                  "created_at": "2026-10-03T10:00:00Z", "task": "deploy"}
    status = {"state": "success", "created_at": "2026-10-03T10:02:00Z", "log_url": "javascript:alert(1)",
              "target_url": "https://user:pw@ci.example.test/x", "environment_url": "https://pay.example.test/"}
    fact = deployment_fact("acme", "pay", deployment, status, "https://github.com/acme/pay")
    assert fact.external_id == "github:deployment/acme/pay/prod%2Feu" and fact.name == "prod/eu"
    assert fact.attributes["url"] == "https://pay.example.test/"  # neither a script nor a URL with credentials
    assert fact.attributes["actor"] == "bob" and fact.attributes["deployed_at"] == "2026-10-03T10:02:00Z"
    assert set(fact.attributes) <= facts.ATTRIBUTE_WHITELIST[facts.GH_DEPLOYMENT]
    bare = deployment_fact("acme", "pay", deployment, {"state": "success"}, "https://github.com/acme/pay")
    assert bare.attributes["url"] == "https://github.com/acme/pay/deployments/prod%2Feu"
    for bad_status in ({"state": "failure"}, {"state": "inactive"}, None, "success"):
        assert deployment_fact("acme", "pay", deployment, bad_status) is None
    for junk in ({}, {"environment": 3}, None, []):
        assert deployment_fact("acme", "pay", junk, status) is None


def test_workflow_run_fact_is_total():
    run = {"id": 12, "name": "Deploy", "run_number": 3, "head_sha": "b" * 40, "head_branch": "main",
           "event": "push", "status": "completed", "conclusion": "success", "actor": {"login": "alice"},
           "triggering_actor": {"login": "bob"}, "created_at": "2026-10-03T09:05:00Z",
           "html_url": "https://github.com/acme/pay/actions/runs/12"}
    fact = workflow_run_fact("acme", "pay", ".github/workflows/deploy.yml", run)
    assert fact.external_id == "github:workflow_run/acme/pay/deploy.yml"
    attributes = fact.attributes
    assert (attributes["actor"], attributes["run_number"], attributes["head_sha"]) == ("bob", 3, "b" * 40)
    assert set(fact.attributes) <= facts.ATTRIBUTE_WHITELIST[facts.GH_WORKFLOW_RUN]
    assert workflow_run_fact("acme", "pay", "x.yml", {**run, "conclusion": "failure"}) is None
    long = workflow_run_fact("acme", "pay", "x.yml", {**run, "head_sha": "c" * 10_000, "run_number": "3"})
    assert len(long.attributes["head_sha"]) == deploys.MAX_TEXT and long.attributes["run_number"] is None
    for junk in (None, [], {"id": "12", "conclusion": "success"}, {"conclusion": "success"}):
        assert workflow_run_fact("acme", "pay", "x.yml", junk) is None


def test_known_deploys_from_stored_facts():
    repos = [("pay", "main", "https://github.com/acme/pay"), ("docs", "main", None), ("quiet", None, None)]
    targets = [("acme/pay", ".github/workflows/deploy.yml"), ("acme/pay", "serverless.yml"),
               ("acme/quiet", ".github/workflows/release.yaml"), (None, None)]
    assert known_deploys(repos, targets) == {
        "pay": ("main", "https://github.com/acme/pay", (".github/workflows/deploy.yml",)),
        "quiet": (None, None, (".github/workflows/release.yaml",)),
    }


# --- against the emulator ----------------------------------------------------------------------------

def test_reader_finds_the_latest_success_per_environment_and_of_the_workflow(emulator, company):
    client = client_for(emulator)
    batch = DeployReader(client, "acme").read("pay", "main", [".github/workflows/deploy.yml"],
                                              f"{emulator}/acme/pay")
    by_id = {f.external_id: f for f in batch.facts}
    production = by_id["github:deployment/acme/pay/production"].attributes
    assert (production["actor"], production["created_at"], production["url"]) == \
        ("bob", "2026-10-03T10:00:00Z", "https://ci.example.test/pay/3")
    head = production["sha"]
    # staging's newest deployment failed: the one before it is its last success
    staging = by_id["github:deployment/acme/pay/staging"].attributes
    assert (staging["actor"], staging["created_at"]) == ("alice", "2026-10-02T10:00:00Z") and staging["sha"] != head
    run = by_id["github:workflow_run/acme/pay/deploy.yml"].attributes
    assert (run["actor"], run["head_sha"], run["head_branch"], run["run_number"]) == ("bob", head, "main", 1)
    assert not batch.warnings and not batch.touched
    # one page of deployments, production's newest status, staging's two newest, one page of one run
    assert client.stats.counts["rest_requests"] == 1 + 1 + 2 + 1


def test_reader_asks_again_conditionally(emulator):
    etags = EtagStore()
    first = GithubClient(emulator, TOKEN, etag_cache=etags, url_guard=lambda _: None)
    DeployReader(first, "acme").read("quiet", "main", [".github/workflows/deploy.yml"])
    again = GithubClient(emulator, TOKEN, etag_cache=EtagStore(etags.learned), url_guard=lambda _: None)
    batch = DeployReader(again, "acme").read("quiet", "main", [".github/workflows/deploy.yml"])
    assert batch.facts == [] and again.stats.counts["not_modified"] == 2  # the deployments and the runs page


def test_unreadable_repository_is_a_warning_that_keeps_earlier_facts(emulator):
    batch = DeployReader(client_for(emulator), "acme").read("gone", "main", [".github/workflows/deploy.yml"])
    assert [w["reason_code"] for w in batch.warnings] == [deploys.DEPLOYS_UNREADABLE]
    assert batch.touched == ["github:deployment/acme/gone", "github:workflow_run/acme/gone"]


def test_no_workflows_no_requests(emulator):
    client = client_for(emulator)
    assert DeployReader(client, "acme").read("docs", "main", []).facts == []
    assert client.stats.api_calls == 0


def test_rate_limit_stops_deploy_reads_but_bad_credentials_fail(emulator):
    def control(path, body):
        request = urllib.request.Request(emulator + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).read()

    control("/_emulator/rate_limit", {"core": 1})
    try:
        reader = DeployReader(client_for(emulator, max_rate_wait=0), "acme")
        reader.read("quiet", "main", [".github/workflows/deploy.yml"])
        assert reader.exhausted
        assert reader.read("pay", "main", [".github/workflows/deploy.yml"]).facts == []
    finally:
        control("/_emulator/rate_limit", {"core": 5000})
    bad = GithubClient(emulator, "wrong-token", url_guard=lambda _: None)
    with pytest.raises(GithubFailure) as failure:
        DeployReader(bad, "acme").read("pay", "main", [".github/workflows/deploy.yml"])
    assert failure.value.reason_code == "bad_credentials"


def test_workflow_file_names_are_quoted_into_the_path(emulator):
    # Unquoted, "deploy.yml?x=" would turn "/runs" into a query and ask for the workflow itself (a 200).
    batch = DeployReader(client_for(emulator), "acme").read("pay", "main", [".github/workflows/deploy.yml?x="])
    assert [w["reason_code"] for w in batch.warnings] == [deploys.DEPLOYS_UNREADABLE]
    assert "404" in batch.warnings[0]["message"] or "Not Found" in batch.warnings[0]["message"]


# --- a whole job ---------------------------------------------------------------------------------------

@pytest.fixture
def served(emulator, settings):
    settings.ROSTER_GITHUB_EMULATOR_URL = emulator  # the one base_url local peers mode allows
    return emulator


def test_repositories_job_stores_last_deploys_and_keeps_them_when_unchanged(in_alpha, served):
    from discovery.models import Fact, RunStatus

    from .test_scan_emulator import github_connection, scan

    conn = github_connection(served, org="acme", secret={"token": TOKEN})
    first = scan(conn)
    assert first.status == RunStatus.SUCCEEDED, first.failures
    stored = set(Fact.objects.filter(kind__in=[facts.GH_DEPLOYMENT, facts.GH_WORKFLOW_RUN])
                 .values_list("external_id", flat=True))
    assert stored == {"github:deployment/acme/pay/production", "github:deployment/acme/pay/staging",
                      "github:workflow_run/acme/pay/deploy.yml"}  # docs has no deploy workflow: not asked
    job = first.jobs.get(scanner="github_repos")
    assert job.stats["extra"]["rest_requests"] == 5 + 2  # pay as above; quiet: deployments and runs, both empty
    second = scan(conn)  # incremental: nothing was pushed
    assert second.jobs.get(scanner="github_repos").stats["extra"]["mode"] == "incremental"
    assert Fact.objects.filter(external_id__in=stored, last_seen_run=second).count() == 3


def test_incremental_scan_reads_deploys_of_known_repositories(served, company):
    from discovery.connectors.github.job import GithubJobScanner, GithubScanState

    repos = company["github"]["orgs"][0]["repos"]
    pushed = {r["name"]: r["commits"][0]["date"] if r["commits"] else None for r in repos}
    state = GithubScanState(config={"org": "acme", "base_url": served}, secret={"token": TOKEN},
                            scanner="github_repos", known_pushed_at=pushed,
                            known_deploys={"pay": ("main", None, (".github/workflows/deploy.yml",))})
    batches = list(GithubJobScanner(state).batches())
    assert {p for b in batches for p in b.touched} >= {"github:deployment/acme/pay", "github:workflow_run/acme/pay"}
    assert {f.external_id for b in batches for f in b.facts} == {
        "github:deployment/acme/pay/production", "github:deployment/acme/pay/staging",
        "github:workflow_run/acme/pay/deploy.yml"}
