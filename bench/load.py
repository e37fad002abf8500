"""Load: N tenants with two connections each (AWS against moto, GitHub against the emulator) discovered at once
through real Celery workers; throughput, per-tenant completion spread, slowest tenant against the median.

    .venv/bin/python bench/load.py [--tenants 50] [--workers 2] [--concurrency 4] [--scenario serverless:10]

``--scenario`` is a scenario file (scenarios/*.yaml) or STYLE:SERVICES, generated with
``peers.generate_scenario`` (seed 42); either way only its first AWS account and first GitHub org are kept, so
every tenant has exactly two connections. The scenario is loaded into moto and the emulator once and every
tenant scans the same accounts and org: reading the same upstream data from many tenants is the load we want.

Setup is outside the measured window: one template schema is migrated, every tenant schema is cloned from it
(django-tenants' clone_schema, TENANT_BASE_SCHEMA), then the template is dropped. The window runs from the first
``workflow.discover_workspace`` (one per tenant, back to back) until every run is over; a tenant's completion
time runs from its own trigger until its reconcile run finished (the runs' own timestamps, not the polling).
Goal: slowest tenant under 2x the median. Prints a table, then one JSON line.

Isolation: its own database (roster_bench_load, created if missing, kept for its public schema), Redis db 2 with
its own broker key prefix; beat (the watchdog) and the workers run on that. Tenants are dropped afterwards.
"""
import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path, and bench/catalog.py would shadow the catalog app.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from contextlib import ExitStack

from portal.env import read_run_env, redis_url_with_db

DB_NAME = "roster_bench_load"
PREFIX = "bench-load-"  # tenant names; a leftover of a crashed run is dropped on the next start
TEMPLATE = f"{PREFIX}template"
GOAL_RATIO = 2.0

# Set before Django is set up (bench.harness does it on import) and inherited by the workers and beat we start:
# this database, Redis db 2 and a key prefix of our own, so neither the demo, the tests nor other benches see
# our queues or data. Explicit, not setdefault: a shell that exported the demo's values must not win.
_RUN_ENV = read_run_env()
os.environ["ROSTER_DB_NAME"] = DB_NAME
os.environ["ROSTER_REDIS_URL"] = redis_url_with_db(_RUN_ENV.get("ROSTER_REDIS_URL", "redis://127.0.0.1:63799/0"), 2)
os.environ["ROSTER_BROKER_KEY_PREFIX"] = "roster-bench-load:"
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"


def ensure_database() -> None:
    """CREATE DATABASE when missing (PostgreSQL has no IF NOT EXISTS for it); needs a connection to another db."""
    import psycopg

    def get(key: str, default: str) -> str:
        return os.environ.get(key) or _RUN_ENV.get(key, default)

    with psycopg.connect(host=get("ROSTER_DB_HOST", "127.0.0.1"), port=get("ROSTER_DB_PORT", "54329"),
                         user=get("ROSTER_DB_USER", "roster"), password=get("ROSTER_DB_PASSWORD", ""),
                         dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


ensure_database()

from bench.harness import call_command, table, transaction  # noqa: E402  (sets Django up)
from portal.queues import worker_queues  # noqa: E402
from tests.peers import GITHUB_TOKEN, Process, drop_tenant, free_port, wait_http  # noqa: E402


def load_scenario_arg(value: str) -> dict:
    """A file, or STYLE:SERVICES generated on the spot; trimmed to one AWS account and one GitHub org."""
    from peers.scenario import load_scenario, parse_scenario

    if Path(value).exists():
        scenario = load_scenario(Path(value))
    else:
        from peers.generate_scenario.build import generate
        from peers.generate_scenario.yaml_text import dump

        style, _, services = value.partition(":")
        scenario = parse_scenario(dump(generate(style, name=f"{PREFIX}{style}", n_services=int(services or 10),
                                                seed=42)))
    if not scenario["aws"]["accounts"] or not scenario["github"]["orgs"]:
        raise SystemExit(f"{value}: the scenario needs an AWS account and a GitHub org")
    scenario["aws"]["accounts"] = scenario["aws"]["accounts"][:1]
    scenario["github"]["orgs"] = scenario["github"]["orgs"][:1]
    return scenario


def drop_ours() -> None:
    from portal.models import Tenant

    for tenant in Tenant.objects.filter(name__startswith=PREFIX):
        drop_tenant(tenant)


def create_tenants(count: int) -> tuple[list[str], dict]:
    """One migrated template, ``count`` clones of it. Returns the names and the seconds each step took."""
    from django.test.utils import override_settings

    from portal.models import Tenant
    from portal.tenancy import create_tenant, ensure_public_tenant, schema_for

    ensure_public_tenant()
    start = time.monotonic()
    # A bare template (no domain, no workspace): each clone then makes its own default workspace, so no two
    # tenants share a workspace id, as in production.
    template = Tenant(name=TEMPLATE, schema_name=schema_for(TEMPLATE))
    template.save(verbosity=0)
    migrated = time.monotonic() - start
    names = [f"{PREFIX}{i:03d}" for i in range(1, count + 1)]
    start = time.monotonic()
    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=True, TENANT_BASE_SCHEMA=template.schema_name):
        for name in names:
            create_tenant(name)
    cloned = time.monotonic() - start
    drop_tenant(template)  # beat would otherwise run its tasks in the template too
    return names, {"template_migrate_s": round(migrated, 1), "clone_s_per_tenant": round(cloned / count, 2)}


def connect(names: list[str], scenario: dict, moto: str, github: str) -> None:
    """Load both peers once, then give every tenant the connections peers.demo.setup_tenant would make."""
    from discovery.models import Connection, Provider
    from peers.aws_loader import load_aws
    from peers.demo import DEMO_GITHUB_TOKEN, ENVIRONMENTS, load_github
    from portal.tenancy import tenant_scope
    from portal.workspaces.models import Workspace

    report = load_aws(scenario, moto)
    load_github(scenario, github)
    account, org = scenario["aws"]["accounts"][0], scenario["github"]["orgs"][0]
    for name in names:
        with tenant_scope(name), transaction.atomic():
            workspace = Workspace.default()
            aws = Connection(workspace=workspace, provider=Provider.AWS, name=f"aws-{account['name']}", config={
                "account_id": account["id"], "role_arn": report.role_arn(account["id"]),
                "regions": [r["name"] for r in account["regions"]] or ["us-east-1"],
                **({"environment": account["name"]} if account["name"] in ENVIRONMENTS else {})})
            aws.set_secret({"access_key_id": "roster-local", "secret_access_key": "roster-local"})
            aws.save()
            gh = Connection(workspace=workspace, provider=Provider.GITHUB, name=f"github-{org['login']}",
                            config={"org": org["login"], "base_url": github, "auth": "token"})
            gh.set_secret({"token": DEMO_GITHUB_TOKEN})
            gh.save()


def start_processes(stack, args) -> dict:
    """moto, the GitHub emulator, beat and the workers, stopped by ``stack`` (last started, first stopped)."""
    from celery_app import app

    moto_port, github_port = free_port(), free_port()
    urls = {"moto": f"http://127.0.0.1:{moto_port}", "github": f"http://127.0.0.1:{github_port}"}
    stack.callback(Process("bench-load-moto", [sys.executable, "-m", "peers.moto_server", "--port",
                                               str(moto_port)]).stop)
    stack.callback(Process("bench-load-github", [sys.executable, "-m", "peers.github_emulator", "--port",
                                                 str(github_port), "--token", GITHUB_TOKEN]).stop)
    wait_http(f"{urls['moto']}/moto-api/")
    wait_http(f"{urls['github']}/_emulator/stats")
    # Workers call moto directly (no latency proxy): on two cores the workers' own CPU is the bottleneck we
    # want to see, and a proxy process would take a share of it.
    env = {"ROSTER_LOCAL_PEERS": "1", "ROSTER_AWS_ENDPOINT_URL": urls["moto"],
           "ROSTER_GITHUB_EMULATOR_URL": urls["github"]}
    app.control.purge()  # our prefix's queues only: whatever a crashed run left is of no run now
    schedule = stack.enter_context(tempfile.TemporaryDirectory())
    stack.callback(Process("bench-load-beat", [sys.executable, "-m", "celery", "-A", "celery_app", "beat",
                                               "--loglevel", "WARNING", "-s", f"{schedule}/schedule"], env=env).stop)
    nodes = []
    for i in range(args.workers):
        nodes.append(f"bench-load-{i}-{os.getpid()}@")
        worker = Process(f"bench-load-worker-{i}", [
            sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", worker_queues(), "-c",
            str(args.concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
            "-n", f"{nodes[-1]}%h"], env=env)
        stack.callback(worker.stop)
    deadline = time.monotonic() + 90
    while True:  # every worker answers before the window opens, or the first ones would start alone
        answered = app.control.inspect(timeout=1).ping() or {}
        if all(any(name.startswith(node) for name in answered) for node in nodes):
            return urls
        if time.monotonic() > deadline:
            raise RuntimeError("bench workers did not start; see .run/log/test-bench-load-worker-*.log")


def trigger_all(names: list[str]) -> dict:
    """One workspace discovery per tenant, back to back. Returns {tenant: (trigger epoch, run ids, reconcile id)}."""
    from discovery import workflow
    from portal.tenancy import tenant_scope
    from portal.workspaces.models import Workspace

    triggered = {}
    for name in names:
        with tenant_scope(name):
            at = time.time()  # epoch: compared with the runs' finished_at, written by the workers
            with transaction.atomic():  # dispatched on commit, as the API does
                result = workflow.discover_workspace(Workspace.default(), trigger="bench")
            triggered[name] = (at, [r.pk for r in result["runs"]], result["reconcile_run"].pk)
    return triggered


def wait_all(triggered: dict, timeout: float) -> None:
    """Poll each unfinished tenant once a second: 50 tenants polled faster would load the database we measure."""
    from discovery.models import ACTIVE_STATUSES, Run
    from portal.tenancy import tenant_scope

    pending, start = dict(triggered), time.monotonic()
    while pending:
        for name, (_, ids, reconcile) in list(pending.items()):
            with tenant_scope(name):
                if not Run.objects.filter(pk__in=[*ids, reconcile], status__in=ACTIVE_STATUSES).exists():
                    del pending[name]
        if pending and time.monotonic() - start > timeout:
            raise TimeoutError(f"{len(pending)} tenants still running after {timeout:.0f}s: {sorted(pending)[:5]}")
        time.sleep(1.0)


def collect(triggered: dict) -> dict:
    """What the workers recorded: per tenant completion, jobs, runs, statuses, facts."""
    from django.db.models import Max
    from django.utils import timezone

    from discovery.models import Fact, Job, Run
    from portal.tenancy import tenant_scope

    per_tenant, statuses, jobs, runs, facts, last = {}, {}, 0, 0, 0, 0.0
    for name, (at, ids, reconcile) in triggered.items():
        with tenant_scope(name):
            found = list(Run.objects.filter(pk__in=[*ids, reconcile]))
            for run in found:
                statuses[f"{run.kind}:{run.status}"] = statuses.get(f"{run.kind}:{run.status}", 0) + 1
            # A run over without a finish time (none should be) counts as finished now rather than crash.
            done = (Run.objects.get(pk=reconcile).finished_at or timezone.now()).timestamp()
            per_tenant[name] = done - at
            ended = Run.objects.filter(pk__in=[*ids, reconcile]).aggregate(m=Max("finished_at"))["m"]
            last = max(last, done, ended.timestamp() if ended else 0.0)
            jobs += Job.objects.filter(run__in=ids).count()
            runs += len(found)
            facts += Fact.objects.count()
    return {"per_tenant": per_tenant, "statuses": statuses, "jobs": jobs, "runs": runs, "facts": facts,
            "last_finished": last}


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    return ordered[max(0, min(len(ordered), math.ceil(share * len(ordered))) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (each a Celery node)")
    parser.add_argument("--concurrency", type=int, default=4, help="pool processes per worker")
    parser.add_argument("--scenario", default="serverless:10",
                        help="a scenario file, or STYLE:SERVICES to generate (peers.generate_scenario)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds the window may last")
    args = parser.parse_args()
    scenario = load_scenario_arg(args.scenario)

    call_command("migrate_schemas", "--shared", verbosity=0)
    drop_ours()
    with ExitStack() as stack:
        stack.callback(drop_ours)  # registered first, so it runs after every process has stopped
        urls = start_processes(stack, args)
        setup_start = time.monotonic()
        names, setup = create_tenants(args.tenants)
        connect(names, scenario, urls["moto"], urls["github"])
        setup["setup_s"] = round(time.monotonic() - setup_start, 1)
        print(f"setup: {len(names)} tenants in {setup['setup_s']} s (template migrated in "
              f"{setup['template_migrate_s']} s, {setup['clone_s_per_tenant']} s per clone)", flush=True)

        window_start = time.time()
        triggered = trigger_all(names)
        trigger_s = time.time() - window_start
        wait_all(triggered, args.timeout)
        found = collect(triggered)

    wall = found["last_finished"] - window_start
    times = sorted(found["per_tenant"].values())
    median = statistics.median(times)
    slowest = max(found["per_tenant"], key=found["per_tenant"].get)
    ratio = times[-1] / median
    figures = {
        "scenario": args.scenario, "tenants": len(names), "connections": 2 * len(names),
        "workers": args.workers, "concurrency": args.concurrency, "jobs": found["jobs"], "runs": found["runs"],
        "trigger_s": round(trigger_s, 2), "wall_s": round(wall, 1),
        "jobs_per_s": round(found["jobs"] / wall, 2), "runs_per_s": round(found["runs"] / wall, 3),
        "tenant_min_s": round(times[0], 1), "tenant_median_s": round(median, 1),
        "tenant_p90_s": round(percentile(times, 0.9), 1), "tenant_max_s": round(times[-1], 1),
        "spread_s": round(times[-1] - times[0], 1), "slowest_tenant": slowest,
        "slowest_over_median": round(ratio, 2), "goal_ratio": GOAL_RATIO, "goal_met": ratio < GOAL_RATIO,
        "facts": found["facts"], "run_statuses": dict(sorted(found["statuses"].items())), **setup,
    }
    rows = [
        ("tenants / connections", f"{figures['tenants']} / {figures['connections']}"),
        ("workers x concurrency", f"{args.workers} x {args.concurrency}"),
        ("jobs / runs", f"{figures['jobs']} / {figures['runs']}"),
        ("run statuses", ", ".join(f"{k} {v}" for k, v in figures["run_statuses"].items())),
        ("triggering every tenant (s)", figures["trigger_s"]),
        ("wall time, trigger to last run over (s)", figures["wall_s"]),
        ("throughput (jobs/s, runs/s)", f"{figures['jobs_per_s']}, {figures['runs_per_s']}"),
        ("tenant completion min / median (s)", f"{figures['tenant_min_s']} / {figures['tenant_median_s']}"),
        ("tenant completion p90 / max (s)", f"{figures['tenant_p90_s']} / {figures['tenant_max_s']}"),
        ("spread, max - min (s)", figures["spread_s"]),
        ("slowest / median", (f"{figures['slowest_over_median']}x ({slowest}); goal < {GOAL_RATIO:.0f}x: "
                              f"{'met' if figures['goal_met'] else 'NOT met'}")),
        ("facts stored (all tenants)", figures["facts"]),
    ]
    print(f"\nLoad: {figures['tenants']} tenants x 2 connections ({args.scenario}), discovered at once")
    print(table([{"figure": k, "value": v} for k, v in rows], ["figure", "value"]))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
