"""Kill -9 a Celery worker (and restart Redis or PostgreSQL) in the middle of a discovery and measure how the
run engine recovers.

    .venv/bin/python scripts/chaos.py [--scenario scenarios/multi-account-co.yaml] [--latency-ms 200]
                                      [--restart redis] [--restart postgres]

Starts moto, the GitHub emulator and the fault proxy (with latency, so scans take a while), beat (the
watchdog, every 30 s) and a worker; discovers the scenario once without a kill (the reference catalog), then
again, kills the whole worker (SIGKILL to its process group: the main process and its pool, like a lost
machine) while jobs are running, starts a replacement worker and waits. Prints a table, then one JSON line.
With ``--restart``, it then discovers again and restarts that server of .run/ while jobs run
(``restart_and_recover``: every client's connection is cut; Redis keeps no queue across it).
``tests/test_chaos.py`` runs the same scenarios and asserts on them.

Runs against the local PostgreSQL/Redis of `scripts/roster.sh services`, on Redis db 2 (as bench/ does).
"""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from portal.queues import worker_queues  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "multi-account-co.yaml"
CHAOS_QUEUES = worker_queues()


# --- shared with tests/test_chaos.py ---------------------------------------------------------------------

def start_worker(db_name: str, name: str, concurrency: int = 4):
    """A Celery worker on this session's queues; returns the tests.peers.Process once it answers a ping."""
    from celery_app import app
    from tests.peers import Process, worker_env

    node = f"{name}-{os.getpid()}@%h"
    proc = Process(name, [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", CHAOS_QUEUES,
                          "-c", str(concurrency), "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                          "-n", node], env=worker_env(db_name))
    wanted = node.replace("%h", "")
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                answers = app.control.inspect(timeout=1).ping() or {}
            except Exception:  # a broker that was just restarted: the pool's first connection is stale
                answers = {}
                time.sleep(0.5)
            if any(key.startswith(wanted) for key in answers):
                return proc
            if proc.proc.poll() is not None:
                raise RuntimeError(f"worker {name} exited; see .run/log/test-{name}.log")
        raise RuntimeError(f"worker {name} did not answer")
    except BaseException:
        proc.stop()  # never leave a worker behind to take the next test's jobs
        raise


@contextmanager
def beat(db_name: str):
    """Celery beat (the watchdog every 30 s, in every tenant schema), with a throwaway schedule file."""
    from tests.peers import Process, worker_env

    with tempfile.TemporaryDirectory() as tmp:
        proc = Process("beat", [sys.executable, "-m", "celery", "-A", "celery_app", "beat", "--loglevel", "INFO",
                                "-s", str(Path(tmp) / "schedule")], env=worker_env(db_name))
        try:
            yield proc
        finally:
            proc.stop()


@contextmanager
def only_our_workers():
    """Other workers of this session (tests' live_workers) stop consuming the scan and catalog queues while
    the chaos runs, so that only the worker we kill and its replacement do the work; restored after."""
    from celery_app import app

    paused = {name: [q["name"] for q in queues if q["name"] in ("discovery", "catalog")]
              for name, queues in (app.control.inspect(timeout=1).active_queues() or {}).items()}
    for name, queues in paused.items():
        for queue in queues:
            app.control.cancel_consumer(queue, destination=[name], reply=True, timeout=5)
    app.control.purge()  # this session's queues: messages left by workers killed earlier are of no run now
    try:
        yield
    finally:
        for name, queues in paused.items():
            for queue in queues:
                for attempt in range(5):  # a broker restarted under us: the pool's first connection is stale
                    try:
                        app.control.add_consumer(queue, destination=[name], reply=True, timeout=5)
                        break
                    except Exception:
                        if attempt == 4:
                            raise
                        time.sleep(1)


def discover(tenant):
    """Queue a workspace discovery; returns the ids of its runs (scans and reconcile)."""
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from discovery import workflow
    from portal.workspaces.models import Workspace

    with tenant_context(tenant), transaction.atomic():
        result = workflow.discover_workspace(Workspace.default(), trigger="chaos")
    return [r.pk for r in result["runs"]] + [result["reconcile_run"].pk]


def wait_finished(tenant, ids, timeout: float) -> float:
    """Seconds until every run of ``ids`` is over (raises TimeoutError past ``timeout``)."""
    from django_tenants.utils import tenant_context

    from discovery.models import ACTIVE_STATUSES, Run

    from django.db.models import Count

    from discovery.models import Job

    started = time.monotonic()
    with tenant_context(tenant):
        while Run.objects.filter(pk__in=ids, status__in=ACTIVE_STATUSES).exists():
            if time.monotonic() - started > timeout:
                runs = list(Run.objects.filter(pk__in=ids).values_list("kind", "status", "dispatched_at"))
                jobs = list(Job.objects.filter(run__in=ids).values_list("status").annotate(n=Count("pk")))
                raise TimeoutError(f"runs still active after {timeout:.0f}s: runs {runs}, jobs {jobs}")
            time.sleep(0.25)
    return time.monotonic() - started


def kill_and_recover(tenant, db_name: str, *, timeout: float = 240.0, min_running: int = 2) -> dict:
    """Discover, kill -9 the worker while at least ``min_running`` jobs run, start a replacement, wait.

    Beat must be running (the watchdog). Returns the figures: seconds from the kill until the killed jobs
    were requeued (the watchdog noticed), until they were done, and until every run was over."""
    from django.db.models import Q
    from django_tenants.utils import tenant_context

    from discovery.models import Job, RunStatus

    victim = start_worker(db_name, "chaos-victim")
    replacement = None
    try:
        ids = discover(tenant)
        deadline = time.monotonic() + 120
        with tenant_context(tenant):
            while True:
                running = list(Job.objects.filter(run__in=ids, status=RunStatus.RUNNING).values_list("pk", flat=True))
                if len(running) >= min_running and Job.objects.filter(run__in=ids, status=RunStatus.SUCCEEDED):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("no jobs were running: nothing to kill in the middle of")
                time.sleep(0.05)
        os.killpg(victim.proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.proc.wait(10)
        replacement = start_worker(db_name, "chaos-replacement")
        requeued_after = done_after = None
        with tenant_context(tenant):
            killed = Job.objects.filter(pk__in=running)
            total = Job.objects.filter(run__in=ids).count()
            while time.monotonic() - killed_at < timeout:
                now = time.monotonic() - killed_at
                if requeued_after is None and killed.filter(Q(status=RunStatus.QUEUED) | Q(attempts__gt=1)).exists():
                    requeued_after = now
                if done_after is None and not killed.exclude(status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED]):
                    done_after = now
                if done_after is not None:
                    break
                time.sleep(0.25)
        finished_after = (time.monotonic() - killed_at) + wait_finished(
            tenant, ids, max(1.0, timeout - (time.monotonic() - killed_at)))
        with tenant_context(tenant):
            attempts = list(Job.objects.filter(pk__in=running).values_list("attempts", flat=True))
            dead = Job.objects.filter(run__in=ids, failure__reason_code="dead_letter").count()
        return {"runs": ids, "jobs": total, "killed_jobs": len(running), "max_attempts": max(attempts),
                "dead_lettered": dead, "kill_to_requeue_s": round(requeued_after or -1, 1),
                "kill_to_jobs_done_s": round(done_after or -1, 1), "kill_to_runs_finished_s": round(finished_after, 1)}
    finally:
        if victim.proc.poll() is None:
            victim.stop()
        victim.log.close()
        if replacement is not None:
            replacement.stop()


def restart_server(server: str) -> None:
    """Restart this session's PostgreSQL or Redis (``scripts/roster.sh restart-postgres|restart-redis``), the
    one the settings point at, whatever .run/env says."""
    import subprocess
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.db import connections

    env = {**os.environ, "ROSTER_DB_PORT": str(settings.DATABASES["default"]["PORT"]),
           "ROSTER_REDIS_PORT": str(urlsplit(settings.CELERY_BROKER_URL).port)}
    subprocess.run([str(ROOT / "scripts" / "roster.sh"), f"restart-{server}"], env=env, check=True, timeout=120)
    if server == "postgres":
        connections.close_all()  # ours were cut: the next query connects afresh


def restart_and_recover(tenant, db_name: str, server: str, *, timeout: float = 300.0) -> dict:
    """Discover, restart ``server`` (postgres or redis) while jobs run, wait until every run is over.
    Returns seconds from the restart to the end, the runs' statuses and their failures' reason codes."""
    from django.db import connections
    from django_tenants.utils import tenant_context

    from discovery.models import Job, Run, RunStatus

    worker = start_worker(db_name, f"chaos-{server}")
    try:
        ids = discover(tenant)
        deadline = time.monotonic() + 120
        with tenant_context(tenant):
            while not (Job.objects.filter(run__in=ids, status=RunStatus.RUNNING).exists()
                       and Job.objects.filter(run__in=ids, status=RunStatus.SUCCEEDED).exists()):
                if time.monotonic() > deadline:
                    raise RuntimeError("no jobs were running: nothing to restart in the middle of")
                time.sleep(0.05)
            running = Job.objects.filter(run__in=ids, status=RunStatus.RUNNING).count()
        connections.close_all()
        restarted_at = time.monotonic()
        restart_server(server)
        finished_after = (time.monotonic() - restarted_at) + wait_finished(tenant, ids, timeout)
        with tenant_context(tenant):
            found = list(Run.objects.filter(pk__in=ids))
            attempts = max(Job.objects.filter(run__in=ids).values_list("attempts", flat=True))
        return {"runs": ids, "server": server, "jobs_running_at_restart": running, "max_attempts": attempts,
                "restart_to_runs_finished_s": round(finished_after, 1),
                "statuses": sorted(f"{r.kind}:{r.status}" for r in found),
                "reason_codes": sorted({f.get("reason_code", "") for r in found for f in (r.failures or [])})}
    finally:
        worker.stop()


def set_latency(proxy: str, latency_ms: int) -> None:
    import urllib.request

    request = urllib.request.Request(proxy + "/_proxy/settings", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({"latency_ms": latency_ms}).encode())
    urllib.request.urlopen(request, timeout=10).read()


def aws_facts(tenant) -> list[tuple[str, str, str, str]]:
    from django_tenants.utils import tenant_context

    from discovery import facts as k
    from discovery.models import Fact

    with tenant_context(tenant):
        return sorted(Fact.objects.filter(kind__in=k.AWS_KINDS).values_list("kind", "account", "region", "name"))


def services(tenant) -> list[tuple[str, str]]:
    from django_tenants.utils import tenant_context

    from catalog.models import Service

    with tenant_context(tenant):
        return sorted(Service.objects.filter(hidden=False).values_list("name", "owner__slug"))


# --- the command -------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--restart", action="append", choices=["redis", "postgres"], default=[],
                        help="then restart this server of .run/ mid-discovery (repeatable; cuts every client of it)")
    args = parser.parse_args(argv)

    from portal.env import read_run_env, redis_url_with_db

    os.environ.setdefault("ROSTER_REDIS_URL", redis_url_with_db(
        read_run_env().get("ROSTER_REDIS_URL", "redis://127.0.0.1:63799/0"), 2))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("ROSTER_BROKER_KEY_PREFIX", "roster-chaos:")
    for key, value in (("AWS_ACCESS_KEY_ID", "roster-local"), ("AWS_SECRET_ACCESS_KEY", "roster-local"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(key, value)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from celery_app import app
    from peers.demo import setup_tenant
    from peers.scenario import load_scenario
    from portal.models import Tenant
    from tests.peers import peers

    call_command("migrate_schemas", "--shared", verbosity=0)
    db_name = settings.DATABASES["default"]["NAME"]
    scenario = load_scenario(Path(args.scenario))
    app.control.purge()
    with peers() as urls, beat(db_name):
        setup_tenant(scenario, aws_endpoint=urls["aws"], github_url=urls["github"], tenant_name="chaos")
        tenant = Tenant.objects.get(name="chaos")
        try:
            set_latency(urls["aws_proxy"], args.latency_ms)
            worker = start_worker(db_name, "chaos-reference")
            try:
                reference = time.monotonic()
                wait_finished(tenant, discover(tenant), 600)
                reference = time.monotonic() - reference
            finally:
                worker.stop()
            expected_facts, expected_services = aws_facts(tenant), services(tenant)
            figures = kill_and_recover(tenant, db_name, timeout=600)
            figures.update({"scenario": Path(args.scenario).stem, "latency_ms": args.latency_ms,
                            "reference_discovery_s": round(reference, 1),
                            "facts_match": aws_facts(tenant) == expected_facts,
                            "services_match": services(tenant) == expected_services})
            for server in args.restart:
                restarted = restart_and_recover(tenant, db_name, server, timeout=600)
                figures[f"{server}_restart_to_runs_finished_s"] = restarted["restart_to_runs_finished_s"]
                figures[f"{server}_restart_statuses_ok"] = all(s.endswith("succeeded") for s in restarted["statuses"])
                figures["facts_match"] &= aws_facts(tenant) == expected_facts
        finally:
            tenant.delete(force_drop=True)
    figures.pop("runs")
    rows = [("scenario", figures["scenario"]), ("jobs", figures["jobs"]),
            ("jobs running at the kill", figures["killed_jobs"]),
            ("discovery without a kill (s)", figures["reference_discovery_s"]),
            ("kill -> killed jobs requeued (s)", figures["kill_to_requeue_s"]),
            ("kill -> killed jobs done (s)", figures["kill_to_jobs_done_s"]),
            ("kill -> every run finished (s)", figures["kill_to_runs_finished_s"]),
            ("dead-lettered jobs", figures["dead_lettered"]),
            ("facts / services as without a kill", f"{figures['facts_match']} / {figures['services_match']}")]
    for server in args.restart:
        rows += [(f"{server} restart -> every run finished (s)", figures[f"{server}_restart_to_runs_finished_s"]),
                 (f"{server} restart: every run succeeded", figures[f"{server}_restart_statuses_ok"])]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps(figures, sort_keys=True))
    return 0 if figures["facts_match"] and figures["services_match"] else 1


if __name__ == "__main__":
    sys.exit(main())
