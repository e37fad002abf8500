"""GET /api/v1/services/search/index: the palette's local index, its version and who may read it."""
import pytest

from search import indexing
from search.tests import factories
from search.tests.conftest import inside
from search.tests.test_api import catalog, headers, token_for  # noqa: F401 - the catalog fixture

pytestmark = [pytest.mark.django_db, pytest.mark.urls("search.tests.urls")]
URL = "/api/v1/services/search/index"
SEARCH = "/api/v1/services/search"


def entries(body: dict, kind: str) -> list[dict]:
    return [dict(zip(body["fields"][kind], row)) for row in body[kind]]


def test_the_index_holds_what_search_returns_and_nothing_of_another_tenant(client, alpha, catalog):
    auth = headers(alpha, catalog["alpha"])
    response = client.get(URL, **auth)
    assert response.status_code == 200, response.content
    body = response.json()
    services = entries(body, "services")
    assert [s["name"] for s in services] == ["payment-gateway"]  # the eol ledger is hidden, as in search
    hit = client.get(SEARCH, {"q": "payment-gateway"}, **auth).json()["hits"][0]
    # the same ids and fields as a search hit, so the console links both the same way
    assert {k: services[0][k] for k in ("id", "name", "team_name", "lifecycle", "repo")} == {
        k: hit[k] for k in ("id", "name", "team_name", "lifecycle", "repo")}
    (team,) = entries(body, "teams")
    assert team["name"] == "payments" and team["display_name"] == "Payments Team"
    assert team["services_count"] == 2 and team["members_count"] == 0  # numbers, as in the search API
    (repo,) = entries(body, "repositories")
    assert repo["name"] == "acme/payment-gateway" and repo["services"] == ["payment-gateway"]
    assert body["truncated"] is False
    assert "beta copy" not in response.content.decode()


def test_an_unchanged_index_is_a_304_and_a_change_makes_a_new_version(client, alpha, catalog,
                                                                     django_capture_on_commit_callbacks):
    auth = headers(alpha, catalog["alpha"])
    first = client.get(URL, **auth)
    etag = first["ETag"]
    assert etag.startswith('W/"palette-') and first["Cache-Control"] == "private, no-cache"
    again = client.get(URL, HTTP_IF_NONE_MATCH=etag, **auth)
    assert again.status_code == 304 and again.content == b""
    with inside(alpha), django_capture_on_commit_callbacks(execute=True):  # the version moves on commit
        factories.service("payment-router")
        indexing.rebuild()
    changed = client.get(URL, HTTP_IF_NONE_MATCH=etag, **auth)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "payment-router" in [s["name"] for s in entries(changed.json(), "services")]


def test_past_the_limit_the_index_is_truncated_and_empty(client, alpha, catalog, monkeypatch):
    from search import palette

    monkeypatch.setattr(palette, "MAX_ENTRIES", 0)
    body = client.get(URL, **headers(alpha, catalog["alpha"])).json()
    assert body["truncated"] is True and body["services"] == body["teams"] == body["repositories"] == []


def test_the_index_needs_a_signed_in_user_of_the_tenant(client, alpha, beta, catalog):
    assert client.get(URL, HTTP_HOST=f"{alpha.name}.localhost").status_code in (401, 403)
    # beta's token on alpha's host is refused, not answered with beta's (or alpha's) catalog
    assert client.get(URL, **headers(alpha, catalog["beta"])).status_code in (401, 403)


def test_the_index_is_gzipped_only_for_a_client_that_asks(client, alpha, catalog):
    import gzip
    import json

    auth = headers(alpha, catalog["alpha"])
    plain = client.get(URL, HTTP_ACCEPT_ENCODING="identity", **auth)
    assert not plain.has_header("Content-Encoding")
    packed = client.get(URL, HTTP_ACCEPT_ENCODING="gzip, deflate", **auth)
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
