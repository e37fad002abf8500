"""The role table (accounts.policy) walked completely: every API operation in the URL conf, with a token of
every role, and every admin page of every registered model, with a session of every role."""
import re
import uuid

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts import policy
from accounts.roles import Role, set_role
from accounts.testing import token_for

pytestmark = pytest.mark.django_db
ROLES = [Role.VIEWER, Role.EDITOR, Role.ADMIN]  # lowest first: each role can do what the ones before it can


def holds(role, required) -> bool:
    """The expectation, from the documented order above (not accounts.roles.at_least, which is under test)."""
    return role is not None and ROLES.index(role) >= ROLES.index(required)


PLACEHOLDER = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")
SKIP_FORMAT_SUFFIX = re.compile(r"<(\w+:)?format>")  # DRF's ".json" twins of each route


def api_operations():
    """(url_name, method, path) for every API route of the tenant URL conf, from the resolver itself."""
    found, seen = [], set()

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if not route.lstrip("^").startswith("api/v1/") or SKIP_FORMAT_SUFFIX.search(route):
                    continue
                for method in methods_of(entry.callback):
                    if (entry.name, method) not in seen:
                        seen.add((entry.name, method))
                        found.append((entry.name, method, concrete(route)))

    walk(get_resolver("portal.urls").url_patterns, "")
    return found


def methods_of(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # a ViewSet route: its method -> action map
        return sorted(m.upper() for m in actions)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return sorted(m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m))


def concrete(route: str) -> str:
    path = route.replace("^", "").replace("$", "").replace("\\", "").replace("/?", "/")
    return "/" + PLACEHOLDER.sub(lambda m: str(uuid.uuid4()) if (m.group(1) or m.group(2)) == "pk" else "x", path)


OPERATIONS = api_operations()


def test_every_route_is_in_the_table_and_every_entry_is_a_route():
    routes = {(name, method) for name, method, _ in OPERATIONS}
    table = {(name, method) for name, methods in policy.API.items() for method in methods}
    documented_elsewhere = {("api-schema", "GET"), ("api-docs", "GET")}
    assert routes - table == set(), "routes with no role in accounts.policy.API (refused to everyone)"
    assert table - routes - documented_elsewhere == set(), "policy entries that are no route"
    assert len(routes) >= 30


@pytest.fixture
def clients(tenant_alpha):
    made = {}
    with tenant_context(tenant_alpha):
        for role in ROLES:
            client = APIClient(HTTP_HOST="alpha.localhost")
            client.credentials(HTTP_AUTHORIZATION="Token " + token_for(get_user_model().objects.create_user(
                f"matrix-{role}"), role))
            made[role] = client
    made[None] = APIClient(HTTP_HOST="alpha.localhost")
    return made


@pytest.mark.parametrize("name,method,path", OPERATIONS, ids=[f"{m} {n}" for n, m, _ in OPERATIONS])
def test_each_role_gets_exactly_what_the_table_gives(clients, name, method, path):
    required = policy.api_requirement(name, method)
    for role in [None, *ROLES]:
        response = getattr(clients[role], method.lower())(path, data={}, format="json")
        if required == policy.PUBLIC:
            assert response.status_code not in (401, 403), (role, response.status_code)
        elif role is None:
            assert response.status_code == 401, response.status_code
        elif holds(role, required):
            assert response.status_code not in (401, 403), (role, response.status_code, response.content[:200])
            assert response.status_code < 500
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert f"it needs {required}" in response.json()["detail"]


# --- the admin ------------------------------------------------------------------------------------------------

@pytest.fixture
def admin_clients(tenant_alpha):
    from django.test import Client

    made = {}
    with tenant_context(tenant_alpha):
        for role in ROLES:
            user = get_user_model().objects.create_user(f"admin-{role}", password="x")
            set_role(user, role)
            client = Client(HTTP_HOST="alpha.localhost")
            client.force_login(user)
            made[role] = client
    return made


def admin_models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_beat_tables_are_not_in_any_tenant_admin():
    labels = {model._meta.app_label for model, _ in admin_models()}
    assert "django_celery_beat" not in labels


@pytest.mark.parametrize("model,model_admin", admin_models(), ids=[m._meta.label for m, _ in admin_models()])
def test_admin_pages_follow_the_table(admin_clients, model, model_admin):
    opts = model._meta
    for role in ROLES:
        def allowed(action):
            required = policy.ADMIN_SITE.get(f"{opts.app_label}.{action}_{opts.model_name}")
            return required is not None and holds(role, required)

        client = admin_clients[role]
        listing = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert listing.status_code == (200 if allowed("view") or allowed("change") else 403), (role, listing)
        adding = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        if not allowed("add"):
            assert adding.status_code == 403, (role, adding.status_code)


def test_admin_correction_page_needs_an_editor(admin_clients, tenant_alpha):
    from search.tests.factories import service as make_service

    with tenant_context(tenant_alpha):
        service = make_service("checkout-api")
    url = reverse("admin:catalog_service_correct", args=[service.pk])
    assert admin_clients[Role.VIEWER].get(url).status_code == 403
    assert admin_clients[Role.EDITOR].get(url).status_code == 200
    listing = admin_clients[Role.VIEWER].get(reverse("admin:catalog_service_changelist")).content.decode()
    assert "/correct/" not in listing


def test_each_role_can_do_what_the_one_below_can_and_no_more(clients):
    """The order of the roles, seen through the API: a read everyone has, an editor's list, two admins' lists.
    Hand-written, so a wrong ranking of the roles fails here even though the matrices above follow the table."""
    expected = {  # (method, path) -> status for None (anonymous), viewer, editor, admin
        ("get", "/api/v1/services/"): (401, 200, 200, 200),
        ("get", "/api/v1/connections/"): (401, 403, 200, 200),
        ("get", "/api/v1/tokens/"): (401, 403, 403, 200),
        ("get", "/api/v1/audit-events/"): (401, 403, 403, 200),
    }
    for (method, path), statuses in expected.items():
        got = tuple(getattr(clients[role], method)(path).status_code for role in [None, *ROLES])
        assert got == statuses, (path, got)


def test_admin_actions_are_offered_by_role(admin_clients, tenant_alpha):
    """"Run discovery now" and "Cancel" are editors'; the role template is admins'."""
    from discovery.tests.factories import ConnectionFactory

    from discovery import runs

    with tenant_context(tenant_alpha):
        conn = ConnectionFactory(name="acts")
        runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
    changelist = reverse("admin:discovery_connection_changelist")
    editor_page = admin_clients[Role.EDITOR].get(changelist).content.decode()
    assert "run_now" in editor_page
    runs_page = admin_clients[Role.VIEWER].get(reverse("admin:discovery_run_changelist")).content.decode()
    assert 'value="cancel"' not in runs_page
    assert 'value="cancel"' in admin_clients[Role.EDITOR].get(reverse("admin:discovery_run_changelist")).content.decode()
    template = reverse("admin:discovery_connection_template", args=[conn.pk])
    assert admin_clients[Role.EDITOR].get(template).status_code == 403
    assert admin_clients[Role.ADMIN].get(template).status_code == 200
    refused = admin_clients[Role.VIEWER].post(changelist, {"action": "run_now", "_selected_action": [conn.pk]})
    assert refused.status_code == 403
