"""The admin's connection form: the ExternalId is not editable, config passes the same policy as the API."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from discovery.models import Connection
from discovery.tests.factories import ConnectionFactory, GithubConnectionFactory

RUNS_INLINE = {"runs-TOTAL_FORMS": "0", "runs-INITIAL_FORMS": "0", "runs-MIN_NUM_FORMS": "0",
               "runs-MAX_NUM_FORMS": "0"}


@pytest.fixture
def operator(workspace):
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(get_user_model().objects.create_superuser("conn-operator", password="pw"))
    return client


def change(operator, conn, **fields):
    data = {"workspace": str(conn.workspace_id), "name": conn.name, "config": json.dumps(conn.config),
            "enabled": "on", **RUNS_INLINE, **fields}
    return operator.post(reverse("admin:discovery_connection_change", args=[conn.pk]), data)


def test_change_form_cannot_set_the_external_id(operator):
    conn = ConnectionFactory()
    generated = conn.external_id
    page = operator.get(reverse("admin:discovery_connection_change", args=[conn.pk])).content.decode()
    assert generated in page and 'name="external_id"' not in page  # shown, not an input
    response = change(operator, conn, external_id="victim-id",
                      config=json.dumps({**conn.config, "external_id": "victim-id"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    conn.refresh_from_db()
    assert conn.external_id == generated and "external_id" not in conn.config


def test_change_form_refuses_a_foreign_base_url_and_keeps_the_provider(operator):
    conn = GithubConnectionFactory()
    response = change(operator, conn, provider="aws",
                      config=json.dumps({"org": "acme", "base_url": "https://attacker.example/api/v3"}),
                      secret_token="ghp_new")
    assert response.status_code == 200 and "not a GitHub API this Roster allows" in response.content.decode()
    conn.refresh_from_db()
    assert "base_url" not in conn.config and conn.provider == "github"


def test_add_form_generates_an_external_id(operator, workspace):
    data = {"workspace": str(workspace.pk), "provider": "aws", "name": "added", "enabled": "on", **RUNS_INLINE,
            "config": json.dumps({"account_id": "111111111111", "external_id": "victim-id",
                                  "role_arn": "arn:aws:iam::111111111111:role/RosterDiscovery"})}
    response = operator.post(reverse("admin:discovery_connection_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    conn = Connection.objects.get(name="added")
    assert conn.external_id.startswith("roster-") and "external_id" not in conn.config


def test_admin_changes_are_audit_events_without_the_secret(operator):
    from audit.models import AuditEvent

    conn = GithubConnectionFactory()
    response = change(operator, conn, config=json.dumps({**conn.config, "include_archived": True}),
                      secret_token="ghp_replacedREPLACED0123456789")
    assert response.status_code == 302, response.content.decode()[:2000]
    events = {e.action: e for e in AuditEvent.objects.filter(object_id=str(conn.pk))}
    assert set(events) >= {"connection.updated", "connection.secret_changed"}
    assert events["connection.updated"].actor == "conn-operator"
    assert "ghp_replaced" not in json.dumps([e.data for e in events.values()])


def test_a_nul_in_the_admins_json_config_is_a_form_error_not_a_server_error(operator):
    conn = ConnectionFactory()
    response = change(operator, conn, config=json.dumps({**conn.config, "note": "a\x00b"}))
    assert response.status_code == 200 and "NUL" in response.content.decode()
