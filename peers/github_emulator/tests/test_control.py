"""Fault injection, primary rate-limit exhaustion and the /_emulator control endpoints."""
from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from peers.github_emulator import create_app, start_in_thread

from .conftest import ORG, graphql

REPOS_QUERY = """query($n: Int!) { organization(login: "globex") { repositories(first: $n) { nodes { name } } } }"""


@pytest.fixture
def faults(emulator):
    """Set faults for one test and clear them afterwards."""
    def apply(**settings):
        resp = requests.post(f"{emulator}/_emulator/faults", json=settings)
        assert resp.status_code == 200
        return resp.json()
    yield apply
    apply(secondary_rate_limit_every=0, error_rate=0.0, bad_gateway_over=0, latency_ms=0, seed=None)


def test_secondary_rate_limit_every_nth_request(emulator, http, faults):
    faults(secondary_rate_limit_every=3)
    statuses = [http.get(f"{emulator}/orgs/{ORG}") for _ in range(6)]
    assert [r.status_code for r in statuses] == [200, 200, 403, 200, 200, 403]
    limited = statuses[2]
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["message"].startswith("You have exceeded a secondary rate limit")
    gql = [graphql(http, emulator, "{ rateLimit { cost } }").status_code for _ in range(3)]
    assert gql == [200, 200, 403]  # GraphQL requests count too


def test_error_rate_injects_server_errors(emulator, http, faults):
    faults(error_rate=1.0, seed=7)
    resp = http.get(f"{emulator}/orgs/{ORG}")
    assert resp.status_code in (500, 502, 503)
    faults(error_rate=0.5, seed=7)
    first = [http.get(f"{emulator}/orgs/{ORG}").status_code for _ in range(20)]
    faults(error_rate=0.5, seed=7)
    again = [http.get(f"{emulator}/orgs/{ORG}").status_code for _ in range(20)]
    assert first == again and 200 in first and any(s >= 500 for s in first)  # seeded, so repeatable


def test_bad_gateway_over_node_count(emulator, http, faults):
    faults(bad_gateway_over=50)
    big = graphql(http, emulator, REPOS_QUERY, {"n": 51})
    assert big.status_code == 502 and "Something went wrong" in big.json()["errors"][0]["message"]
    assert graphql(http, emulator, REPOS_QUERY, {"n": 50}).status_code == 200


def test_latency(emulator, http, faults):
    faults(latency_ms=150)
    start = time.monotonic()
    http.get(f"{emulator}/orgs/{ORG}")
    assert time.monotonic() - start >= 0.15


def test_unknown_fault_is_refused(emulator):
    resp = requests.post(f"{emulator}/_emulator/faults", json={"explode": True})
    assert resp.status_code == 400 and "explode" in resp.json()["message"]


def test_stats_count_requests_points_and_304s(emulator, http):
    assert requests.post(f"{emulator}/_emulator/stats/reset").json()["requests"] == 0
    etag = http.get(f"{emulator}/orgs/{ORG}").headers["ETag"]
    assert http.get(f"{emulator}/orgs/{ORG}", headers={"If-None-Match": etag}).status_code == 304
    graphql(http, emulator, REPOS_QUERY, {"n": 10})
    stats = requests.get(f"{emulator}/_emulator/stats").json()
    assert (stats["requests"], stats["rest_requests"], stats["graphql_requests"]) == (3, 2, 1)
    assert (stats["not_modified"], stats["graphql_points"]) == (1, 1)


def test_push_updates_files_commits_and_pushed_at(emulator, http):
    q = """{ repository(owner: "globex", name: "search-hub") { pushedAt
        defaultBranchRef { target { ... on Commit { oid history(first: 1) { totalCount } } } }
        object(expression: "HEAD:deploy/new.yml") { ... on Blob { text } } } }"""
    before = graphql(http, emulator, q).json()["data"]["repository"]
    resp = requests.post(f"{emulator}/_emulator/push", json={"repo": "globex/search-hub",
                                                             "files": {"deploy/new.yml": "x: 1\n"}})
    assert resp.status_code == 200
    after = graphql(http, emulator, q).json()["data"]["repository"]
    assert after["object"] == {"text": "x: 1\n"} and before["object"] is None
    pushed = datetime.fromisoformat(after["pushedAt"].replace("Z", "+00:00"))
    assert after["pushedAt"] != before["pushedAt"] and abs(datetime.now(timezone.utc) - pushed) < timedelta(minutes=1)
    old, new = before["defaultBranchRef"]["target"], after["defaultBranchRef"]["target"]
    assert new["oid"] != old["oid"] and new["history"]["totalCount"] == old["history"]["totalCount"] + 1
    content = http.get(f"{emulator}/repos/{ORG}/search-hub/contents/deploy/new.yml").json()
    assert base64.b64decode(content["content"]) == b"x: 1\n"
    requests.post(f"{emulator}/_emulator/push", json={"repo": "globex/search-hub", "pushed_at": "2030-01-01T00:00:00Z"})
    assert http.get(f"{emulator}/repos/{ORG}/search-hub").json()["pushed_at"] == "2030-01-01T00:00:00Z"
    assert requests.post(f"{emulator}/_emulator/push", json={"repo": "globex/nope"}).status_code == 400


def test_binary_and_truncated_blobs(emulator, http):
    big = "a" * 600_000
    requests.post(f"{emulator}/_emulator/push", json={"repo": "globex/search-hub",
                                                      "files": {"assets/logo.png": "\u0089PNG\u0000\u0001", "big.txt": big}})
    q = """{ repository(owner: "globex", name: "search-hub") {
        png: object(expression: "HEAD:assets/logo.png") { ... on Blob { text isBinary byteSize } }
        big: object(expression: "HEAD:big.txt") { ... on Blob { text isTruncated byteSize } } } }"""
    repo = graphql(http, emulator, q).json()["data"]["repository"]
    assert repo["png"] == {"text": None, "isBinary": True, "byteSize": len("\u0089PNG\u0000\u0001".encode())}
    assert repo["big"]["isTruncated"] and repo["big"]["byteSize"] == 600_000 and len(repo["big"]["text"]) == 512_000


def test_rest_rate_limit_exhaustion(messy):
    base, stop = start_in_thread(create_app(messy, tokens=["t"], rate_limit=3))
    try:
        session = requests.Session()
        session.headers["Authorization"] = "token t"
        remaining = [session.get(f"{base}/orgs/{ORG}").headers["X-RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        limited = session.get(f"{base}/orgs/{ORG}")
        assert limited.status_code == 403 and limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.json()["message"].startswith("API rate limit exceeded")
        assert int(limited.headers["X-RateLimit-Reset"]) > time.time()
        assert session.get(f"{base}/rate_limit").json()["rate"]["remaining"] == 0
        requests.post(f"{base}/_emulator/rate_limit", json={"core": 10})  # a new window with a new limit
        assert session.get(f"{base}/orgs/{ORG}").headers["X-RateLimit-Remaining"] == "9"
    finally:
        stop()


def test_scenario_replace_with_yaml(messy):
    base, stop = start_in_thread(create_app(messy))
    try:
        yaml_text = "format: roster-scenario/1\nname: tiny\ngithub:\n  orgs:\n    - login: tiny\n      repos:\n        - name: one\n"
        loaded = requests.post(f"{base}/_emulator/scenario", data=yaml_text).json()
        assert loaded == {"orgs": ["tiny"], "repos": 1}
        headers = {"Authorization": "token anything"}  # no tokens configured: any token is accepted
        assert requests.get(f"{base}/orgs/tiny/repos", headers=headers).json()[0]["name"] == "one"
        assert requests.get(f"{base}/orgs/{ORG}", headers=headers).status_code == 404
        bad = requests.post(f"{base}/_emulator/scenario", data="format: nope\n")
        assert bad.status_code == 400 and "format" in bad.json()["message"]
    finally:
        stop()
