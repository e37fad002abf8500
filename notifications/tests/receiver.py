"""A webhook receiver for tests: a real HTTP server on a free loopback port, in a thread, that records every
request and answers with the statuses it is told (200 once they run out)."""
from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self, statuses=(), location: str = ""):
        self.requests: list[Received] = []
        self.statuses = deque(statuses)
        self.location = location  # sent with a 3xx
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body))
                    status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def registry() -> Registry:
    resources = [Resource.from_contents(json.loads(p.read_text())) for p in sorted(SCHEMAS.glob("*.json"))]
    return Registry().with_resources((r.contents["$id"], r) for r in resources)


def validator(event_type: str) -> Draft202012Validator:
    path = SCHEMAS / f"{event_type}.json"
    assert path.is_file(), f"no schema for {event_type!r}"
    schema = json.loads(path.read_text())
    return Draft202012Validator(schema, registry=registry(), format_checker=FormatChecker())


def assert_valid(payload: dict) -> None:
    """The payload matches the schema file of its type (formats checked: uuid, date-time, uri)."""
    errors = sorted(validator(payload["type"]).iter_errors(payload), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
