"""An admin deletes a tenant's data: afterwards PostgreSQL, Redis and the search index hold nothing of it."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken
from accounts.testing import token_for
from discovery.tests.factories import GithubConnectionFactory
from portal.models import Domain, Tenant
from portal.redis_client import client as redis_client
from portal.tenancy import create_tenant
from search import cache as search_cache
from search.tests.factories import service, team

pytestmark = pytest.mark.django_db


@pytest.fixture
def doomed():
    tenant = create_tenant("doomed")
    with tenant_context(tenant):
        owner = team("payments")
        service("payment-gateway", owner=owner)
        GithubConnectionFactory(name="gh").set_secret({"token": "ghp_doomedDOOMEDdoomed0123456789"})
        admin_key = token_for(get_user_model().objects.create_user("boss"), "admin")
        viewer_key = token_for(get_user_model().objects.create_user("reader"), "viewer")
    return tenant, admin_key, viewer_key


def api(key):
    c = APIClient(HTTP_HOST="doomed.localhost")
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


def keys_of(schema):
    """Every key in Redis that names the schema, whatever its family (not the deletion's own patterns)."""
    return sorted(k.decode() for k in redis_client().scan_iter(match=f"*{schema}*", count=1000))


def test_admin_deletes_everything_of_the_tenant(doomed, tenant_alpha, django_capture_on_commit_callbacks):
    tenant, admin_key, _ = doomed
    schema = tenant.schema_name
    # Leave traces in Redis: a cached search answer, the search and token generations, the API's throttle.
    assert api(admin_key).get("/api/v1/services/search", {"q": "payment"}).status_code == 200
    assert api(admin_key).get("/api/v1/services/").status_code == 200
    with tenant_context(tenant):
        search_cache.bump(schema)
        with django_capture_on_commit_callbacks(execute=True):
            tokens.revoke(ApiToken.objects.get(user__username="reader"), actor="boss")
    before = keys_of(schema)
    assert {f"search:{schema}:generation", f"auth:{schema}:generation"} <= set(before), before
    assert any(k.startswith(f"search:{schema}:postgres:") for k in before), before  # the cached answer

    response = api(admin_key).post("/api/v1/tenant/delete/", {"confirm": "doomed", "reason": "test"}, format="json")
    assert response.status_code == 200, response.content

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [schema])
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [schema])
        assert cursor.fetchone()[0] == 0
    with schema_context("public"):
        assert not Tenant.objects.filter(name="doomed").exists()
        assert not Domain.objects.filter(domain="doomed.localhost").exists()
    assert keys_of(schema) == []
    assert APIClient(HTTP_HOST="doomed.localhost").get("/api/v1/services/").status_code in (401, 404)
    with tenant_context(tenant_alpha), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [tenant_alpha.schema_name])
        assert cursor.fetchone()[0] == 1  # the other tenants stay


def test_only_an_admin_may_and_only_by_naming_the_tenant(doomed):
    tenant, admin_key, viewer_key = doomed
    assert api(viewer_key).post("/api/v1/tenant/delete/", {"confirm": "doomed"}, format="json").status_code == 403
    assert api(admin_key).post("/api/v1/tenant/delete/", {"confirm": "alpha"}, format="json").status_code == 400
    assert api(admin_key).post("/api/v1/tenant/delete/", {}, format="json").status_code == 400
    with schema_context("public"):
        assert Tenant.objects.filter(name="doomed").exists()


def test_the_search_backend_is_told_to_drop_the_tenants_documents(doomed, monkeypatch):
    """Whatever the backend keeps outside the schema (Meilisearch's index) goes first, through search's receiver."""
    import search.backends

    dropped = []

    class Recording:
        def drop_tenant(self, schema):
            dropped.append(schema)

    monkeypatch.setattr(search.backends, "get_backend", lambda: Recording())
    tenant, admin_key, _ = doomed
    schema = tenant.schema_name
    assert api(admin_key).post("/api/v1/tenant/delete/", {"confirm": "doomed"}, format="json").status_code == 200
    assert dropped == [schema]
