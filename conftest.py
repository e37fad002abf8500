"""Shared pytest plugin: tenant schemas are created once per test session in the test database."""
import pytest
from django_tenants.utils import tenant_context

TEST_TENANTS = ("alpha", "beta")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from portal.tenancy import create_tenant, ensure_public_tenant

    with django_db_blocker.unblock():
        ensure_public_tenant()
        for name in TEST_TENANTS:
            create_tenant(name)
    yield


@pytest.fixture
def tenant_alpha(db):
    from portal.tenancy import get_tenant

    return get_tenant("alpha")


@pytest.fixture
def tenant_beta(db):
    from portal.tenancy import get_tenant

    return get_tenant("beta")


@pytest.fixture
def in_alpha(tenant_alpha):
    """Run the test inside tenant alpha's schema (changes roll back with the test transaction)."""
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


@pytest.fixture(autouse=True)
def _fresh_tenant_cache():
    """Tests create and drop tenants and users: start each with empty host -> tenant and token caches."""
    from accounts.authentication import forget_tokens
    from portal.middleware import forget_tenants

    forget_tenants()
    forget_tokens()
    yield
