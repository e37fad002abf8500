"""Users, roles, tokens and the audit trail through the API: what an admin does, and what it leaves behind."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.roles import role_of
from accounts.testing import token_for
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def api(key):
    c = APIClient(HTTP_HOST="alpha.localhost")
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


@pytest.fixture
def admin_key(in_alpha):
    return token_for(get_user_model().objects.create_user("root-admin"), "admin")


def test_issue_list_use_and_revoke_a_token(admin_key):
    get_user_model().objects.create_user("dev")
    created = api(admin_key).post("/api/v1/tokens/", {"username": "dev", "name": "ci", "expires_in_days": 30},
                                  format="json")
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith("rst_") and body["prefix"] == key[:12] and body["expires_at"]
    listed = api(admin_key).get("/api/v1/tokens/").json()["results"]
    assert all("key" not in t and "digest" not in t for t in listed)
    assert api(key).get("/api/v1/me/").json()["username"] == "dev"
    assert api(admin_key).delete(f"/api/v1/tokens/{body['id']}/?reason=leaked").status_code == 204
    assert api(key).get("/api/v1/me/").status_code == 401
    actions = list(AuditEvent.objects.filter(object_id=body["id"]).values_list("action", flat=True))
    assert sorted(actions) == ["token.created", "token.revoked"]
    assert AuditEvent.objects.get(action="token.revoked").data["reason"] == "leaked"


def test_role_changes_are_audited_with_who_and_why(admin_key):
    dev = get_user_model().objects.create_user("dev")
    response = api(admin_key).patch(f"/api/v1/users/{dev.pk}/", {"role": "editor", "teams": ["payments"],
                                                                  "reason": "on-call lead"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "editor"
    assert response.json()["teams"] == ["payments"]
    event = AuditEvent.objects.get(action="user.role_changed", object_id=str(dev.pk))
    assert (event.actor, event.data["old"], event.data["new"], event.data["reason"]) == \
        ("root-admin", None, "editor", "on-call lead")
    dev.refresh_from_db()
    assert role_of(dev) == "editor"


def test_an_admin_cannot_demote_or_deactivate_themselves(admin_key):
    me = api(admin_key).get("/api/v1/me/").json()
    assert api(admin_key).patch(f"/api/v1/users/{me['id']}/", {"role": "viewer"}, format="json").status_code == 400
    assert api(admin_key).patch(f"/api/v1/users/{me['id']}/", {"is_active": False},
                                format="json").status_code == 400


def test_api_token_command_gives_the_role_asked_and_no_superuser(in_alpha, capsys):
    call_command("api_token", "alpha", "ops", "--role", "editor", "--read-only", "--expires-days", "1")
    key = capsys.readouterr().out.strip()
    user = get_user_model().objects.get(username="ops")
    assert role_of(user) == "editor" and not user.is_superuser
    token = ApiToken.objects.get(user=user)
    assert token.read_only and token.expires_at is not None
    assert api(key).get("/api/v1/me/").json()["role"] == "editor"


def test_limit_is_capped(admin_key):
    from catalog.models import Service

    Service.objects.bulk_create([Service(name=f"svc-{i:04d}", key=f"svc-{i:04d}") for i in range(520)])
    body = api(admin_key).get("/api/v1/services/", {"limit": 100000}).json()
    assert body["count"] == 520 and len(body["results"]) == 500 and "limit=500" in body["next"]


def test_me_needs_a_sign_in():
    assert APIClient(HTTP_HOST="alpha.localhost").get("/api/v1/me/").status_code == 401
