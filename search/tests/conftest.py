"""Search test fixtures on top of the shared plugin (/conftest.py: tenants alpha and beta, created once
per session in the test database; portal.settings_test: Redis db 1)."""
from contextlib import contextmanager

import pytest
from django_tenants.utils import tenant_context


@pytest.fixture
def alpha(tenant_alpha):
    return tenant_alpha


@pytest.fixture
def beta(tenant_beta):
    return tenant_beta


@pytest.fixture(autouse=True)
def _cold_search_cache():
    """The test database rolls back after each test, Redis does not, and on_commit (which invalidates the
    cache) never runs inside a test's transaction: start every test with a cold cache for both tenants."""
    from portal.tenancy import schema_for
    from search import cache

    for name in ("alpha", "beta"):
        cache.bump(schema_for(name))


@contextmanager
def inside(tenant):
    with tenant_context(tenant):
        yield tenant


@pytest.fixture
def eager_celery():
    """Run tasks in-process (still through apply_async, the tenant header and the task's schema check)."""
    from celery_app import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
