"""Processes the benchmarks start themselves (no Django, no side effects on import): a gunicorn serving Roster,
stopped with its whole process group."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_gunicorn(app: str, env: dict, port: int, *, name: str, threads: int = 2) -> subprocess.Popen:
    """gunicorn serving ``app`` on 127.0.0.1:``port`` in its own process group, returned once /healthz answers;
    its log is .run/log/bench-<name>-gunicorn.log."""
    log_path = ROOT / ".run" / "log" / f"bench-{name}-gunicorn.log"
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", str(threads), "--worker-class", "gthread", "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status < 500:
                return proc
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    stop_process(proc)
    raise SystemExit(f"gunicorn did not start: see {log_path.relative_to(ROOT)}")


def stop_process(proc: subprocess.Popen) -> None:
    """Stop a process started in its own group (and its children): TERM, then KILL after 15 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
