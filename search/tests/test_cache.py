"""Hot-query cache: per tenant, invalidated by any indexed change of that tenant only."""
import time
import uuid

import pytest
import redis

from search import cache, indexing
from search.backends.base import SearchQuery
from search.query import search
from search.tests import factories
from search.tests.conftest import inside

pytestmark = pytest.mark.django_db


def test_the_suites_cache_writes_land_in_redis_db_1_never_in_the_demos_db_0():
    """portal.settings_test moves the suite to db 1 so that a running demo (db 0) keeps its cache: look in both."""
    schema = f"t_probe_{uuid.uuid4().hex[:12]}"
    server = redis.Redis.from_url(cache.redis_url()).connection_pool.connection_kwargs
    db = {n: redis.Redis(host=server["host"], port=server["port"], password=server.get("password"), db=n)
          for n in (0, 1)}
    try:
        cache.bump(schema)
        assert db[1].exists(f"search:{schema}:generation") == 1
        assert db[0].exists(f"search:{schema}:generation") == 0
    finally:
        db[1].delete(f"search:{schema}:generation")


def test_repeated_queries_are_served_from_the_cache_until_the_tenant_changes(
        alpha, beta, django_capture_on_commit_callbacks):
    query = SearchQuery(q="ledger")
    with inside(beta), django_capture_on_commit_callbacks(execute=True):
        factories.service("ledger-in-beta")
        indexing.rebuild()
    with inside(beta):
        assert search(query)["cached"] is False
        assert search(query)["cached"] is True

    with inside(alpha), django_capture_on_commit_callbacks(execute=True):
        svc = factories.service("order-ledger")
        indexing.rebuild()
    with inside(alpha):
        first = search(query)
        assert [h["name"] for h in first["hits"]] == ["order-ledger"]
        assert search(query)["cached"] is True
        assert search(SearchQuery(q="LEDGER  "))["cached"] is True  # same query once folded and trimmed
        assert search(SearchQuery(q="ledger", limit=3))["cached"] is False

        with django_capture_on_commit_callbacks(execute=True):
            svc.name = "order-ledger-v2"
            svc.save()
            indexing.index_service(svc.pk)
        fresh = search(query)
        assert fresh["cached"] is False
        assert [h["name"] for h in fresh["hits"]] == ["order-ledger-v2"]

    with inside(beta):  # another tenant's change leaves this tenant's cache alone
        assert search(query)["cached"] is True


def test_generation_survives_a_lost_counter(alpha):
    schema = alpha.schema_name
    before = cache.generation(schema)
    cache.bump(schema)
    assert cache.generation(schema) == before + 1
    redis.Redis.from_url(cache.redis_url()).delete(f"search:{schema}:generation")
    time.sleep(0.005)
    assert cache.generation(schema) > before + 1  # restarts from the clock, never reuses an old generation
