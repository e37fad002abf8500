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

from portal import serve
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


def drop_tenant(tenant, attempts: int = 5) -> None:
    """Delete an end-to-end test's tenant from the public schema. Workers may still be finishing the tasks that
    follow a run in it (indexing, webhooks out), and DROP SCHEMA can deadlock with them: try again shortly."""
    from django.db import OperationalError
    from django_tenants.utils import schema_context

    for attempt in range(attempts):
        try:
            with schema_context("public"):
                tenant.delete(force_drop=True)
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(2)


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
    server = Process(f"{name}-web", serve.argv("--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120",
                                               "--log-level", "warning"), env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        yield port
    finally:
        server.stop()


@contextmanager
def oncall_peers(scenario: Path | str | None = None, *, pagerduty_key: str = "", opsgenie_key: str = ""):
    """The local PagerDuty and Opsgenie (peers.pagerduty_peer, peers.opsgenie_peer) serving ``scenario``'s oncall
    section, each a subprocess on a free loopback port. Yields {"pagerduty": url, "opsgenie": url}; workers started
    inside get them as the operator's ROSTER_PAGERDUTY_URL / ROSTER_OPSGENIE_URL (local peers mode). A key, when
    given, is the only one the peer accepts."""
    urls, procs = {}, []
    added = {}
    try:
        for vendor, key in (("pagerduty", pagerduty_key), ("opsgenie", opsgenie_key)):
            port = free_port()
            args = [sys.executable, "-m", f"peers.{vendor}_peer", "--port", str(port)]
            args += ["--scenario", str(scenario)] if scenario else []
            args += ["--token", key] if key else []
            procs.append(Process(vendor, args))
            urls[vendor] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            wait_http(f"{url}/_peer/requests")
        added = {"ROSTER_LOCAL_PEERS": "1", "ROSTER_PAGERDUTY_URL": urls["pagerduty"],
                 "ROSTER_OPSGENIE_URL": urls["opsgenie"]}
        previous = {key: PEER_ENV.get(key) for key in added}
        PEER_ENV.update(added)
        yield urls
    finally:
        for key in added:
            if previous.get(key) is None:
                PEER_ENV.pop(key, None)
            else:
                PEER_ENV[key] = previous[key]
        for proc in procs:
            proc.stop()


SLACK_SIGNING_SECRET = "roster-test-slack-signing-secret"
SLACK_CLIENT = ("1111.2222", "roster-test-slack-client-secret")


@contextmanager
def slack_peer(signing_secret: str = SLACK_SIGNING_SECRET):
    """The local Slack peer (peers.slack_peer) as a subprocess. Yields its base URL. While it runs, web servers
    and workers started from here get its Web API root (ROSTER_SLACK_API_URL) and the app's signing secret
    and OAuth credentials in their environment (``PEER_ENV``)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = Process("slack", [sys.executable, "-m", "peers.slack_peer", "--port", str(port), "--signing-secret",
                             signing_secret, "--client-id", SLACK_CLIENT[0], "--client-secret", SLACK_CLIENT[1]])
    added = {"ROSTER_SLACK_API_URL": f"{base}/api/", "SLACK_SIGNING_SECRET": signing_secret,
             "SLACK_CLIENT_ID": SLACK_CLIENT[0], "SLACK_CLIENT_SECRET": SLACK_CLIENT[1]}
    try:
        wait_http(f"{base}/_peer/stats")
        PEER_ENV.update(added)
        yield base
    finally:
        for key in added:
            PEER_ENV.pop(key, None)
        proc.stop()
