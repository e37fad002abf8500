"""Try to cross tenants through every entry point: API, admin, management commands, Celery tasks."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context
from accounts.testing import token_for
from rest_framework.test import APIClient

from discovery import runs
from discovery.models import Job, RunStatus
from discovery.tasks import run_job
from discovery.tests.factories import ConnectionFactory
from portal.workspaces.models import Workspace


@pytest.fixture
def world(tenant_alpha, tenant_beta):
    """One user, token and connection (with a queued run) in each tenant."""
    data = {}
    for tenant in (tenant_alpha, tenant_beta):
        with tenant_context(tenant):
            user = get_user_model().objects.create_user(f"user-{tenant.name}", password="pw", is_staff=True,
                                                        is_superuser=True)
            conn = ConnectionFactory(name=f"aws-{tenant.name}")
            run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
            data[tenant.name] = {"tenant": tenant, "token": token_for(user, "admin"), "conn": conn,
                                 "run": run, "job": run.jobs.get(), "workspace": Workspace.default()}
    return data


def api(host, token=None):
    client = APIClient(HTTP_HOST=host)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_api_token_of_one_tenant_is_unknown_in_another(world):
    assert api("alpha.localhost", world["alpha"]["token"]).get("/api/v1/connections/").status_code == 200
    assert api("beta.localhost", world["alpha"]["token"]).get("/api/v1/connections/").status_code == 401


def test_api_cannot_reach_another_tenants_objects(world):
    beta = api("beta.localhost", world["beta"]["token"])
    alpha_conn, alpha_run = world["alpha"]["conn"].pk, world["alpha"]["run"].pk
    assert beta.get(f"/api/v1/connections/{alpha_conn}/").status_code == 404
    assert beta.get(f"/api/v1/runs/{alpha_run}/").status_code == 404
    assert beta.post(f"/api/v1/connections/{alpha_conn}/discover/", {}, format="json").status_code == 404
    listed = beta.get("/api/v1/connections/").json()["results"]
    assert [c["name"] for c in listed] == ["aws-beta"]


def test_unknown_workspace_is_not_found(world):
    client = api("alpha.localhost", world["alpha"]["token"])
    assert client.get("/api/v1/connections/", {"workspace": "nope"}).status_code == 404


def test_unknown_host_gets_no_tenant_data(world):
    response = APIClient(HTTP_HOST="nobody.localhost").get("/api/v1/connections/")
    assert response.status_code == 404


def test_admin_session_does_not_cross_tenants(world):
    client = APIClient(HTTP_HOST="alpha.localhost")
    signed_in = client.post("/admin/login/", {"username": "user-alpha", "password": "pw", "next": "/admin/"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    alpha_conn = world["alpha"]["conn"].pk
    assert client.get("/admin/discovery/connection/").status_code == 200
    assert client.get(f"/admin/discovery/connection/{alpha_conn}/change/").status_code == 200
    client.defaults["HTTP_HOST"] = "beta.localhost"
    for url in ("/admin/discovery/connection/", f"/admin/discovery/connection/{alpha_conn}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_management_command_refuses_another_tenants_connection(world, capsys):
    with pytest.raises(CommandError, match="unknown connection"):
        call_command("discover", "beta", "--connection", str(world["alpha"]["conn"].pk))
    with pytest.raises(CommandError, match="no tenant named"):
        call_command("runs", "gamma")
    call_command("runs", "beta", "--json")
    out = capsys.readouterr().out
    assert str(world["beta"]["run"].pk) in out and str(world["alpha"]["run"].pk) not in out


def test_celery_task_refuses_a_payload_for_another_scope(world):
    alpha, beta = world["alpha"], world["beta"]
    payload = [alpha["tenant"].schema_name, str(alpha["workspace"].pk), str(alpha["run"].pk), str(alpha["job"].pk)]
    # Sent from beta's schema (the header says beta) with alpha's ids: refused.
    with tenant_context(beta["tenant"]):
        assert run_job.apply(args=payload).get() == "refused"
    # The header says alpha but the job id belongs to beta: refused.
    forged = [alpha["tenant"].schema_name, str(alpha["workspace"].pk), str(alpha["run"].pk), str(beta["job"].pk)]
    assert run_job.apply(args=forged, headers={"_schema_name": alpha["tenant"].schema_name}).get() == "refused"
    # Right schema, wrong workspace: refused.
    wrong_ws = [alpha["tenant"].schema_name, str(beta["workspace"].pk), str(alpha["run"].pk), str(alpha["job"].pk)]
    assert run_job.apply(args=wrong_ws, headers={"_schema_name": alpha["tenant"].schema_name}).get() == "refused"
    for tenant in ("alpha", "beta"):
        with tenant_context(world[tenant]["tenant"]):
            assert Job.objects.get(pk=world[tenant]["job"].pk).status == RunStatus.QUEUED
