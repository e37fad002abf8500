"""API tokens: stored hashed, expiring, read-only, revocable; lookups remembered per process but never past a
revocation, in this process or another."""
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts import authentication, tokens
from accounts.models import ApiToken
from accounts.testing import token_for

URL = "/api/v1/services/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(tenant_alpha, tenant_beta):
    found = {}
    for tenant in (tenant_alpha, tenant_beta):
        with tenant_context(tenant):
            found[tenant.name] = token_for(get_user_model().objects.create_user(f"dev-{tenant.name}"), "viewer")
    return found


def call(tenant_name, key, method="get", url=URL, scheme="Token"):
    client = APIClient(HTTP_HOST=f"{tenant_name}.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return getattr(client, method)(url)


def token_queries(key, tenant_name="alpha"):
    with CaptureQueriesContext(connection) as queries:
        assert call(tenant_name, key).status_code == 200
    return [q["sql"] for q in queries if "accounts_apitoken" in q["sql"]]


def test_only_a_digest_of_the_key_is_stored(keys, tenant_alpha):
    with tenant_context(tenant_alpha), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    assert rows and not any(keys["alpha"] in str(value) for row in rows for value in row)
    with tenant_context(tenant_alpha):
        assert ApiToken.objects.get().digest == hashlib.sha256(keys["alpha"].encode()).hexdigest()


def test_bearer_scheme_is_accepted_too(keys):
    assert call("alpha", keys["alpha"], scheme="Bearer").status_code == 200


def test_a_known_token_is_looked_up_once_then_remembered(keys):
    assert len([q for q in token_queries(keys["alpha"]) if q.startswith("SELECT")]) == 1
    assert token_queries(keys["alpha"]) == []


def test_each_request_gets_its_own_user_object(keys):
    users = [call("alpha", keys["alpha"]).wsgi_request.user for _ in range(2)]
    assert users[0].username == users[1].username == "dev-alpha" and users[0].pk == users[1].pk
    assert users[0] is not users[1]


def test_revoking_refuses_the_token_at_once(keys, tenant_alpha):
    assert call("alpha", keys["alpha"]).status_code == 200
    with tenant_context(tenant_alpha):
        assert tokens.revoke(ApiToken.objects.get(), actor="test")
        assert ApiToken.objects.get().revoked_at is not None  # kept for the audit trail
    assert call("alpha", keys["alpha"]).status_code == 401


def test_a_revocation_by_another_process_is_refused_at_once(keys, tenant_alpha):
    """The other process's revocation reaches us through the Redis generation, not through our signals."""
    assert call("alpha", keys["alpha"]).status_code == 200
    with tenant_context(tenant_alpha), connection.cursor() as cursor:  # no signal here: as another process
        cursor.execute("UPDATE accounts_apitoken SET revoked_at = now()")
    assert call("alpha", keys["alpha"]).status_code == 200  # remembered, and nobody said otherwise
    with tenant_context(tenant_alpha):
        authentication.client().incr(authentication._generation_key(tenant_alpha.schema_name))
    assert authentication._entries  # our entry is still here...
    assert call("alpha", keys["alpha"]).status_code == 401  # ...but is no longer believed


def test_a_revocation_bumps_the_generation_when_it_commits(keys, tenant_alpha, django_capture_on_commit_callbacks):
    with tenant_context(tenant_alpha):
        before = int(authentication._generation() or 0)
        with django_capture_on_commit_callbacks(execute=True):
            tokens.revoke(ApiToken.objects.get(), actor="test")
        assert int(authentication._generation()) == before + 1


def test_a_lookup_racing_a_revocation_cannot_cache_it_back_to_life(keys, tenant_alpha, monkeypatch):
    """Generation read, then the token is revoked and the generation bumped, then our lookup lands: the entry
    it stores carries the old generation and is never used."""
    real_generation = authentication._generation
    with tenant_context(tenant_alpha):
        stale = real_generation()

    def racing():
        return stale

    monkeypatch.setattr(authentication, "_generation", racing)
    assert call("alpha", keys["alpha"]).status_code == 200  # stored under the stale generation
    monkeypatch.setattr(authentication, "_generation", real_generation)
    with tenant_context(tenant_alpha), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_apitoken SET revoked_at = now()")
        authentication.client().incr(authentication._generation_key(tenant_alpha.schema_name))
    assert call("alpha", keys["alpha"]).status_code == 401


def test_deactivating_the_user_refuses_the_token_at_once(keys, tenant_alpha):
    assert call("alpha", keys["alpha"]).status_code == 200
    with tenant_context(tenant_alpha):
        user = get_user_model().objects.get(username="dev-alpha")
        user.is_active = False
        user.save()
    assert call("alpha", keys["alpha"]).status_code == 401


def test_an_expired_token_is_refused_even_when_remembered(keys, tenant_alpha):
    assert call("alpha", keys["alpha"]).status_code == 200
    with tenant_context(tenant_alpha), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_apitoken SET expires_at = now() - interval '1 second'")
    # the remembered entry holds the old expiry; the database's answer decides once it is refreshed
    authentication._entries.clear()
    assert call("alpha", keys["alpha"]).status_code == 401


def test_a_token_issued_with_an_expiry_stops_working_at_it(tenant_alpha, monkeypatch):
    with tenant_context(tenant_alpha):
        key = token_for(get_user_model().objects.create_user("short"), "viewer", expires_in_days=1)
    assert call("alpha", key).status_code == 200
    later = timezone.now() + timezone.timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert call("alpha", key).status_code == 401


def test_a_read_only_token_cannot_write_whatever_the_role(tenant_alpha):
    with tenant_context(tenant_alpha):
        key = token_for(get_user_model().objects.create_user("ro-admin"), "admin", read_only=True)
    assert call("alpha", key, url="/api/v1/connections/").status_code == 200
    response = call("alpha", key, method="post", url="/api/v1/discovery/run/")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]


def test_failures_are_never_remembered(keys, tenant_alpha, monkeypatch):
    key = "rst_" + "0" * 40
    assert call("alpha", key).status_code == 401
    with tenant_context(tenant_alpha):
        ApiToken.objects.create(user=get_user_model().objects.create_user("late"), prefix=key[:12],
                                digest=tokens.digest(key))
    assert call("alpha", key).status_code == 200


def test_a_token_remembered_in_one_tenant_is_unknown_in_another(keys):
    assert call("alpha", keys["alpha"]).status_code == 200
    assert call("beta", keys["alpha"]).status_code == 401
    assert call("beta", keys["beta"]).status_code == 200
    assert call("alpha", keys["beta"]).status_code == 401


def test_zero_seconds_turns_the_cache_off(keys, settings):
    settings.AUTH_CACHE_SECONDS = 0
    assert len([q for q in token_queries(keys["alpha"]) if q.startswith("SELECT")]) == 1
    assert len([q for q in token_queries(keys["alpha"]) if q.startswith("SELECT")]) == 1


def test_redis_down_falls_back_to_the_database(keys, monkeypatch):
    monkeypatch.setattr(authentication, "_generation", lambda: None)
    assert call("alpha", keys["alpha"]).status_code == 200
    assert len([q for q in token_queries(keys["alpha"]) if q.startswith("SELECT")]) == 1
