"""The discovery query over sample-company.yaml (158 repos) answers well under a second a page."""
from __future__ import annotations

import time

import requests

from peers.github_emulator import create_app, get_schema, start_in_thread
from peers.github_emulator.store import Store
from peers.scenario import load_scenario

from .conftest import SCENARIOS, graphql
from .test_graphql import DISCOVERY


def test_company_scenario_discovery_pages_are_fast():
    scenario = load_scenario(SCENARIOS / "sample-company.yaml")
    start = time.perf_counter()
    Store(scenario)
    assert time.perf_counter() - start < 1.0
    get_schema()
    org = scenario["github"]["orgs"][0]
    base, stop = start_in_thread(create_app(scenario))
    try:
        session = requests.Session()
        session.headers["Authorization"] = "token bench"
        names, cursor, timings = [], None, []
        while True:
            start = time.perf_counter()
            body = graphql(session, base, DISCOVERY, {"org": org["login"], "cursor": cursor}).json()
            timings.append(time.perf_counter() - start)
            conn = body["data"]["organization"]["repositories"]
            names += [n["name"] for n in conn["nodes"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            cursor = conn["pageInfo"]["endCursor"]
        assert sorted(names) == sorted(r["name"] for r in org["repos"]) and len(names) == 158
        assert len(timings) == 4 and max(timings) < 1.0, timings
    finally:
        stop()
