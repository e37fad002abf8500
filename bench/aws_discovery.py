"""AWS discovery benchmark: the sample company and a generated 5,000-resource account, behind the fault
proxy at 50 ms per call, scanned through real Celery workers.

    .venv/bin/python bench/aws_discovery.py [--latency-ms 50] [--resources 5000] [--workers 8]

Prints scan wall time, API calls, facts per second and the worker's peak RSS. Target: the sample company
under 10 s at 50 ms per call (the architecture's budget is 60 s for 500 resources)."""
import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path, and bench/catalog.py would shadow the catalog app.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse

from bench.harness import ROOT, RssSampler, discover, drop, setup, stack, table

from peers.big_account import generate_big_account
from peers.scenario import load_scenario, parse_scenario


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    import yaml

    scenarios = [
        ("sample-company", load_scenario(ROOT / "scenarios" / "sample-company.yaml")),
        (f"generated-{args.resources}", parse_scenario(yaml.safe_dump(
            {**generate_big_account(args.resources), "name": "bench-big-account"}))),
    ]
    rows = []
    with stack(aws_latency_ms=args.latency_ms, workers=args.workers) as urls:
        for label, scenario in scenarios:
            tenant = f"bench-aws-{label}"
            scenario = {**scenario, "github": {"orgs": []}}
            setup(scenario, urls, tenant)
            urls["proxy"].reset_stats()
            with RssSampler(urls["worker"].proc.pid) as rss:
                result = discover(tenant, provider="aws", reconcile=False)
            runs = result["runs"]
            facts = sum(r.stats.get("facts", 0) for r in runs)
            calls = sum(r.stats.get("api_calls", 0) for r in runs)
            rows.append({
                "account": label, "status": ",".join(sorted({r.status for r in runs})),
                "facts": facts, "api_calls": calls, "proxied_requests": urls["proxy"].stats()["requests"],
                "scan_s": f"{result['scan_seconds']:.2f}", "facts_per_s": f"{facts / result['scan_seconds']:.0f}",
                "worker_peak_rss_mb": f"{rss.peak_total / 2**20:.0f}",
                "largest_process_mb": f"{rss.peak_process / 2**20:.0f}",
            })
            drop(tenant)
    print(f"\nAWS discovery at {args.latency_ms} ms per call, {args.workers} worker processes")
    print(table(rows, ["account", "status", "facts", "api_calls", "proxied_requests", "scan_s", "facts_per_s",
                       "worker_peak_rss_mb", "largest_process_mb"]))


if __name__ == "__main__":
    main()
