"""GET /api/v1/services/search over HTTP (Django test client, tenant resolved from the Host header)."""
import pytest
from django.contrib.auth import get_user_model
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator
from accounts.testing import token_for as issue_token

from search import indexing
from search.tests import factories
from search.tests.conftest import inside

pytestmark = [pytest.mark.django_db, pytest.mark.urls("search.tests.urls")]
URL = "/api/v1/services/search"


def token_for(tenant) -> str:
    with inside(tenant):
        user = get_user_model().objects.create_user(username=f"dev-{tenant.name}")
        return issue_token(user, "viewer")


def headers(tenant, token):
    return {"HTTP_HOST": f"{tenant.name}.localhost", "HTTP_AUTHORIZATION": f"Token {token}"}


@pytest.fixture
def catalog(alpha, beta):
    with inside(alpha):
        payments = factories.team("payments", "Payments Team")
        factories.service("payment-gateway", owner=payments, tech_stack=["Go"], repo="acme/payment-gateway",
                          tags=["stripe"], tier="critical")
        factories.service("payment-ledger", owner=payments, lifecycle="eol", tech_stack=["Java"])
        indexing.rebuild()
    with inside(beta):
        factories.service("payment-gateway", description="beta copy")
        indexing.rebuild()
    return {"alpha": token_for(alpha), "beta": token_for(beta)}


def test_search_returns_hits_highlights_facets_teams_and_repositories(client, alpha, catalog):
    response = client.get(URL, {"q": "paymen", "limit": 5}, **headers(alpha, catalog["alpha"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert [h["name"] for h in body["hits"]] == ["payment-gateway"]  # the eol one is hidden
    hit = body["hits"][0]
    assert hit["type"] == "service" and hit["team_slug"] == "payments"
    assert hit["_matchesPosition"]["name"] == [{"start": 0, "length": 6}]
    assert body["facets"]["tier"] == {"critical": 1} and body["facets"]["language"] == {"Go": 1}
    assert body["teams"][0]["name"] == "payments"
    assert body["repositories"][0]["id"] == "acme/payment-gateway"
    assert body["backend"] == "postgres" and body["processingTimeMs"] >= 0 and body["limit"] == 5


def test_eol_on_request_and_filters(client, alpha, catalog):
    auth = headers(alpha, catalog["alpha"])
    assert {h["name"] for h in client.get(URL, {"q": "payment", "include_eol": "1"}, **auth).json()["hits"]} == {
        "payment-gateway", "payment-ledger"}
    assert [h["name"] for h in client.get(URL, {"q": "payment", "lifecycle": "eol"}, **auth).json()["hits"]] == [
        "payment-ledger"]
    assert client.get(URL, {"q": "payment", "language": "java"}, **auth).json()["hits"] == []
    bad = client.get(URL, {"q": "payment", "lifecycle": "retired"}, **auth)
    assert bad.status_code == 400 and "lifecycle" in bad.json()
    assert client.get(URL, {"q": "x", "limit": 500}, **auth).status_code == 400


def test_each_host_sees_only_its_own_tenant(client, alpha, beta, catalog):
    alpha_body = client.get(URL, {"q": "payment-gateway"}, **headers(alpha, catalog["alpha"])).json()
    beta_body = client.get(URL, {"q": "payment-gateway"}, **headers(beta, catalog["beta"])).json()
    assert [h["description"] for h in beta_body["hits"]] == ["beta copy"]
    assert {h["id"] for h in alpha_body["hits"]}.isdisjoint({h["id"] for h in beta_body["hits"]})
    assert beta_body["teams"] == []
    # A token of one tenant is unknown to the other.
    assert client.get(URL, {"q": "payment"}, **headers(beta, catalog["alpha"])).status_code == 401


def test_anonymous_requests_are_refused(client, alpha, catalog):
    assert client.get(URL, {"q": "payment"}, HTTP_HOST=f"{alpha.name}.localhost").status_code == 401


def test_the_response_matches_the_openapi_schema(client, alpha, catalog):
    auth = headers(alpha, catalog["alpha"])
    spec = client.get("/api/v1/schema/", {"format": "json"}, **auth).json()
    operation = spec["paths"]["/api/v1/services/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "limit", "team", "lifecycle", "tier", "language",
                                                            "health", "include_eol"}
    validator = OAS30Validator({**spec["components"]["schemas"]["SearchResponse"], "components": spec["components"]})
    for q in ("payment", "payments team", "acme/payment"):
        body = client.get(URL, {"q": q, "include_eol": "true"}, **auth).json()
        assert body["hits"] or body["teams"] or body["repositories"]
        validator.validate(body)
    with pytest.raises(ValidationError):  # the schema is strict enough to catch a drifted hit
        validator.validate({**body, "hits": [{"id": "x", "type": "service", "name": "x", "_matchesPosition": {}}]})


@pytest.mark.parametrize("params, fast", [
    ({"q": "pay"}, True), ({"q": "pay", "limit": "7"}, True), ({}, True), ({"limit": "50"}, True),
    ({"q": " pay "}, True), ({"q": "pay", "limit": "0"}, False), ({"q": "pay", "limit": "x"}, False),
    ({"q": "p" * 201}, False), ({"q": "pay", "limit": "\u0663"}, False), ({"q": "pay", "team": "payments"}, False)])
def test_plain_keystroke_params_read_like_the_serializer(params, fast):
    from django.http import QueryDict

    from search.api.serializers import SearchParamsSerializer, plain_params

    query = QueryDict(mutable=True)
    query.update(params)
    plain = plain_params(query)
    assert (plain is not None) == fast  # anything but q and a plain in-range limit goes to the serializer
    if fast:
        serializer = SearchParamsSerializer(data=query)
        assert serializer.is_valid() and plain == serializer.validated_data


def test_a_miss_is_cached_once_the_response_has_been_sent(client, alpha, catalog):
    auth = headers(alpha, catalog["alpha"])
    first = client.get(URL, {"q": "gateway", "limit": 3}, **auth)
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert first.json()["cached"] is False and [h["name"] for h in first.json()["hits"]] == ["payment-gateway"]
    again = client.get(URL, {"q": "gateway", "limit": 3}, **auth).json()
    assert again["cached"] is True and again["hits"] == first.json()["hits"]


def test_the_deferred_cache_write_runs_once_when_the_response_closes():
    from search.api.views import JsonThen

    calls = []
    response = JsonThen(b"{}", after=lambda: calls.append("stored"))
    assert calls == []
    response.close()
    response.close()
    assert calls == ["stored"]


def test_a_failing_backend_is_a_503_with_its_reason_and_nothing_cached(client, alpha, catalog, settings):
    import socket

    from search.backends import _backend

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.ROSTER_SEARCH_BACKEND = "meilisearch"
    settings.MEILISEARCH_URL = f"http://127.0.0.1:{port}"
    _backend.cache_clear()
    try:
        response = client.get(URL, {"q": "payment"}, **headers(alpha, catalog["alpha"]))
        assert response.status_code == 503 and "search failed" in response.json()["detail"]
    finally:
        _backend.cache_clear()
    from search import cache
    from search.backends.base import SearchQuery

    assert cache.get(alpha.schema_name, "meilisearch", SearchQuery(q="payment").cache_params())[1] is None
