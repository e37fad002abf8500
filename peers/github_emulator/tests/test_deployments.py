"""Deployments, their statuses and workflow runs: the scenario keys (older files load unchanged), GitHub's
filters, pagination and shapes, GitHub's auto-inactive rule, and PyGithub reading them."""
from __future__ import annotations

import pytest
import requests
import yaml
from github import Auth, Github

from peers.github_emulator import create_app, start_in_thread
from peers.github_emulator.store import stable_id
from peers.scenario import ScenarioError, load_scenario, parse_scenario

from .conftest import SCENARIOS

TOKEN = "ghp_deployments"
DOC = {
    "format": "roster-scenario/1", "name": "deploys",
    "github": {"orgs": [{"login": "acme", "members": [{"login": "alice"}, {"login": "bob"}], "repos": [
        {"name": "pay", "default_branch": "trunk",
         "files": {".github/workflows/deploy.yml": "name: Deploy\non: push\n",
                   ".github/workflows/ci.yml": "on: push\n"},
         "commits": [{"author": "bob", "date": "2026-10-03T09:00:00Z", "message": "faster\n\nbody"},
                     {"author": "alice", "date": "2026-10-01T09:00:00Z", "message": "first"}],
         "deployments": [
             {"environment": "production", "created_at": "2026-10-01T10:00:00Z", "creator": "alice"},
             {"environment": "production", "created_at": "2026-10-03T10:00:00Z", "creator": "bob"},
             {"environment": "staging", "created_at": "2026-10-02T10:00:00Z", "creator": "outsider",
              "sha": "d" * 40, "ref": "v1.2.0", "task": "deploy:migrations"},
             {"environment": "production", "created_at": "2026-10-04T10:00:00Z", "status": "failure"},
         ],
         "workflow_runs": [
             {"workflow": "deploy.yml", "created_at": "2026-10-03T09:05:00Z", "actor": "bob"},
             {"workflow": ".github/workflows/deploy.yml", "created_at": "2026-10-01T09:05:00Z", "actor": "alice"},
             {"workflow": "deploy.yml", "created_at": "2026-10-04T09:05:00Z", "conclusion": "failure",
              "head_branch": "feature"},
             {"workflow": "ci.yml", "created_at": "2026-10-03T09:01:00Z", "event": "pull_request",
              "status": "in_progress"},
             {"workflow": "gone.yml", "created_at": "2026-09-01T09:00:00Z", "run_number": 77},
         ]},
        {"name": "empty"},
    ]}]},
}


@pytest.fixture(scope="module")
def doc():
    return parse_scenario(yaml.safe_dump(DOC))


@pytest.fixture(scope="module")
def base(doc):
    url, stop = start_in_thread(create_app(doc, tokens=[TOKEN], warm_schema=False))
    yield url
    stop()


def get(base, path, **params):
    resp = requests.get(base + path, params=params, headers={"Authorization": f"token {TOKEN}"}, timeout=30)
    return resp


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_scenario_still_loads(path):
    scenario = load_scenario(path)
    for org in scenario["github"]["orgs"]:
        for repo in org["repos"]:
            assert isinstance(repo["deployments"], list) and isinstance(repo["workflow_runs"], list)
            assert all(d["environment"] and d["status"] for d in repo["deployments"])


def test_loader_defaults_and_clear_errors(doc):
    pay = doc["github"]["orgs"][0]["repos"][0]
    first = pay["deployments"][0]
    assert (first["status"], first["task"], first["sha"], first["ref"]) == ("success", "deploy", None, None)
    assert pay["workflow_runs"][2]["status"] == "completed" and pay["workflow_runs"][3]["conclusion"] is None
    assert doc["github"]["orgs"][0]["repos"][1]["deployments"] == []
    for bad, message in (({"deployments": [{"status": "done"}]}, "deployment status must be one of"),
                         ({"deployments": ["production"]}, "a deployment must be a mapping"),
                         ({"workflow_runs": [{"created_at": "2026-10-01"}]}, "naming its workflow file")):
        broken = {**DOC, "github": {"orgs": [{"login": "acme", "repos": [{"name": "x", **bad}]}]}}
        with pytest.raises(ScenarioError, match=message):
            parse_scenario(yaml.safe_dump(broken))


def test_deployments_newest_first_with_defaults_and_filters(base, openapi):
    listed = get(base, "/repos/acme/pay/deployments").json()
    openapi.validate("/repos/{owner}/{repo}/deployments", listed)
    assert [(d["environment"], d["created_at"]) for d in listed] == [
        ("production", "2026-10-04T10:00:00Z"), ("production", "2026-10-03T10:00:00Z"),
        ("staging", "2026-10-02T10:00:00Z"), ("production", "2026-10-01T10:00:00Z")]
    commits = {c["commit"]["message"].split("\n")[0]: c["sha"] for c in get(base, "/repos/acme/pay/commits").json()}
    # sha and ref default to the default branch's head at the time
    assert [d["sha"] for d in listed] == [commits["faster"], commits["faster"], "d" * 40, commits["first"]]
    assert [d["ref"] for d in listed] == ["trunk", "trunk", "v1.2.0", "trunk"]
    assert listed[1]["creator"]["login"] == "bob" and listed[0]["creator"] is None
    assert listed[2]["creator"]["login"] == "outsider"  # not a member: still a user
    assert listed[1]["production_environment"] and not listed[2]["production_environment"]
    staging = get(base, "/repos/acme/pay/deployments", environment="staging").json()
    assert [d["environment"] for d in staging] == ["staging"]
    assert len(get(base, "/repos/acme/pay/deployments", sha=commits["faster"]).json()) == 2
    assert len(get(base, "/repos/acme/pay/deployments", ref="v1.2.0", task="deploy:migrations").json()) == 1
    assert get(base, "/repos/acme/pay/deployments", environment="nowhere").json() == []
    page = get(base, "/repos/acme/pay/deployments", per_page=3, page=2)
    assert [d["id"] for d in page.json()] == [listed[3]["id"]] and 'rel="first"' in page.headers["Link"]
    assert get(base, "/repos/acme/empty/deployments").json() == []
    assert get(base, "/repos/acme/nope/deployments").status_code == 404


def test_statuses_follow_githubs_auto_inactive(base, openapi):
    listed = {d["created_at"]: d for d in get(base, "/repos/acme/pay/deployments").json()}

    def states(created_at):
        body = get(base, f"/repos/acme/pay/deployments/{listed[created_at]['id']}/statuses").json()
        openapi.validate("/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", body)
        return [s["state"] for s in body]

    assert states("2026-10-01T10:00:00Z") == ["inactive", "success"]  # superseded by the success of 10-03
    assert states("2026-10-03T10:00:00Z") == ["success"]  # the failure after it does not deactivate it
    assert states("2026-10-04T10:00:00Z") == ["failure"]
    assert states("2026-10-02T10:00:00Z") == ["success"]  # another environment
    one = get(base, f"/repos/acme/pay/deployments/{listed['2026-10-01T10:00:00Z']['id']}/statuses", per_page=1)
    assert [s["state"] for s in one.json()] == ["inactive"] and 'rel="next"' in one.headers["Link"]
    single = get(base, f"/repos/acme/pay/deployments/{listed['2026-10-03T10:00:00Z']['id']}")
    assert single.json()["id"] == listed["2026-10-03T10:00:00Z"]["id"]
    assert get(base, "/repos/acme/pay/deployments/12345/statuses").status_code == 404
    assert get(base, "/repos/acme/pay/deployments/not-a-number/statuses").status_code == 404


def test_workflow_runs_per_repository_and_per_workflow(base, openapi):
    body = get(base, "/repos/acme/pay/actions/runs").json()
    openapi.validate("/repos/{owner}/{repo}/actions/runs", body)
    runs = body["workflow_runs"]
    assert body["total_count"] == 5
    assert [r["created_at"][:10] for r in runs] == ["2026-10-04", "2026-10-03", "2026-10-03", "2026-10-01",
                                                    "2026-09-01"]
    deploys = [r for r in runs if r["path"] == ".github/workflows/deploy.yml"]
    assert [r["run_number"] for r in deploys] == [3, 2, 1]  # counted per workflow, oldest first
    assert deploys[1]["name"] == "Deploy" and deploys[1]["display_title"] == "faster"
    assert deploys[1]["head_branch"] == "trunk" and deploys[1]["actor"]["login"] == "bob"
    assert "actor" not in runs[0]  # nobody named: left out, not made up
    gone = runs[-1]
    # a run of a workflow file that is gone: named by its path, its head the commit of the time
    assert (gone["run_number"], gone["name"], gone["head_commit"]["message"]) == \
        (77, ".github/workflows/gone.yml", "first")

    def ids(path, **params):
        return [r["id"] for r in get(base, path, **params).json()["workflow_runs"]]

    every = "/repos/acme/pay/actions/runs"
    assert ids(every, branch="trunk", status="success") == [deploys[1]["id"], deploys[2]["id"], gone["id"]]
    assert ids(every, status="completed", event="push", branch="feature") == [deploys[0]["id"]]
    assert ids(every, status="in_progress") == [r["id"] for r in runs if r["status"] == "in_progress"]
    assert ids(every, actor="ALICE") == [deploys[2]["id"]]
    assert ids(every, head_sha=deploys[2]["head_sha"]) == [deploys[2]["id"], gone["id"]]
    assert ids(every, created="2026-10-03") == [r["id"] for r in runs[1:3]]
    assert ids(every, created=">=2026-10-03T09:02:00Z") == [runs[0]["id"], deploys[1]["id"]]
    assert ids(every, created="2026-09-30..2026-10-01") == [deploys[2]["id"]]
    assert ids(every, created="*..2026-09-01") == [gone["id"]]
    assert ids(every, check_suite_id=str(runs[0]["check_suite_id"])) == [runs[0]["id"]]
    assert get(base, every, created="yesterday").status_code == 422
    # per workflow, by file name or by id
    wid = stable_id("workflow", "acme/pay/.github/workflows/deploy.yml")
    by_name = get(base, "/repos/acme/pay/actions/workflows/deploy.yml/runs", branch="trunk", status="success",
                  per_page=1)
    openapi.validate("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", by_name.json())
    assert by_name.json()["total_count"] == 2
    assert [r["id"] for r in by_name.json()["workflow_runs"]] == [deploys[1]["id"]]
    assert 'rel="next"' in by_name.headers["Link"]
    assert ids(f"/repos/acme/pay/actions/workflows/{wid}/runs") == [r["id"] for r in deploys]
    assert get(base, "/repos/acme/pay/actions/workflows/gone.yml/runs").status_code == 404  # no such file now
    single = get(base, f"/repos/acme/pay/actions/runs/{deploys[1]['id']}")
    openapi.validate("/repos/{owner}/{repo}/actions/runs/{run_id}", single.json())
    assert get(base, "/repos/acme/pay/actions/runs/1").status_code == 404
    assert get(base, "/repos/acme/empty/actions/runs").json() == {"total_count": 0, "workflow_runs": []}


def test_pygithub_reads_them(base):
    gh = Github(base_url=f"{base}/api/v3", auth=Auth.Token(TOKEN), retry=None)
    try:
        repo = gh.get_repo("acme/pay")
        production = list(repo.get_deployments(environment="production"))
        assert [d.creator.login if d.creator else None for d in production] == [None, "bob", "alice"]
        assert [s.state for s in production[1].get_statuses()] == ["success"]
        runs = repo.get_workflow("deploy.yml").get_runs(branch="trunk", status="success")
        assert [r.run_number for r in runs] == [2, 1]
    finally:
        gh.close()
