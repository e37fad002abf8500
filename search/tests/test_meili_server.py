"""The Meilisearch backend against a real server. Runs only when MEILISEARCH_URL points at one."""
import os
import uuid

import pytest
from django.test import override_settings

from search import indexing
from search.backends import _backend, get_backend
from search.backends.base import SearchQuery
from search.backends.meili import MeilisearchBackend, index_uid
from search.tests import factories
from search.tests.conftest import inside

pytestmark = [
    pytest.mark.meilisearch,
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("MEILISEARCH_URL"),
                       reason="no Meilisearch server: set MEILISEARCH_URL (e.g. http://127.0.0.1:7700) to run these"),
]


@pytest.fixture
def meili(alpha, beta):
    # A prefix per run, so parallel or repeated runs never share indexes.
    prefix = f"roster-test-{uuid.uuid4().hex[:8]}"
    with override_settings(ROSTER_SEARCH_BACKEND="meilisearch", MEILISEARCH_URL=os.environ["MEILISEARCH_URL"],
                           MEILISEARCH_API_KEY=os.environ.get("MEILISEARCH_API_KEY", ""),
                           MEILISEARCH_INDEX_PREFIX=prefix):
        _backend.cache_clear()
        backend = get_backend()
        assert isinstance(backend, MeilisearchBackend)
        yield backend
        for tenant in (alpha, beta):
            backend.client.delete_index(index_uid(tenant.schema_name))
    _backend.cache_clear()


def names(result):
    return [h["name"] for h in result["hits"]]


def test_rebuild_search_typos_facets_and_updates(alpha, meili):
    with inside(alpha):
        team = factories.team("payments", "Payments Team")
        svc = factories.service("payment-gateway", owner=team, tech_stack=["Go"], tier="critical")
        factories.service("legacy-payments", owner=team, lifecycle="eol")
        indexing.rebuild()
        result = meili.search(SearchQuery(q="paymnet gateway"))
        assert names(result) == ["payment-gateway"]
        assert result["hits"][0]["_matchesPosition"]["name"][0]["start"] == 0
        assert result["facets"]["language"] == {"go": 1} or result["facets"]["language"] == {"Go": 1}
        assert result["teams"][0]["name"] == "payments"
        assert names(meili.search(SearchQuery(q="legacy", include_eol=True))) == ["legacy-payments"]
        assert names(meili.search(SearchQuery(q="legacy"))) == []

        svc.name = "payment-router"
        svc.save()
        indexing.index_service(svc.pk)  # waits for the Meilisearch task before returning
        assert names(meili.search(SearchQuery(q="payment-router"))) == ["payment-router"]
        svc.delete()
        indexing.index_service(svc.pk)
        assert names(meili.search(SearchQuery(q="payment-router"))) == []


def test_tenants_have_separate_indexes_and_never_see_each_other(alpha, beta, meili):
    with inside(alpha):
        factories.service("alpha-only-billing")
        indexing.rebuild()
    with inside(beta):
        factories.service("beta-only-billing")
        indexing.rebuild()
        assert names(meili.search(SearchQuery(q="billing"))) == ["beta-only-billing"]
    with inside(alpha):
        assert names(meili.search(SearchQuery(q="billing"))) == ["alpha-only-billing"]
    stored = meili.client.index(index_uid(beta.schema_name)).get_documents({"limit": 100}).results
    assert {doc.tenant_id for doc in stored} == {beta.schema_name}
