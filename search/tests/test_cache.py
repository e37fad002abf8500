"""Hot-query cache: per tenant, invalidated by any indexed change of that tenant only."""
import time

import pytest
import redis

from search import cache, indexing
from search.backends.base import SearchQuery
from search.query import search
from search.tests import factories
from search.tests.conftest import inside

pytestmark = pytest.mark.django_db


def test_the_test_cache_is_redis_db_1():
    assert cache.redis_url().endswith("/1")


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
