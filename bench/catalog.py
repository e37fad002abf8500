"""Catalog benchmark: reconcile + ownership inference on ~10,000 facts (pure, in process), then the
full pipeline for the sample company at 50 ms upstream latency (AWS and GitHub), from "Discover now"
to a reconciled, indexed catalog, through real workers.

    .venv/bin/python bench/catalog.py [--facts 10000] [--latency-ms 50]

Targets: reconcile + infer for 10,000 facts under 5 s; trigger to complete under 15 s."""
import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path, and bench/catalog.py would shadow the catalog app.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import statistics
import time

from bench.harness import ROOT, discover, drop, setup, stack, table

from peers.accuracy import score
from catalog.export import catalog_document
from catalog.reconcile import reconcile
from peers.simulate import facts_from_scenario, scale_scenario
from peers.scenario import load_scenario
from portal.tenancy import tenant_scope


def reconcile_figures(target_facts: int) -> dict:
    scenario = load_scenario(ROOT / "scenarios" / "sample-company.yaml")
    one = len(facts_from_scenario(scenario)[0])
    factor = max(1, round(target_facts / one))
    facts, links = facts_from_scenario(scale_scenario(scenario, factor))
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        result = reconcile(facts, links)
        timings.append(time.perf_counter() - start)
    return {"facts": len(facts), "links": len(links), "services": len(result.services),
            "best_s": f"{min(timings):.2f}", "median_s": f"{statistics.median(timings):.2f}"}


def pipeline_figures(latency_ms: int) -> dict:
    scenario = load_scenario(ROOT / "scenarios" / "sample-company.yaml")
    tenant = "bench-catalog"
    with stack(aws_latency_ms=latency_ms, github_latency_ms=latency_ms, workers=8) as urls:
        setup(scenario, urls, tenant)
        result = discover(tenant)
        reconcile_run = next(r for r in result["runs"] if r.kind == "reconcile")
        with tenant_scope(tenant):
            report = score(catalog_document(tenant), scenario)
        drop(tenant)
    return {"status": ",".join(sorted({r.status for r in result["runs"]})),
            "scans_s": f"{result['scan_seconds']:.2f}", "trigger_to_complete_s": f"{result['total_seconds']:.2f}",
            "reconcile_s": reconcile_run.stats.get("reconcile_seconds"),
            "persist_s": reconcile_run.stats.get("persist_seconds"),
            "services": reconcile_run.stats.get("services"), "accuracy": f"{report.accuracy:.3f}",
            "recall": f"{report.recall:.3f}"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=10000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    rec = reconcile_figures(args.facts)
    print("\nReconcile + infer (pure, 3 runs)")
    print(table([rec], ["facts", "links", "services", "best_s", "median_s"]))
    pipe = pipeline_figures(args.latency_ms)
    print(f"\nFull pipeline, sample company, {args.latency_ms} ms per upstream call")
    print(table([pipe], ["status", "scans_s", "trigger_to_complete_s", "reconcile_s", "persist_s", "services",
                         "accuracy", "recall"]))


if __name__ == "__main__":
    main()
