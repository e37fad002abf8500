"""A client we did not write: octokit (npm @octokit/core with the REST and GraphQL pagination plugins,
@octokit/graphql) against an emulator serving the bundled sample company (tests/octokit_client.mjs)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from peers.github_emulator import create_app, get_schema, start_in_thread
from peers.github_emulator.graphql_api import PACKAGE_DIR
from peers.scenario import load_scenario

from .conftest import SCENARIOS

SCRIPT = Path(__file__).with_name("octokit_client.mjs")
TOKEN = "ghp_octokittoken"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (make test installs it)")
    if not (PACKAGE_DIR / "node_modules" / "@octokit" / "plugin-paginate-graphql").exists():
        # a checkout installed before the devDependencies existed: install them from the lockfile
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PACKAGE_DIR, check=True,
                       stdout=subprocess.DEVNULL)
    return node


def test_octokit_paginates_rest_and_graphql_and_revalidates_etags():
    node = _node()
    scenario = load_scenario(SCENARIOS / "sample-company.yaml")
    org = scenario["github"]["orgs"][0]
    admin = next((m for m in org["members"] if isinstance(m, dict) and m.get("role") == "admin"), None)
    get_schema()
    base, stop = start_in_thread(create_app(scenario, tokens=[TOKEN]))
    try:
        run = subprocess.run([node, str(SCRIPT), base, TOKEN, org["login"]], cwd=PACKAGE_DIR,
                             capture_output=True, text=True, timeout=120)
    finally:
        stop()
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    names = {r["name"] for r in org["repos"]}
    assert len(names) > 7  # so that REST pagination takes several pages
    assert out["rest"]["pages"] == -(-len(names) // 7)
    assert sorted(out["rest"]["repos"]) == sorted(names)
    assert sorted(out["graphql"]["repos"]) == sorted(names)
    first = org["members"][0]
    owner = admin or (first if isinstance(first, dict) else {"login": first})
    assert out["rest"]["user"] == out["graphql"]["viewer"] == owner["login"]
    assert out["rest"]["rulesets"] == []
    assert out["rest"]["workflows"] == sum(
        1 for p in next(r for r in org["repos"] if r["name"] == out["rest"]["repos"][0]).get("files") or {}
        if str(p).startswith(".github/workflows/") and str(p).count("/") == 2)
    assert out["etag"]["first"] == 200 and out["etag"]["etag"]
    assert out["etag"]["second"] == 304
