"""What the benchmarks share: the real stack (moto, the GitHub emulator, the fault proxy, Celery workers)
on localhost, a tenant per scenario, and a discovery timed from trigger to completion.

Runs against the local PostgreSQL/Redis that `scripts/roster.sh services` starts, on Redis db 2 so it
never shares queues with a running demo."""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from portal.env import read_run_env, redis_url_with_db  # noqa: E402

# Redis db 2 of the local Redis, with its password (.run/env).
os.environ.setdefault("ROSTER_REDIS_URL", redis_url_with_db(
    read_run_env().get("ROSTER_REDIS_URL", "redis://127.0.0.1:63799/0"), 2))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
for key, value in (("AWS_ACCESS_KEY_ID", "roster-local"), ("AWS_SECRET_ACCESS_KEY", "roster-local"),
                   ("AWS_DEFAULT_REGION", "us-east-1")):
    os.environ.setdefault(key, value)

import django  # noqa: E402

import catalog  # noqa: E402,F401  the app package, bound before Django looks it up (bench/catalog.py is a script)

django.setup()

import psutil  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from portal.queues import worker_queues  # noqa: E402
from tests.peers import GITHUB_TOKEN, Process, free_port, wait_http  # noqa: E402


class RssSampler:
    """Peak resident memory of a process tree (the Celery worker and its pool), sampled every 50 ms."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak_total = 0
        self.peak_process = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                rss = [p.memory_info().rss for p in procs]
                self.peak_total = max(self.peak_total, sum(rss))
                self.peak_process = max(self.peak_process, max(rss))
            except psutil.Error:
                pass
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@contextmanager
def stack(*, aws_latency_ms: int = 0, github_latency_ms: int = 0, workers: int = 8):
    """Yields {"aws": proxy URL (latency in front of moto), "moto": moto URL, "github": emulator URL,
    "proxy": handle, "worker": Process}."""
    from peers.fault_proxy import start_fault_proxy

    call_command("migrate_schemas", "--shared", verbosity=0)
    with ExitStack() as stack_:
        moto_port, github_port = free_port(), free_port()
        moto = Process("bench-moto", [sys.executable, "-m", "peers.moto_server", "--port", str(moto_port)])
        stack_.callback(moto.stop)
        github = Process("bench-github", [sys.executable, "-m", "peers.github_emulator", "--port", str(github_port),
                                          "--token", GITHUB_TOKEN, "--latency-ms", str(github_latency_ms)])
        stack_.callback(github.stop)
        wait_http(f"http://127.0.0.1:{moto_port}/moto-api/")
        wait_http(f"http://127.0.0.1:{github_port}/_emulator/stats")
        proxy_url, proxy = start_fault_proxy(f"http://127.0.0.1:{moto_port}", latency_ms=aws_latency_ms)
        stack_.callback(proxy.stop)
        from celery_app import app

        app.control.purge()
        worker = Process("bench-worker", [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q",
                                          worker_queues(), "-c", str(workers), "--loglevel", "WARNING",
                                          "--without-gossip", "--without-mingle", "-n", f"bench-{os.getpid()}@%h"],
                         # Local peers mode: the workers may call these loopback peers, and only these.
                         env={"ROSTER_REDIS_URL": os.environ["ROSTER_REDIS_URL"], "ROSTER_LOCAL_PEERS": "1",
                              "ROSTER_AWS_ENDPOINT_URL": proxy_url,
                              "ROSTER_GITHUB_EMULATOR_URL": f"http://127.0.0.1:{github_port}"})
        stack_.callback(worker.stop)
        deadline = time.monotonic() + 60
        while not app.control.inspect(timeout=1).ping():
            if time.monotonic() > deadline or worker.proc.poll() is not None:
                raise RuntimeError("bench worker did not start; see .run/log/test-bench-worker.log")
        yield {"aws": proxy_url, "moto": f"http://127.0.0.1:{moto_port}", "github": f"http://127.0.0.1:{github_port}",
               "proxy": proxy, "worker": worker}


def setup(scenario: dict, urls: dict, tenant: str) -> None:
    """Load the scenario into the peers (directly into moto: loading is not what we measure) and connect
    a fresh tenant to them; the workers reach moto through the latency proxy (their ROSTER_AWS_ENDPOINT_URL)."""
    from peers.demo import setup_tenant

    setup_tenant(scenario, aws_endpoint=urls["moto"], github_url=urls["github"], tenant_name=tenant)


def discover(tenant: str, *, provider: str | None = None, reconcile: bool = True, timeout: float = 900) -> dict:
    """Trigger a discovery and wait. Returns wall seconds to the end of the scans and of everything."""
    from discovery import workflow
    from discovery.models import ACTIVE_STATUSES, Connection, Run
    from portal.tenancy import tenant_scope
    from portal.workspaces.models import Workspace

    with tenant_scope(tenant):
        ids = list(Connection.objects.filter(**({"provider": provider} if provider else {}))
                   .values_list("pk", flat=True))
        start = time.monotonic()
        with transaction.atomic():
            result = workflow.discover_workspace(Workspace.default(), connection_ids=ids, trigger="bench",
                                                 reconcile=reconcile)
        scan_ids = [r.pk for r in result["runs"]]
        all_ids = scan_ids + ([result["reconcile_run"].pk] if result["reconcile_run"] else [])
        scans_done = None
        while True:
            active = set(Run.objects.filter(pk__in=all_ids, status__in=ACTIVE_STATUSES).values_list("pk", flat=True))
            if scans_done is None and not active & set(scan_ids):
                scans_done = time.monotonic() - start
            if not active:
                break
            if time.monotonic() - start > timeout:
                raise RuntimeError("discovery did not finish in time")
            time.sleep(0.05)
        total = time.monotonic() - start
        runs = list(Run.objects.filter(pk__in=all_ids))
        return {"scan_seconds": scans_done, "total_seconds": total, "runs": runs}


def drop(tenant: str) -> None:
    from portal.models import Tenant

    for t in Tenant.objects.filter(name=tenant):
        t.delete(force_drop=True)


def table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)
