"""Meilisearch backend code paths that need no server: settings, index naming, mandatory tenant filters."""
import pytest
from django.test import override_settings

from search.backends.base import SearchError, SearchQuery
from search.backends.meili import (
    MeilisearchBackend, build_filter, char_matches, index_settings, index_uid, quote, search_requests, to_result,
)


def test_settings_follow_the_seed():
    settings = index_settings()
    assert settings["rankingRules"] == ["words", "typo", "proximity", "attribute", "sort", "exactness"]
    assert settings["typoTolerance"] == {"enabled": True, "minWordSizeForTypos": {"oneTypo": 3, "twoTypos": 6}}
    assert {"tenant_id", "kind", "lifecycle", "tier", "team_slug", "tech_stack", "health_status"} <= set(
        settings["filterableAttributes"])
    searchable = settings["searchableAttributes"]
    assert searchable[0] == "name" and searchable[-1] == "description"
    assert searchable.index("display_name") < searchable.index("repo_name")


def test_each_tenant_has_its_own_index_and_public_has_none():
    assert index_uid("t_acme") == "roster-t_acme" != index_uid("t_globex")
    for bad in ("", "public"):
        with pytest.raises(SearchError):
            index_uid(bad)
    with override_settings(MEILISEARCH_INDEX_PREFIX="bad prefix"), pytest.raises(SearchError):
        index_uid("t_acme")


def test_filters_always_start_with_the_tenant():
    query = SearchQuery(q="pay", filters={"team": ("payments", "platform"), "language": ("Go",)})
    assert build_filter("t_acme", "service", query) == [
        "tenant_id = 't_acme'", "kind = 'service'", "lifecycle != 'eol'",
        ["tech_stack = 'go'"], ["team_slug = 'payments'", "team_slug = 'platform'"],
    ]
    assert build_filter("t_acme", "service", SearchQuery(q="x", filters={"lifecycle": ("eol",)}))[2] == [
        "lifecycle = 'eol'"]
    assert build_filter("t_acme", "team") == ["tenant_id = 't_acme'", "kind = 'team'"]
    for bad in ("", "public"):
        with pytest.raises(SearchError):
            build_filter(bad, "service", query)


def test_filter_values_cannot_break_out_of_their_quotes():
    assert quote("x' OR tenant_id = 't_other") == "'x\\' OR tenant_id = \\'t_other'"
    assert quote("back\\slash") == "'back\\\\slash'"
    clause = build_filter("t_acme", "service", SearchQuery(q="x", filters={"team": ("a' OR 'b",)}))[-1][0]
    assert clause == "team_slug = 'a\\' or \\'b'"


def test_every_request_of_a_search_is_scoped_to_the_tenant_index_and_filter():
    requests = search_requests(index_uid("t_acme"), "t_acme", SearchQuery(q="pay", limit=7))
    assert [r["indexUid"] for r in requests] == ["roster-t_acme"] * 3
    assert all(r["filter"][0] == "tenant_id = 't_acme'" for r in requests)
    assert [r["filter"][1] for r in requests] == ["kind = 'service'", "kind = 'team'", "kind = 'repository'"]
    assert requests[0]["limit"] == 7 and requests[0]["showMatchesPosition"] is True
    assert requests[0]["facets"] == ["lifecycle", "tier", "team_slug", "tech_stack", "health_status"]


def _hit(tenant, name="payment-gateway", **extra):
    return {"id": "service-1", "ref": "1", "kind": "service", "tenant_id": tenant, "name": name, **extra}


def test_results_from_another_tenant_are_refused():
    ok = {"hits": [_hit("t_acme")], "estimatedTotalHits": 1, "facetDistribution": {"lifecycle": {"production": 1}}}
    empty = {"hits": []}
    result = to_result("t_acme", [ok, empty, empty])
    assert result["hits"][0]["id"] == "1" and result["hits"][0]["type"] == "service"
    assert "tenant_id" not in result["hits"][0]
    assert result["facets"]["lifecycle"] == {"production": 1} and result["facets"]["team"] == {}
    with pytest.raises(SearchError):
        to_result("t_acme", [ok, {"hits": [_hit("t_globex")]}, empty])


def test_byte_offsets_become_character_offsets():
    doc = {"name": "zahlungs-gerät-api", "tags": ["ä", "gerät"]}
    matches = {"name": [{"start": 16, "length": 3}], "tags": [{"start": 0, "length": 6, "indices": [1]}]}
    assert char_matches(doc, matches) == {"name": [{"start": 15, "length": 3}],
                                          "tags": [{"start": 0, "length": 5, "indices": [1]}]}


def test_meilisearch_without_a_url_is_a_clear_error():
    with override_settings(MEILISEARCH_URL=""), pytest.raises(SearchError, match="MEILISEARCH_URL"):
        MeilisearchBackend()


def test_an_unreachable_server_is_an_error_not_an_empty_result():
    import socket

    from django.db import connection

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = MeilisearchBackend(url=f"http://127.0.0.1:{port}")
    connection.set_schema("t_acme")  # no query is made: only the schema name is read
    try:
        with pytest.raises(SearchError, match="search failed"):
            backend.search(SearchQuery(q="pay"))
        with pytest.raises(SearchError, match="settings update failed"):
            backend.upsert([{"id": "service-1"}])
    finally:
        connection.set_schema_to_public()


def test_dropping_a_tenant_deletes_its_index_and_any_half_built_one():
    """Against a local HTTP stand-in for Meilisearch's index and task endpoints (no real server here)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    deleted = []

    class Meili(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_DELETE(self):  # noqa: N802 - http.server's naming
            deleted.append(self.path)
            self._answer(202, {"taskUid": len(deleted), "indexUid": self.path.rsplit("/", 1)[-1],
                               "status": "enqueued", "type": "indexDeletion", "enqueuedAt": "2026-01-01T00:00:00.000000Z"})

        def do_GET(self):  # noqa: N802
            uid = int(self.path.rsplit("/", 1)[-1])
            missing = deleted[uid - 1].endswith("-rebuild")
            self._answer(200, {"uid": uid, "indexUid": "x", "status": "failed" if missing else "succeeded",
                               "type": "indexDeletion", "enqueuedAt": "2026-01-01T00:00:00.000000Z",
                               "error": {"code": "index_not_found", "message": "not found"} if missing else None})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Meili)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        MeilisearchBackend(url=f"http://127.0.0.1:{server.server_port}", api_key="k").drop_tenant("t_doomed")
    finally:
        server.shutdown()
    assert deleted == [f"/indexes/{index_uid('t_doomed')}", f"/indexes/{index_uid('t_doomed')}-rebuild"]
