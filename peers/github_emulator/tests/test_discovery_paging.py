"""The discovery query pages through sample-company.yaml's 158 repositories: every one exactly once, in four
pages. (How fast it answers is measured by bench/github_discovery.py, never asserted here.)"""
from __future__ import annotations

import requests

from peers.github_emulator import create_app, start_in_thread
from peers.scenario import load_scenario

from .conftest import SCENARIOS, graphql
from .test_graphql import DISCOVERY


def test_company_scenario_discovery_pages_cover_every_repository_once():
    scenario = load_scenario(SCENARIOS / "sample-company.yaml")
    org = scenario["github"]["orgs"][0]
    base, stop = start_in_thread(create_app(scenario))
    try:
        session = requests.Session()
        session.headers["Authorization"] = "token bench"
        names, cursor, pages = [], None, 0
        while True:
            body = graphql(session, base, DISCOVERY, {"org": org["login"], "cursor": cursor}).json()
            pages += 1
            conn = body["data"]["organization"]["repositories"]
            names += [n["name"] for n in conn["nodes"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            cursor = conn["pageInfo"]["endCursor"]
        assert sorted(names) == sorted(r["name"] for r in org["repos"]) and len(names) == 158
        assert pages == 4
    finally:
        stop()
