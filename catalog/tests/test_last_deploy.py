"""Reconcile's last deploy of each entry: GitHub's evidence first and newest, else the ECS service's running
deployment or the Lambda function's last change; on small companies run through the real fact builders, with
the GitHub facts the connector makes (``discovery.connectors.github.deploys``)."""
from __future__ import annotations

from dataclasses import replace

from catalog.reconcile import FactView, reconcile
from catalog.reconcile.last_deploy import FIELDS, changed, image_tag, newest, record, revision
from discovery import facts as k
from discovery.connectors.github.deploys import deployment_fact, workflow_run_fact
from peers.simulate import facts_from_scenario

from .test_reconcile import PROD, company, ecs_deploy, repo

IMAGE = f"{PROD}.dkr.ecr.us-east-1.amazonaws.com/ledger:2.3.1"


def view(fact) -> FactView:
    return FactView(id=fact.external_id, kind=fact.kind, external_id=fact.external_id, name=fact.name,
                    account=fact.account, region=fact.region, attributes=fact.attributes, tags=fact.tags)


def deployment(repo_name, env, at, by="alice", sha="a" * 40):
    return view(deployment_fact("acme", repo_name, {"id": 1, "environment": env, "sha": sha, "ref": "main",
                                                    "creator": {"login": by}, "created_at": at},
                                {"state": "success", "created_at": at}, f"https://github.com/acme/{repo_name}"))


def run_of(repo_name, workflow, at, by="bob", sha="b" * 40):
    return view(workflow_run_fact("acme", repo_name, workflow, {
        "id": 9, "run_number": 4, "head_sha": sha, "head_branch": "main", "conclusion": "success",
        "status": "completed",
        "actor": {"login": by}, "created_at": at, "html_url": f"https://github.com/acme/{repo_name}/actions/runs/9"}))


def with_attributes(facts, kind, name, **attributes):
    return [replace(f, attributes={**f.attributes, **attributes}) if (f.kind, f.name) == (kind, name) else f
            for f in facts]


def ledger_company(**ledger_repo):
    return company(prod={"ecs_clusters": [{"name": "prod", "services": [{"name": "ledger", "image": IMAGE}]}],
                         "lambdas": [{"name": "ledger-nightly", "tags": {"service": "ledger"}}],
                         "ecr_repositories": ["ledger"]},
                   repos=[repo("ledger", files={".github/workflows/deploy.yml": ecs_deploy("ledger")}, **ledger_repo)])


def last_deploys(facts, links):
    return {d.name: d.last_deploy for d in reconcile(facts, links).services}


def test_github_deployment_wins_over_aws_and_keeps_every_field():
    facts, links = facts_from_scenario(ledger_company())
    facts = with_attributes(facts, k.ECS_SERVICE, "ledger", deployed_at="2026-10-09T00:00:00+00:00")
    facts += [deployment("ledger", "production", "2026-10-03T10:00:00Z"),
              deployment("ledger", "staging", "2026-10-04T10:00:00Z", by="bob", sha="c" * 40)]
    ledger = last_deploys(facts, links)["ledger"]
    # the ECS deployment is newer, but GitHub says who deployed which commit: it wins, newest first
    assert ledger == {"at": "2026-10-04T10:00:00Z", "by": "bob", "sha": "c" * 40, "ref": "main", "image_tag": None,
                      "environment": "staging", "source": "github_deployment",
                      "url": "https://github.com/acme/ledger/deployments/staging", "revision": None, "resource": None}


def test_newer_deploy_workflow_run_beats_an_older_deployment():
    facts, links = facts_from_scenario(ledger_company())
    facts += [deployment("ledger", "production", "2026-10-03T10:00:00Z"),
              run_of("ledger", ".github/workflows/deploy.yml", "2026-10-05T08:00:00Z")]
    ledger = last_deploys(facts, links)["ledger"]
    assert (ledger["source"], ledger["by"], ledger["sha"], ledger["at"]) == \
        ("github_actions", "bob", "b" * 40, "2026-10-05T08:00:00Z")
    assert ledger["url"] == "https://github.com/acme/ledger/actions/runs/9"


def test_without_github_the_ecs_deployment_speaks_then_lambda():
    facts, links = facts_from_scenario(ledger_company())
    facts = with_attributes(facts, k.ECS_SERVICE, "ledger", deployed_at="2026-10-09T00:00:00+00:00")
    facts = with_attributes(facts, k.LAMBDA_FUNCTION, "ledger-nightly", last_modified="2026-10-01T00:00:00.000+0000")
    ledger = last_deploys(facts, links)["ledger"]
    ecs = next(f for f in facts if f.kind == k.ECS_SERVICE)
    assert ledger == {"at": "2026-10-09T00:00:00Z", "by": None, "sha": None, "ref": None, "image_tag": "2.3.1",
                      "environment": None, "source": "ecs", "url": None, "revision": "ledger:1",
                      "resource": ecs.external_id}
    # the Lambda function changed later than the ECS service was deployed: that is the last deploy
    facts = with_attributes(facts, k.LAMBDA_FUNCTION, "ledger-nightly", last_modified="2026-10-10T00:00:00.000+0000")
    ledger = last_deploys(facts, links)["ledger"]
    assert (ledger["source"], ledger["at"]) == ("lambda", "2026-10-10T00:00:00Z")


def test_an_entry_with_nothing_to_say_has_no_last_deploy_and_components_read_github():
    sc = company(prod={"lambdas": [{"name": "cert-rotator"}]}, repos=[repo("handbook")])
    facts, links = facts_from_scenario(sc)
    facts = with_attributes(facts, k.LAMBDA_FUNCTION, "cert-rotator", last_modified=None)
    facts.append(deployment("handbook", "github-pages", "2026-10-02T00:00:00Z"))
    found = last_deploys(facts, links)
    assert found["cert-rotator"] is None
    assert (found["handbook"]["source"], found["handbook"]["environment"]) == ("github_deployment", "github-pages")


def test_in_a_monorepo_only_the_workflows_that_deploy_the_service_count():
    sc = company(prod={"ecs_clusters": [{"name": "prod", "services": [{"name": "billing"}, {"name": "ledger"}]}]},
                 repos=[repo("platform", files={".github/workflows/billing.yml": ecs_deploy("billing"),
                                                ".github/workflows/ledger.yml": ecs_deploy("ledger")})])
    facts, links = facts_from_scenario(sc)
    facts += [run_of("platform", ".github/workflows/billing.yml", "2026-10-05T00:00:00Z", by="bill"),
              run_of("platform", ".github/workflows/ledger.yml", "2026-10-02T00:00:00Z", by="lee")]
    found = {d.name: (d.repo, d.last_deploy["by"]) for d in reconcile(facts, links).services}
    # both services deploy from one repository; each takes the run of its own workflow, not the newest one
    assert found == {"billing": ("acme/platform", "bill"), "ledger": ("acme/platform", "lee")}


def test_the_last_deploy_is_part_of_the_fingerprint():
    facts, links = facts_from_scenario(ledger_company())
    before = {d.name: d.fingerprint for d in reconcile(facts, links).services}
    deployed = facts + [deployment("ledger", "production", "2026-10-03T10:00:00Z")]
    after = {d.name: d.fingerprint for d in reconcile(deployed, links).services}
    assert before["ledger"] != after["ledger"]
    assert {d.name: d.fingerprint for d in reconcile(facts, links).services} == before  # deterministic


def test_newest_and_changed_rules():
    a = record("ecs", at="2026-10-01T00:00:00Z", image_tag="1")
    b = record("github_actions", at="2026-09-01T00:00:00Z", sha="b")
    c = record("github_deployment", at="2026-09-01T00:00:00+00:00", sha="b")
    assert set(a) == set(FIELDS)
    assert newest([a, None]) == a and newest([]) is None
    assert newest([a, b]) == b                      # GitHub's word wins over a newer resource change
    assert newest([b, c]) == c and newest([c, b]) == c  # a tie goes to the deployment, in any order
    assert newest([record("ecs", at=None), record("ecs", at="2026-01-01T00:00:00Z", image_tag="x")])["image_tag"] == "x"
    assert not changed(a, {**a, "url": "https://elsewhere.example"})  # described differently: the same deploy
    assert changed(a, {**a, "image_tag": "2"}) and changed(None, a) and not changed(None, None)
    assert (image_tag("repo/app@sha256:ab"), image_tag("app"), image_tag(None)) == ("sha256:ab", "latest", None)
    assert revision("arn:aws:ecs:us-east-1:1:task-definition/app:12") == "app:12" and revision(3) is None
