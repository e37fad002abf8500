"""Shared pytest plugin: tenant schemas are created once per test session in the test database."""
import pytest
from django_tenants.utils import tenant_context

TEST_TENANTS = ("alpha", "beta")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from portal.tenancy import create_tenant, ensure_public_tenant

    created = None
    with django_db_blocker.unblock():
        # pytest-django sets up only the databases its collected tests ask for by marker or fixture; a session of
        # end-to-end tests (which reach the database through their own processes) asks for none.
        if connection.settings_dict["NAME"] != connection.settings_dict["TEST"]["NAME"]:
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        ensure_public_tenant()
        for name in TEST_TENANTS:
            create_tenant(name)
    yield
    if created is not None:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _test_database_for_end_to_end(request):
    """pytest-django creates the test database only for a session with a test that asks for it; end-to-end tests
    reach it through their own processes, so a session of them alone would otherwise run against the
    development database. Set it up before any of their fixtures reads the database's name."""
    if any(item.get_closest_marker("e2e") for item in request.session.items):
        request.getfixturevalue("django_db_setup")


@pytest.fixture
def tenant_alpha(db):
    from portal.tenancy import get_tenant

    return get_tenant("alpha")


@pytest.fixture
def tenant_beta(db):
    from portal.tenancy import get_tenant

    return get_tenant("beta")


@pytest.fixture
def in_alpha(tenant_alpha, monkeypatch):
    """Run the test inside tenant alpha's schema (changes roll back with the test transaction).

    A job run in-process here keeps its lease for the whole test: the heartbeat renews from its own database
    connection, which cannot see rows of the uncommitted test transaction, so its first renewal would find
    no job and stop a scan that is merely slow (a loaded CI machine). The heartbeat has its own tests."""
    from discovery import runs

    monkeypatch.setattr(runs, "HEARTBEAT_SECONDS", 3600)
    with tenant_context(tenant_alpha):
        yield tenant_alpha


@pytest.fixture
def workspace(in_alpha):
    from portal.workspaces.models import Workspace

    return Workspace.default()


@pytest.fixture(scope="session")
def live_peers():
    """moto server + GitHub emulator as subprocesses, for the whole session."""
    from tests.peers import peers

    with peers() as urls:
        yield urls


@pytest.fixture(scope="session")
def live_workers(django_db_setup, django_db_blocker):
    """Real Celery workers on the test database (they see committed data only)."""
    from django.db import connection

    from tests.peers import workers

    with workers(connection.settings_dict["NAME"]) as proc:
        yield proc


@pytest.fixture(scope="session")
def live_web(live_peers, live_workers, django_db_setup):
    """A real Roster web server (gunicorn) on the test database; yields its port."""
    from django.db import connection

    from tests.peers import web_server

    with web_server(connection.settings_dict["NAME"]) as port:
        yield port


@pytest.fixture(autouse=True)
def _fresh_tenant_cache():
    """Tests create and drop tenants and users: start each with empty host -> tenant and token caches."""
    from accounts.authentication import forget_tokens
    from portal.middleware import forget_tenants

    forget_tenants()
    forget_tokens()
    yield
