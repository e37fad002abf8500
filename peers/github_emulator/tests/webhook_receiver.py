"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that keeps every request it gets.

``/ok...`` answers 200, ``/fail...`` 500, ``/redirect...`` 302 to ``/ok``, ``/hold...`` waits until
``release()`` (to see that the emulator does not wait for its receivers).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["X-GitHub-Event"]

    @property
    def guid(self) -> str:
        return self.headers["X-GitHub-Delivery"]

    @property
    def payload(self) -> dict[str, Any]:
        if self.headers["Content-Type"] == "application/x-www-form-urlencoded":
            return json.loads(parse_qs(self.body.decode())["payload"][0])
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""), expected)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/hold"):
                    receiver.gate.wait(30)
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", "/ok/after-redirect")
                else:
                    self.send_response(500 if self.path.startswith("/fail") else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def by_guid(self, guids: list[str]) -> list[Received]:
        """Every request received for these delivery ids (one event's id is shared by the hooks it reaches)."""
        wanted = set(guids)
        with self.lock:
            found = [r for r in self.received if r.headers.get("X-GitHub-Delivery") in wanted]
        missing = wanted - {r.guid for r in found}
        assert not missing, f"deliveries never arrived: {sorted(missing)}"
        return found

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
