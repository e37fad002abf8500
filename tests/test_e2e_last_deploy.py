"""End to end: each service's last deploy, discovered through real Celery workers from the GitHub emulator's
deployments and workflow runs, and from moto's ECS services and Lambda functions where GitHub says nothing;
a new deploy shows up in the service API and in the service's history."""
import copy
import json
import time
import urllib.request

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts.testing import token_for
from discovery import workflow
from discovery.models import ACTIVE_STATUSES, Run
from peers.demo import load_github, setup_tenant
from peers.scenario import parse_scenario
from portal.models import Tenant
from portal.workspaces.models import Workspace
from tests.peers import drop_tenant

pytestmark = pytest.mark.e2e
ACCOUNT = "111111111111"
ECR = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
DEPLOY = ("name: deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1\n        with:\n"
          "          task-definition: task-definition.json\n          service: pay\n          cluster: prod\n")
PAY = {
    "name": "pay", "files": {".github/workflows/deploy.yml": DEPLOY, "CODEOWNERS": "* @deployco/payments\n"},
    "commits": [{"author": "alice", "date": "2026-10-02T09:00:00Z", "message": "retry payments"},
                {"author": "bob", "date": "2026-10-01T09:00:00Z", "message": "first"}],
    "deployments": [
        {"environment": "production", "created_at": "2026-10-01T10:00:00Z", "creator": "bob"},
        {"environment": "production", "created_at": "2026-10-02T10:00:00Z", "creator": "alice"},
        {"environment": "production", "created_at": "2026-10-02T12:00:00Z", "creator": "bob", "status": "failure"},
    ],
    "workflow_runs": [{"workflow": "deploy.yml", "created_at": "2026-10-02T09:05:00Z", "actor": "alice"}],
}
COMPANY = {
    "format": "roster-scenario/1", "name": "e2e-deploys",
    "aws": {"accounts": [{"id": ACCOUNT, "name": "prod", "regions": [{
        "name": "us-east-1",
        "ecs_clusters": [{"name": "prod", "services": [{"name": "pay", "image": f"{ECR}/pay:3.1.0"},
                                                       {"name": "ledger", "image": f"{ECR}/ledger:7.0.2"}]}],
        "lambdas": [{"name": "nightly-report", "tags": {"service": "nightly-report"}}],
        "ecr_repositories": ["pay", "ledger"],
    }]}]},
    "github": {"orgs": [{"login": "deployco", "members": [{"login": "alice"}, {"login": "bob"}],
                         "teams": [{"slug": "payments", "members": ["alice", "bob"], "repos": {"pay": "admin"}}],
                         "repos": [PAY]}]},
}


def discover(tenant, timeout=240) -> list[Run]:
    with tenant_context(tenant):
        with transaction.atomic():
            result = workflow.discover_workspace(Workspace.default(), trigger="test")
        ids = [r.pk for r in result["runs"]] + [result["reconcile_run"].pk]
        deadline = time.monotonic() + timeout
        while Run.objects.filter(pk__in=ids, status__in=ACTIVE_STATUSES).exists():
            assert time.monotonic() < deadline, "discovery did not finish"
            time.sleep(0.3)
        runs = list(Run.objects.filter(pk__in=ids))
    assert all(r.status == "succeeded" for r in runs), [(r.kind, r.status, r.failures) for r in runs]
    return runs


def head_commit(github_url: str, repo: str) -> str:
    with urllib.request.urlopen(urllib.request.Request(f"{github_url}/repos/{repo}/commits?per_page=1", headers={
            "Authorization": "token roster-demo-token"}), timeout=10) as response:
        return json.loads(response.read())[0]["sha"]


@pytest.fixture(scope="module")
def company(live_peers, live_workers, django_db_blocker):
    scenario = parse_scenario(yaml.safe_dump(COMPANY))
    with django_db_blocker.unblock():
        setup_tenant(scenario, aws_endpoint=live_peers["aws"], github_url=live_peers["github"],
                     tenant_name="e2e-deploys")
        tenant = Tenant.objects.get(name="e2e-deploys")
        with tenant_context(tenant):
            user, _ = get_user_model().objects.get_or_create(username="e2e-deploys-viewer")
            token = token_for(user, "viewer")
        client = APIClient(HTTP_HOST="e2e-deploys.localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        yield scenario, tenant, client
        drop_tenant(tenant)  # from the public schema: API requests leave the connection in the tenant's


def services(client) -> dict:
    listed = client.get("/api/v1/services/", {"limit": 100}).json()["results"]
    return {s["name"]: client.get(f"/api/v1/services/{s['id']}/").json() for s in listed}


def test_last_deploys_from_github_then_ecs_and_lambda_and_a_new_deploy_in_history(company, live_peers,
                                                                                   django_db_blocker):
    scenario, tenant, client = company
    with django_db_blocker.unblock():
        discover(tenant)
        found = services(client)
        assert {"pay", "ledger", "nightly-report"} <= set(found), sorted(found)

        # GitHub's word for pay: its latest successful production deployment (the failed one after it is not)
        pay = found["pay"]["last_deploy"]
        head = head_commit(live_peers["github"], "deployco/pay")
        assert (pay["source"], pay["by"], pay["environment"], pay["sha"], pay["ref"], pay["at"]) == \
            ("github_deployment", "alice", "production", head, "main", "2026-10-02T10:00:00Z")
        assert pay["url"].endswith("/deployco/pay/deployments/production")

        # no repository says anything about ledger: its ECS service's running deployment does
        ledger = found["ledger"]["last_deploy"]
        assert (ledger["source"], ledger["image_tag"], ledger["revision"]) == ("ecs", "7.0.2", "ledger:1")
        assert ledger["at"] and ledger["resource"].startswith(f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/prod/")
        report = found["nightly-report"]["last_deploy"]
        assert report["source"] == "lambda" and report["at"] and report["resource"].endswith(":function:nightly-report")

        # bob pushes and deploys: the next discovery moves pay's last deploy and its history says so
        later = copy.deepcopy(scenario)
        repo = later["github"]["orgs"][0]["repos"][0]
        repo["commits"].insert(0, {"author": "bob", "date": "2026-10-05T09:00:00Z", "message": "faster refunds"})
        repo["pushed_at"] = "2026-10-05T09:00:00Z"
        repo["deployments"].append({**repo["deployments"][0], "created_at": "2026-10-05T10:00:00Z", "creator": "bob"})
        load_github(later, live_peers["github"])
        discover(tenant)
        detail = services(client)["pay"]
        new_head = head_commit(live_peers["github"], "deployco/pay")
        assert new_head != head
        assert (detail["last_deploy"]["by"], detail["last_deploy"]["sha"]) == ("bob", new_head)
        events = client.get(f"/api/v1/services/{detail['id']}/events/").json()["results"]
        moved = [e for e in events if e["event_type"] == "service_updated" and e["field"] == "last_deploy"]
        assert [(e["old_value"]["sha"], e["new_value"]["sha"]) for e in moved] == [(head, new_head)]

        # nothing new: the next discovery records nothing more
        discover(tenant)
        events = client.get(f"/api/v1/services/{detail['id']}/events/").json()["results"]
        assert len([e for e in events if e["field"] == "last_deploy"]) == 1
