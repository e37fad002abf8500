"""GitHub discovery benchmark: the sample company and generated organizations (500 and 2,000
repositories) served by the emulator at 50 ms per request, scanned through real Celery workers, then
scanned again after 1% of the repositories were pushed (incremental).

    .venv/bin/python bench/github_discovery.py [--latency-ms 50] [--repos 500 2000]

Targets: 500 repositories in under 10 s; a full scan of 500 repositories costs at most 100 GraphQL
points; the incremental scan makes under 10% of the full scan's requests."""
import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path, and bench/catalog.py would shadow the catalog app.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import json
import random
import urllib.request

from bench.harness import ROOT, discover, drop, setup, stack, table

from peers.scenario import load_scenario, parse_scenario

TEAMS = ["payments", "identity", "search", "platform", "data", "messaging", "growth", "risk", "media", "support"]
WORDS = ["payment", "order", "ledger", "invoice", "user", "session", "catalog", "search", "notify", "email",
         "report", "audit", "media", "upload", "risk", "fraud", "rating", "pricing", "cart", "routing"]
KINDS = ["service", "worker", "api", "gateway", "sync", "indexer", "web", "lib"]


def generated_org(n_repos: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    members = [{"login": f"dev{i}", "name": f"Dev {i}", "email": f"dev{i}@example.test"} for i in range(200)]
    repos = []
    for i in range(n_repos):
        name = f"{rng.choice(WORDS)}-{rng.choice(KINDS)}-{i}"
        team = rng.choice(TEAMS)
        files = {
            "README.md": f"# {name}\n\n[![ci](https://ci/{name}.svg)](https://ci)\n\nHandles {name} for the platform.\n",
            ".github/workflows/ci.yml": "name: ci\non: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                                        "      - run: make test\n",
        }
        if i % 3:
            files["CODEOWNERS"] = f"* @bigorg/{team}\n/docs/ @bigorg/platform\n"
        if i % 2:
            files[".github/workflows/deploy.yml"] = (
                "name: deploy\non: {push: {branches: [main]}}\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
                f"      - run: aws ecs update-service --cluster prod --service {name} --force-new-deployment\n")
        repos.append({"name": name, "description": f"{name} description", "language": "Python",
                      "languages": {"Python": 10000 + i, "Shell": 100}, "topics": [team],
                      "pushed_at": "2026-10-01T00:00:00Z", "files": files,
                      "commits": [{"author": f"dev{rng.randrange(200)}", "date": "2026-10-01T00:00:00Z",
                                   "message": "change"} for _ in range(20)]})
    teams = [{"slug": t, "name": t.title(), "members": [f"dev{j}" for j in range(k * 20, k * 20 + 20)],
              "repos": {r["name"]: "maintain" for r in repos[k::len(TEAMS)]}} for k, t in enumerate(TEAMS)]
    return {"format": "roster-scenario/1", "name": f"bench-org-{n_repos}",
            "github": {"orgs": [{"login": "bigorg", "name": "Big Org", "members": members, "teams": teams,
                                 "repos": repos}]}}


def emulator(url: str, path: str, body=None):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request, timeout=60).read() or b"{}")


def measure(urls, tenant, label, repos_total):
    emulator(urls["github"], "/_emulator/stats/reset", {})
    result = discover(tenant, provider="github", reconcile=False)
    stats = emulator(urls["github"], "/_emulator/stats")
    runs = result["runs"]
    return {"org": label, "scan": "full", "repos": repos_total, "status": ",".join({r.status for r in runs}),
            "facts": sum(r.stats.get("facts", 0) for r in runs), "wall_s": f"{result['scan_seconds']:.2f}",
            "requests": stats["requests"], "graphql_points": stats["graphql_points"],
            "not_modified": stats["not_modified"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--repos", type=int, nargs="*", default=[500, 2000])
    args = parser.parse_args()
    import yaml

    orgs = [("sample-company", load_scenario(ROOT / "scenarios" / "sample-company.yaml"))]
    orgs += [(f"generated-{n}", parse_scenario(yaml.safe_dump(generated_org(n)))) for n in args.repos]
    rows = []
    with stack(github_latency_ms=args.latency_ms, workers=4) as urls:
        for label, scenario in orgs:
            tenant = f"bench-gh-{label}"
            scenario = {**scenario, "aws": {"accounts": []}}
            setup(scenario, urls, tenant)
            org = scenario["github"]["orgs"][0]
            active = [r for r in org["repos"] if not r["archived"] and not r["fork"]]
            full = measure(urls, tenant, label, len(active))
            rows.append(full)
            pushed = active[:: max(1, len(active) // max(1, len(active) // 100))][: max(1, len(active) // 100)]
            for repo in pushed:
                emulator(urls["github"], "/_emulator/push", {"repo": f"{org['login']}/{repo['name']}"})
            incremental = measure(urls, tenant, label, len(active))
            incremental["scan"] = f"incremental ({len(pushed)} pushed)"
            incremental["share_of_full_requests"] = f"{100 * incremental['requests'] / full['requests']:.1f}%"
            rows.append(incremental)
            drop(tenant)
    print(f"\nGitHub discovery at {args.latency_ms} ms per request")
    print(table(rows, ["org", "scan", "repos", "status", "facts", "wall_s", "requests", "graphql_points",
                       "not_modified", "share_of_full_requests"]))


if __name__ == "__main__":
    main()
