"""API token lookups remembered in the process (portal.authentication): revocation, expiry, tenants."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal import authentication

URL = "/api/v1/connections/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(tenant_alpha, tenant_beta):
    keys = {}
    for tenant in (tenant_alpha, tenant_beta):
        with tenant_context(tenant):
            user = get_user_model().objects.create_user(f"dev-{tenant.name}")
            keys[tenant.name] = Token.objects.create(user=user).key
    return keys


def call(tenant_name, key):
    client = APIClient(HTTP_HOST=f"{tenant_name}.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(URL)


def token_queries(key, tenant_name="alpha"):
    with CaptureQueriesContext(connection) as queries:
        assert call(tenant_name, key).status_code == 200
    return [q["sql"] for q in queries if "authtoken_token" in q["sql"]]


def test_a_known_token_is_looked_up_once_then_remembered(tokens):
    assert len(token_queries(tokens["alpha"])) == 1
    assert token_queries(tokens["alpha"]) == []


def test_each_request_gets_its_own_user_object(tokens):
    request_users = []
    for _ in range(2):
        client = APIClient(HTTP_HOST="alpha.localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens['alpha']}")
        response = client.get(URL)
        request_users.append(response.wsgi_request.user)
    first, second = request_users
    assert first.username == second.username == "dev-alpha" and first.pk == second.pk
    assert first is not second


def test_deleting_the_token_refuses_it_at_once(tokens, tenant_alpha):
    assert call("alpha", tokens["alpha"]).status_code == 200
    with tenant_context(tenant_alpha):
        Token.objects.filter(key=tokens["alpha"]).delete()
    assert call("alpha", tokens["alpha"]).status_code == 401


def test_deactivating_the_user_refuses_the_token_at_once(tokens, tenant_alpha):
    assert call("alpha", tokens["alpha"]).status_code == 200
    with tenant_context(tenant_alpha):
        user = Token.objects.get(key=tokens["alpha"]).user
        user.is_active = False
        user.save()
    assert call("alpha", tokens["alpha"]).status_code == 401


def test_a_revocation_made_by_another_process_holds_once_the_entry_expires(tokens, tenant_alpha, monkeypatch,
                                                                          settings):
    settings.AUTH_CACHE_SECONDS = 10
    now = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: now[0])
    assert call("alpha", tokens["alpha"]).status_code == 200
    with tenant_context(tenant_alpha), connection.cursor() as cursor:  # no signal: as if another process did it
        cursor.execute("DELETE FROM authtoken_token WHERE key = %s", [tokens["alpha"]])
    now[0] += 9
    assert call("alpha", tokens["alpha"]).status_code == 200  # still within AUTH_CACHE_SECONDS
    now[0] += 2
    assert call("alpha", tokens["alpha"]).status_code == 401


def test_failures_are_never_remembered(tokens, tenant_alpha):
    assert call("alpha", "0" * 40).status_code == 401
    with tenant_context(tenant_alpha):
        Token.objects.create(key="0" * 40, user=get_user_model().objects.create_user("late"))
    assert call("alpha", "0" * 40).status_code == 200


def test_a_token_remembered_in_one_tenant_is_unknown_in_another(tokens):
    assert call("alpha", tokens["alpha"]).status_code == 200
    assert call("beta", tokens["alpha"]).status_code == 401
    assert call("beta", tokens["beta"]).status_code == 200
    assert call("alpha", tokens["beta"]).status_code == 401


def test_zero_seconds_turns_the_cache_off(tokens, settings):
    settings.AUTH_CACHE_SECONDS = 0
    assert len(token_queries(tokens["alpha"])) == 1
    assert len(token_queries(tokens["alpha"])) == 1
