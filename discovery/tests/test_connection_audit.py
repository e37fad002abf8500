"""Every create, update and delete of a connection through the API, and every change of its secret, is an audit
event: who, when, what changed (config keys with old and new values; a secret only as "replaced") and why."""
import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.testing import token_for
from audit.models import AuditEvent
from discovery import audit
from discovery.models import Connection
from discovery.tests.factories import ConnectionFactory, GithubConnectionFactory

URL = "/api/v1/connections/"
TOKEN = "ghp_" + "S3cr3tV4lue" * 3
AWS_CONFIG = {"account_id": "123456789012", "role_arn": "arn:aws:iam::123456789012:role/RosterDiscovery",
              "regions": ["us-east-1"]}


def api(username: str, role: str) -> APIClient:
    client = APIClient(HTTP_HOST="alpha.localhost")
    client.credentials(HTTP_AUTHORIZATION="Token " + token_for(get_user_model().objects.create_user(username), role))
    return client


@pytest.fixture
def admin(workspace):
    return api("ada", "admin")


def events(conn_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="connection", object_id=str(conn_id)).order_by("id"))


def assert_no_secret(event):
    text = json.dumps(event.data)
    assert TOKEN not in text and "S3cr3t" not in text and "ciphertext" not in text


def test_create_is_audited_with_config_and_reason(admin):
    response = admin.post(URL + "?reason=onboarding%20prod", {"provider": "aws", "name": "prod", "config": AWS_CONFIG,
                                                              "secret": {"access_key_id": "AKIA", "secret_access_key":
                                                                         TOKEN}}, format="json")
    assert response.status_code == 201, response.content
    [event] = events(response.json()["id"])
    assert event.action == "connection.created" and event.actor == "ada" and event.created_at
    assert event.workspace_id == Connection.objects.get(pk=event.object_id).workspace_id
    assert event.data["name"] == "prod" and event.data["provider"] == "aws" and event.data["enabled"] is True
    assert event.data["config"]["role_arn"] == AWS_CONFIG["role_arn"] and event.data["config"]["regions"] == [
        "us-east-1"]
    assert event.data["secret"] == "set" and event.data["reason"] == "onboarding prod"
    assert_no_secret(event)


def test_reason_in_the_body_is_taken_and_not_given_to_the_serializer(admin):
    response = admin.post(URL, {"provider": "github", "name": "gh", "config": {"org": "acme"},
                                "secret": {"token": TOKEN}, "reason": "new org"}, format="json")
    assert response.status_code == 201, response.content
    assert "reason" not in response.json()
    [event] = events(response.json()["id"])
    assert event.data["reason"] == "new org" and event.data["secret"] == "set"
    assert "reason" not in Connection.objects.get(pk=event.object_id).config
    assert_no_secret(event)


def test_update_records_changed_fields_and_config_keys(admin):
    conn = ConnectionFactory(name="aws-a", config=dict(AWS_CONFIG, environment="prod"))
    response = admin.patch(f"{URL}{conn.pk}/?reason=add%20eu", {
        "name": "aws-b", "config": {**AWS_CONFIG, "regions": ["us-east-1", "eu-west-1"], "kinds": ["ecs"]}},
        format="json")
    assert response.status_code == 200, response.content
    [event] = events(conn.pk)
    assert event.action == "connection.updated" and event.actor == "ada" and event.data["reason"] == "add eu"
    assert event.data["changes"] == {
        "name": {"old": "aws-a", "new": "aws-b"},
        "config": {
            "environment": {"old": "prod"},                                   # removed
            "kinds": {"new": ["ecs"]},                                        # added
            "regions": {"old": ["us-east-1"], "new": ["us-east-1", "eu-west-1"]},
        },
    }


def test_put_and_enabled_are_audited(admin):
    conn = ConnectionFactory(name="aws-a", config=AWS_CONFIG)
    response = admin.put(f"{URL}{conn.pk}/", {"provider": "aws", "name": "aws-a", "config": AWS_CONFIG,
                                              "enabled": False, "reason": "paused"}, format="json")
    assert response.status_code == 200, response.content
    [event] = events(conn.pk)
    assert event.data["changes"] == {"enabled": {"old": True, "new": False}} and event.data["reason"] == "paused"


def test_secret_change_is_its_own_event_without_the_value(admin):
    conn = GithubConnectionFactory(name="gh")
    conn.set_secret({"token": "old-token"})
    conn.save()
    response = admin.patch(f"{URL}{conn.pk}/", {"secret": {"token": TOKEN}, "reason": "rotation"}, format="json")
    assert response.status_code == 200, response.content
    updated, secret = events(conn.pk)
    assert updated.action == "connection.updated" and updated.data["changes"] == {}
    assert secret.action == "connection.secret_changed" and secret.actor == "ada"
    assert secret.data["secret"] == "replaced" and secret.data["reason"] == "rotation"
    for event in (updated, secret):
        assert_no_secret(event)
        assert "old-token" not in json.dumps(event.data)
    conn.refresh_from_db()
    assert conn.get_secret() == {"token": TOKEN}


def test_secret_set_and_removed(admin):
    conn = GithubConnectionFactory(name="gh")
    assert admin.patch(f"{URL}{conn.pk}/", {"secret": {"token": TOKEN}}, format="json").status_code == 200
    assert admin.patch(f"{URL}{conn.pk}/", {"secret": {}}, format="json").status_code == 200
    secret_events = [e.data["secret"] for e in events(conn.pk) if e.action == "connection.secret_changed"]
    assert secret_events == ["set", "removed"]
    assert not Connection.objects.get(pk=conn.pk).has_secret


def test_delete_is_audited_with_what_was_deleted(admin):
    conn = ConnectionFactory(name="aws-gone", config=AWS_CONFIG)
    conn.set_secret({"access_key_id": "AKIA", "secret_access_key": TOKEN})
    conn.save()
    response = admin.delete(f"{URL}{conn.pk}/?reason=account%20closed")
    assert response.status_code == 204, response.content
    assert not Connection.objects.filter(pk=conn.pk).exists()
    [event] = events(conn.pk)
    assert event.action == "connection.deleted" and event.actor == "ada"
    assert event.data["name"] == "aws-gone" and event.data["config"]["account_id"] == "123456789012"
    assert event.data["had_secret"] is True and event.data["reason"] == "account closed"
    assert_no_secret(event)


def test_events_are_in_the_audit_api(admin):
    conn = ConnectionFactory(name="aws-a", config=AWS_CONFIG)
    admin.patch(f"{URL}{conn.pk}/?reason=why", {"enabled": False}, format="json")
    body = admin.get("/api/v1/audit-events/", {"object_type": "connection", "object_id": str(conn.pk)}).json()
    [event] = body["results"]
    assert event["action"] == "connection.updated" and event["actor"] == "ada"


def test_refused_changes_leave_no_event(admin, workspace):
    conn = ConnectionFactory(name="aws-a", config=AWS_CONFIG)
    editor = api("eddie", "editor")
    assert editor.patch(f"{URL}{conn.pk}/", {"enabled": False}, format="json").status_code == 403
    assert editor.delete(f"{URL}{conn.pk}/").status_code == 403
    assert admin.patch(f"{URL}{conn.pk}/", {"config": {"account_id": "nope"}}, format="json").status_code == 400
    assert admin.post(URL, {"provider": "aws", "name": "x", "config": {}}, format="json").status_code == 400
    assert events(conn.pk) == []
    assert not AuditEvent.objects.filter(action__startswith="connection.").exists()


@pytest.mark.parametrize("reason", ["x" * 501, "nul\x00byte", {"not": "text"}])
def test_a_bad_reason_is_a_400_and_changes_nothing(admin, reason):
    conn = ConnectionFactory(name="aws-a", config=AWS_CONFIG)
    response = admin.patch(f"{URL}{conn.pk}/", {"enabled": False, "reason": reason}, format="json")
    assert response.status_code == 400 and "reason" in response.json(), response.content
    assert Connection.objects.get(pk=conn.pk).enabled is True
    assert events(conn.pk) == []
    assert admin.delete(f"{URL}{conn.pk}/", {"reason": reason}, format="json").status_code == 400
    assert Connection.objects.filter(pk=conn.pk).exists()


# --- the plain functions (the admin uses them too) ---------------------------------------------------------

def test_secret_looking_config_keys_are_redacted():
    old = {"org": "acme", "client_secret": "a", "nested": {"api_key": "b", "url": "u"}}
    new = {"org": "acme2", "client_secret": "c", "nested": {"api_key": "d", "url": "u"}}
    assert audit.config_changes(old, new) == {
        "client_secret": {"old": "[redacted]", "new": "[redacted]"},
        "nested": {"old": {"api_key": "[redacted]", "url": "u"}, "new": {"api_key": "[redacted]", "url": "u"}},
        "org": {"old": "acme", "new": "acme2"},
    }
    assert audit.redact({"Token": "t", "password": "p", "org": "o"}) == {
        "Token": "[redacted]", "password": "[redacted]", "org": "o"}


def test_secret_change_kinds():
    assert audit.secret_change(b"", b"") == "" and audit.secret_change(b"a", b"a") == ""
    assert audit.secret_change(b"", b"a") == "set"
    assert audit.secret_change(b"a", b"b") == "replaced"
    assert audit.secret_change(b"a", b"") == "removed"


def test_functions_for_the_admin(workspace):
    conn = ConnectionFactory(name="aws-a", config=AWS_CONFIG)
    before = audit.snapshot(Connection.objects.get(pk=conn.pk))
    conn.config = dict(AWS_CONFIG, regions=["eu-west-1"])
    conn.set_secret({"access_key_id": "AKIA", "secret_access_key": TOKEN})
    conn.save()
    updated, secret = audit.connection_saved(conn, before, actor="admin-user", reason="via admin")
    assert updated.data["changes"] == {"config": {"regions": {"old": ["us-east-1"], "new": ["eu-west-1"]}}}
    assert secret.data == {"name": "aws-a", "secret": "set", "reason": "via admin"}
    assert updated.actor == secret.actor == "admin-user"



@pytest.mark.parametrize("field, value", [
    ("config", {"org": "acme", "note": "a\x00b"}),
    ("config", {"org": "acme", "na\x00me": 1}),
    ("config", {"org": "acme", "deep": [[[["\x00"]]]]}),
    ("config", {"org": "acme", "deep": json.loads("[" * 200 + "]" * 200)}),
    ("secret", {"token": "a\x00"}),
    ("secret", {"token": json.loads("[" * 200 + "]" * 200)}),
])
def test_config_and_secret_that_postgres_cannot_store_are_400_not_500(admin, field, value):
    conn = GithubConnectionFactory(name="gh")
    body = {"provider": "github", "name": "new", "config": {"org": "acme"}, field: value}
    response = admin.post(URL, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    response = admin.patch(f"{URL}{conn.pk}/", {field: value}, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert events(conn.pk) == [] and not Connection.objects.filter(name="new").exists()
