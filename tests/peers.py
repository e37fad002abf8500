"""Start the real peers and workers for end-to-end tests: moto server, the GitHub emulator and Celery
workers, each a subprocess on a free localhost port, stopped at the end of the session."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from portal.queues import worker_queues

ROOT = Path(__file__).resolve().parent.parent
GITHUB_TOKEN = "roster-demo-token"
# Set by peers(): where workers reach the peers. Endpoints are the operator's settings, never a connection's
# config (discovery.endpoints), so workers started after peers() get them in their environment.
PEER_ENV: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f}s")


def wait_for(predicate, timeout: float = 180.0, step: float = 0.3):
    """Poll ``predicate`` until it returns something truthy (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {getattr(predicate, '__name__', 'it')}")


class Process:
    def __init__(self, name: str, args: list[str], env: dict | None = None):
        log_dir = ROOT / ".run" / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(log_dir / f"test-{name}.log", "wb")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})}, start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


@contextmanager
def peers():
    """Yields {"aws": moto endpoint, "aws_proxy": fault proxy in front of moto (no faults until a test sets
    some through /_proxy/settings), "github": emulator URL}. Workers scan AWS through the proxy."""
    moto_port, github_port, proxy_port = free_port(), free_port(), free_port()
    moto, github, proxy = (f"http://127.0.0.1:{port}" for port in (moto_port, github_port, proxy_port))
    procs = [
        Process("moto", [sys.executable, "-m", "peers.moto_server", "--port", str(moto_port)]),
        Process("github", [sys.executable, "-m", "peers.github_emulator", "--port", str(github_port), "--token",
                           GITHUB_TOKEN]),
        Process("fault-proxy", [sys.executable, "-m", "peers.fault_proxy", "--upstream", moto, "--port",
                                str(proxy_port)]),
    ]
    try:
        wait_http(f"{moto}/moto-api/")
        wait_http(f"{github}/_emulator/stats")
        wait_http(f"{proxy}/_proxy/settings")
        PEER_ENV.update({"ROSTER_LOCAL_PEERS": "1", "ROSTER_AWS_ENDPOINT_URL": proxy,
                         "ROSTER_GITHUB_EMULATOR_URL": github})
        yield {"aws": moto, "aws_proxy": proxy, "github": github}
    finally:
        PEER_ENV.clear()
        for proc in procs:
            proc.stop()


def worker_env(db_name: str) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "ROSTER_DB_NAME": db_name,
        "ROSTER_BROKER_KEY_PREFIX": f"{db_name}:",  # this session's queues only (portal.settings_test)
        "AWS_ACCESS_KEY_ID": "roster-local", "AWS_SECRET_ACCESS_KEY": "roster-local",
        "AWS_DEFAULT_REGION": "us-east-1",
        **PEER_ENV,
    }


@contextmanager
def workers(db_name: str, concurrency: int = 4):
    from celery_app import app

    app.control.purge()  # this session's queues only: they carry its prefix (portal.settings_test)
    proc = Process("worker", [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q",
                              worker_queues(), "-c", str(concurrency), "--loglevel", "INFO",
                              "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h"],
                   env=worker_env(db_name))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.inspect(timeout=1).ping():
                break
            if proc.proc.poll() is not None:
                raise RuntimeError("the Celery worker exited; see .run/log/test-worker.log")
        else:
            raise RuntimeError("the Celery worker did not answer")
        yield proc
    finally:
        proc.stop()


@contextmanager
def web_server(db_name: str, *, name: str = "web"):
    """gunicorn serving Roster on the test database in local peers mode (the peers' URLs as the workers have
    them), on a free loopback port. Yields the port; tenants answer on http://<tenant>.localhost:<port>/."""
    port = free_port()
    env = {**worker_env(db_name), "ROSTER_DEBUG": "1", "ROSTER_SSL_REDIRECT": "0"}
    server = Process(f"{name}-web", [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind",
                                     f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--worker-class",
                                     "gthread", "--timeout", "120", "--log-level", "warning"], env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        yield port
    finally:
        server.stop()
