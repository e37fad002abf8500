"""``python -m peers.github_emulator``: serves a scenario on 127.0.0.1, stays quiet, exits 0 on SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from .conftest import ORG, SCENARIOS

ROOT = Path(__file__).resolve().parents[3]


def test_cli_serves_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "peers.github_emulator", "--port", "0", "--scenario",
         str(SCENARIOS / "sample-messy.yaml"), "--token", "cli-token", "--token", "owned=zoe-ng25", "--latency-ms", "1"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        assert requests.get(f"{base}/orgs/{ORG}", headers={"Authorization": "token cli-token"}).json()["login"] == ORG
        assert requests.get(f"{base}/orgs/{ORG}", headers={"Authorization": "token other"}).status_code == 401
        assert requests.get(f"{base}/user", headers={"Authorization": "token owned"}).json()["login"] == "zoe-ng25"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert out == "" and err == ""  # no per-request log lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
