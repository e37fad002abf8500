"""Routing benchmark: "whom do I page?" over HTTP against gunicorn, from the routing cache and without it.

    .venv/bin/python bench/routing.py [--services 5000] [--requests 2000]

What it does:
1. Creates the tenant bench-routing in the development database (its rows replaced each run) with 120 teams, each with a
   Slack channel, a PagerDuty schedule (who is on call now and next, as oncall.sync stores it) and an escalation
   policy, and ``--services`` services owned by them, each with an ARN.
2. Serves portal.wsgi with gunicorn on a free 127.0.0.1 port (host bench-routing.localhost), with Redis db 2 for
   the cache, so a running demo is not disturbed.
3. Asks GET /api/v1/services/{id}/routing/ and GET /api/v1/resources/{arn}/routing/ for 300 services each once
   (cache misses: the answer computed), then ``--requests`` more of the same, round-robin over the two kinds on a
   keep-alive connection (cache hits), and /healthz for the cost of any request before a view runs.
4. Prints p50/p95/p99 end to end per kind, cached and not, then one JSON line.
Exits 1 if the cached p95 misses the target (20 ms).
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path, and bench/catalog.py would shadow the catalog app.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

ROOT = _BENCH.parent
TENANT = "bench-routing"
BENCH_REDIS_DB = 2
TEAMS = 120
DISTINCT = 300
TARGET_P95_MS = 20.0


def _bench_env() -> dict:
    """Environment shared by this process and gunicorn: Redis db 2, production-like settings."""
    from portal.env import load_run_env

    load_run_env()
    redis = os.environ.get("ROSTER_REDIS_URL", "redis://127.0.0.1:63799/0").rsplit("/", 1)[0]
    db = f"{redis}/{BENCH_REDIS_DB}"
    os.environ.update({"ROSTER_REDIS_URL": db, "ROSTER_BROKER_URL": db, "ROSTER_RESULT_BACKEND": db,
                       "ROSTER_DEBUG": "0", "ROSTER_SSL_REDIRECT": "0",  # plain HTTP on loopback, else production
                       "DJANGO_SETTINGS_MODULE": "portal.settings"})
    return dict(os.environ)


def build(services: int, seed: int = 11) -> tuple[str, list[tuple[str, str]]]:
    """(a viewer's token, [(service id, ARN)]) of a fresh tenant."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.testing import user_with_token
    from catalog.models import Service, ServiceResource, Team
    from oncall.models import EscalationPolicy, OnCallConnection, OnCallSchedule
    from portal.tenancy import create_tenant, tenant_scope
    from portal.workspaces.models import Workspace

    rng = random.Random(seed)
    started = time.perf_counter()
    create_tenant(TENANT)
    now = timezone.now()
    with tenant_scope(TENANT):
        # A previous run's rows go (the tenant stays: dropping a tenant is not what is measured).
        Service.objects.all().delete()
        Team.objects.all().delete()
        OnCallConnection.objects.all().delete()
        conn = OnCallConnection.objects.create(workspace=Workspace.default(), provider="pagerduty", name="bench")
        teams = Team.objects.bulk_create([
            Team(slug=f"team-{n}", name=f"Team {n}", slack_channel=f"#team-{n}", pagerduty_schedule_id=f"PS{n:05d}",
                 contact_email=f"team-{n}@bench.test") for n in range(TEAMS)])
        OnCallSchedule.objects.bulk_create([
            OnCallSchedule(connection=conn, provider="pagerduty", external_id=f"PS{n:05d}", name=f"Team {n} Primary",
                           current=[{"name": f"Person {n}a", "email": f"p{n}a@bench.test"}],
                           current_until=now + timedelta(hours=rng.randint(1, 24)),
                           upcoming=[{"name": f"Person {n}b", "email": f"p{n}b@bench.test"}],
                           upcoming_until=now + timedelta(hours=48), synced_at=now) for n in range(TEAMS)])
        EscalationPolicy.objects.bulk_create([
            EscalationPolicy(connection=conn, external_id=f"PE{n:05d}", name=f"Team {n} Escalation",
                             schedule_ids=[f"PS{n:05d}"], levels=[{"level": 1, "delay_minutes": 15}], synced_at=now)
            for n in range(TEAMS)])
        rows = Service.objects.bulk_create([
            Service(name=f"svc-{n}", key=f"svc-{n}", owner=rng.choice(teams), ownership_status="owned",
                    owner_confidence=round(rng.uniform(0.6, 0.99), 2)) for n in range(services)], batch_size=2000)
        ServiceResource.objects.bulk_create([
            ServiceResource(service=s, external_id=f"arn:aws:ecs:us-east-1:123456789012:service/prod/{s.name}",
                            kind="ecs_service", name=s.name) for s in rows], batch_size=2000)
        _, token = user_with_token("bench-routing", "viewer")
        picked = [(str(s.pk), f"arn:aws:ecs:us-east-1:123456789012:service/prod/{s.name}") for s in rows]
    print(f"  {TENANT}: {TEAMS} teams, {services} services in {time.perf_counter() - started:.1f}s", flush=True)
    return token, picked


def ask(conn: http.client.HTTPConnection, path: str, token: str | None) -> tuple[float, str]:
    headers = {"Host": f"{TENANT}.localhost", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return elapsed, response.getheader("X-Roster-Cache", "")


def percentiles(values: list[float]) -> dict:
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2),
            "max": round(max(values), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    env = _bench_env()
    import django

    django.setup()
    from django.db import connection

    from bench.processes import start_gunicorn, stop_process
    from tests.peers import free_port

    print(f"Building {TENANT}", flush=True)
    token, services = build(args.services)
    connection.close()
    sample = random.Random(3).sample(services, min(DISTINCT, len(services)))
    paths = {"service": [f"/api/v1/services/{sid}/routing/" for sid, _ in sample],
             "arn": [f"/api/v1/resources/{urllib.parse.quote(arn, safe=':/')}/routing/" for _, arn in sample]}
    port = free_port()
    server = start_gunicorn("portal.wsgi:application", env, port, name="routing")
    times: dict[str, list[float]] = {f"{kind} {state}": [] for kind in paths for state in ("cached", "uncached")}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(30):  # imports, connections, the token cache: not counted
            ask(conn, "/healthz", None)
            ask(conn, "/api/v1/teams/?limit=1", token)
        for kind, kind_paths in paths.items():
            for path in kind_paths:
                elapsed, cache_state = ask(conn, path, token)
                times[f"{kind} {'cached' if cache_state == 'hit' else 'uncached'}"].append(elapsed)
        rng = random.Random(5)
        for n in range(args.requests):
            kind = ("service", "arn")[n % 2]
            elapsed, cache_state = ask(conn, rng.choice(paths[kind]), token)
            times[f"{kind} {'cached' if cache_state == 'hit' else 'uncached'}"].append(elapsed)
        healthz = [ask(conn, "/healthz", None)[0] for _ in range(300)]
        conn.close()
    finally:
        stop_process(server)

    figures = {name: percentiles(values) for name, values in times.items()}
    figures["healthz"] = percentiles(healthz)
    cached = percentiles(times["service cached"] + times["arn cached"])
    figures["all cached"] = cached
    print(f"\n{'request':<18} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, row in figures.items():
        if row.get("n", 0) >= 2:
            print(f"{name:<18} {row['n']:>6} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8} {row['max']:>8}")
    met = cached.get("p95", float("inf")) < TARGET_P95_MS
    print(f"\ncached p95 end to end {cached.get('p95')} ms (target < {TARGET_P95_MS:.0f} ms): "
          f"{'met' if met else 'MISSED'}", flush=True)
    print(json.dumps({"bench": "routing", "services": args.services, "requests": args.requests,
                      "target_p95_ms": TARGET_P95_MS, "met": met,
                      **{name.replace(" ", "_"): row for name, row in figures.items()}}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
