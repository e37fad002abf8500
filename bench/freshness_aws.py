"""Incremental AWS scans: a generated account (5,000 resources by default) scanned in full through real Celery
workers, then a round of deploys changes 1% of its resources (stacks updated, Lambda configurations updated,
ECS services moved to a new task definition revision), then an incremental scan.

    .venv/bin/python bench/freshness_aws.py [--resources 5000] [--changed 0.01] [--latency-ms 0] [--workers 4]

Reads the API calls each scan made from its run (Run.stats api_calls, per operation from its jobs).
Target: with 1% of resources changed, the incremental scan makes under 15% of the full scan's API calls."""
import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path, and bench/catalog.py would shadow the catalog app.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import json
import time
from contextlib import nullcontext

from bench.harness import drop, setup, stack, table

from peers.big_account import apply_changes, generate_big_account, pick_changes
from peers.scenario import parse_scenario

TENANT = "bench-freshness-aws"
TARGET_SHARE = 0.15


def scan(tenant: str, mode: str, timeout: float = 1800) -> dict:
    """One scan of the tenant's AWS connection in ``mode``, waited for; its run's figures."""
    from django.db import transaction

    from discovery import workflow
    from discovery.models import ACTIVE_STATUSES, Connection, Job, Run
    from portal.tenancy import tenant_scope
    from portal.workspaces.models import Workspace

    with tenant_scope(tenant):
        ids = list(Connection.objects.filter(provider="aws").values_list("pk", flat=True))
        start = time.monotonic()
        with transaction.atomic():
            result = workflow.discover_workspace(Workspace.default(), connection_ids=ids, trigger="bench",
                                                 reconcile=False, scan_mode=mode)
        run_ids = [r.pk for r in result["runs"]]
        while Run.objects.filter(pk__in=run_ids, status__in=ACTIVE_STATUSES).exists():
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"the {mode} scan did not finish in {timeout:.0f} s")
            time.sleep(0.1)
        seconds = time.monotonic() - start
        runs = list(Run.objects.filter(pk__in=run_ids))
        per_group: dict[str, int] = {}
        for scanner, calls in Job.objects.filter(run__in=run_ids).values_list("scanner", "api_calls"):
            per_group[scanner] = per_group.get(scanner, 0) + calls
        return {"mode": mode, "status": ",".join(sorted({r.status for r in runs})),
                "api_calls": sum(r.stats.get("api_calls", 0) for r in runs),
                "facts_written": sum(r.stats.get("facts", 0) for r in runs),
                "unchanged": sum(r.stats.get("unchanged", 0) for r in runs),
                "wall_s": round(seconds, 2), "per_group": per_group}


def measure_incremental_aws(resources: int = 5000, changed: float = 0.01, *, latency_ms: int = 0,
                            workers: int = 4, seed: int = 1, urls: dict | None = None) -> dict:
    """A full scan, ``changed`` of the resources changed, an incremental scan: their API calls and the share.

    ``urls``: a running ``bench.harness.stack()`` to use (as bench/freshness.py has); else one is started."""
    import yaml

    document = {**generate_big_account(resources, seed=seed), "name": TENANT}
    scenario = parse_scenario(yaml.safe_dump(document))
    account = scenario["aws"]["accounts"][0]["id"]
    with (nullcontext(urls) if urls else stack(aws_latency_ms=latency_ms, workers=workers)) as running:
        setup({**scenario, "github": {"orgs": []}}, running, TENANT)
        try:
            full = scan(TENANT, "full")
            changes = pick_changes(scenario, changed, seed=seed + 1)
            applied = apply_changes(running["moto"], account, changes, release="2")
            incremental = scan(TENANT, "incremental")
        finally:
            drop(TENANT)
    return {
        "resources": resources, "changed_share": changed, "changed": applied,
        "full_api_calls": full["api_calls"], "incremental_api_calls": incremental["api_calls"],
        "incremental_aws_call_share": round(incremental["api_calls"] / max(1, full["api_calls"]), 4),
        "target_share": TARGET_SHARE,
        "full_status": full["status"], "incremental_status": incremental["status"],
        "full_wall_s": full["wall_s"], "incremental_wall_s": incremental["wall_s"],
        "full_facts_written": full["facts_written"], "incremental_facts_written": incremental["facts_written"],
        "incremental_unchanged": incremental["unchanged"],
        "api_calls_by_group": {group: {"full": full["per_group"].get(group, 0),
                                       "incremental": incremental["per_group"].get(group, 0)}
                               for group in sorted(set(full["per_group"]) | set(incremental["per_group"]))},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of resources changed (0.01 = 1%%)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    result = measure_incremental_aws(args.resources, args.changed, latency_ms=args.latency_ms, workers=args.workers)
    changed = ", ".join(f"{n} {kind}" for kind, n in result["changed"].items() if n)
    print(f"\nIncremental AWS scan: {result['resources']} resources, {changed} changed "
          f"({result['changed_share']:.0%}), {args.latency_ms} ms per call")
    print(table([
        {"scan": "full", "status": result["full_status"], "api_calls": result["full_api_calls"],
         "facts_written": result["full_facts_written"], "marked_seen": 0, "wall_s": result["full_wall_s"]},
        {"scan": "incremental", "status": result["incremental_status"], "api_calls": result["incremental_api_calls"],
         "facts_written": result["incremental_facts_written"], "marked_seen": result["incremental_unchanged"],
         "wall_s": result["incremental_wall_s"]},
    ], ["scan", "status", "api_calls", "facts_written", "marked_seen", "wall_s"]))
    print()
    print(table([{"group": group, **calls, "share": f"{calls['incremental'] / max(1, calls['full']):.1%}"}
                 for group, calls in result["api_calls_by_group"].items()], ["group", "full", "incremental", "share"]))
    verdict = "meets" if result["incremental_aws_call_share"] < TARGET_SHARE else "misses"
    print(f"\nincremental / full API calls: {result['incremental_aws_call_share']:.1%} ({verdict} the "
          f"{TARGET_SHARE:.0%} target)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
