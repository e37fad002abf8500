"""Seed the local peers from a scenario and connect a tenant to them (the demo and end-to-end tests)."""
from __future__ import annotations

import json
import urllib.request

from django.db import transaction

from discovery.models import Connection, Provider
from portal.tenancy import create_tenant, tenant_scope
from portal.workspaces.models import Workspace

DEMO_GITHUB_TOKEN = "roster-demo-token"
ENVIRONMENTS = ("prod", "production", "staging", "stage", "dev", "development", "test", "qa", "sandbox")


def load_github(scenario: dict, emulator_url: str) -> None:
    body = json.dumps(scenario).encode()
    request = urllib.request.Request(f"{emulator_url.rstrip('/')}/_emulator/scenario", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def setup_tenant(scenario: dict, *, aws_endpoint: str, github_url: str, reset: bool = True,
                 tenant_name: str | None = None) -> dict:
    """Create (or reset) the tenant named after the scenario, load both peers and create one connection per
    AWS account plus one per GitHub org. Returns {"tenant", "aws": report, "connections": [...]}

    The AWS connections carry no endpoint: workers scan the operator's ROSTER_AWS_ENDPOINT_URL, which must
    lead to ``aws_endpoint`` (directly or through a proxy). Each gets its own generated ExternalId."""
    from peers.aws_loader import load_aws

    name = tenant_name or scenario["name"]
    create_tenant(name, reset=reset)
    report = load_aws(scenario, aws_endpoint) if scenario["aws"]["accounts"] else None
    if scenario["github"]["orgs"]:
        load_github(scenario, github_url)
    created = []
    with tenant_scope(name), transaction.atomic():
        workspace = Workspace.default()
        for account in scenario["aws"]["accounts"]:
            conn = Connection(workspace=workspace, provider=Provider.AWS, name=f"aws-{account['name']}-{account['id']}",
                              config={
                                  "account_id": account["id"],
                                  "role_arn": report.role_arn(account["id"]),
                                  "regions": [r["name"] for r in account["regions"]] or ["us-east-1"],
                                  **({"environment": account["name"]} if account["name"] in ENVIRONMENTS else {}),
                              })
            conn.set_secret({"access_key_id": "roster-local", "secret_access_key": "roster-local"})
            conn.save()
            created.append(conn)
        for org in scenario["github"]["orgs"]:
            # The emulator is allowed as base_url only in local peers mode, where it is the operator's
            # ROSTER_GITHUB_EMULATOR_URL (discovery.endpoints).
            conn = Connection(workspace=workspace, provider=Provider.GITHUB, name=f"github-{org['login']}",
                              config={"org": org["login"], "base_url": github_url.rstrip("/"), "auth": "token"})
            conn.set_secret({"token": DEMO_GITHUB_TOKEN})
            conn.save()
            created.append(conn)
    return {"tenant": name, "aws": report, "connections": [str(c.pk) for c in created]}

