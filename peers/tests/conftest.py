"""A real moto server (``python -m peers.moto_server``) on a free port, shared by the session."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_server_process(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Run ``python -m <args> --port 0`` and return it with the URL from its "listening on URL" line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", *args, "--port", "0"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"{args[0]} did not start: {line!r}")
    return proc, line.split("listening on", 1)[1].split()[0]


def stop_server_process(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    proc, url = start_server_process("peers.moto_server")
    try:
        yield url
    finally:
        assert stop_server_process(proc) == 0, "python -m peers.moto_server must exit cleanly on SIGTERM"
