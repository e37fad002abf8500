"""A reverse proxy in front of moto that throttles, fails and slows AWS calls like real AWS does.

Roster's scanner must survive throttling, 5xx and latency; moto never produces them. Requests pass
through unchanged (same method, path, Host and body) unless the proxy injects a fault, which it
answers itself without reaching upstream, so a client retry never repeats a side effect. Each
fault is shaped for the protocol of the request so botocore raises the error code AWS would:

- query (form body with ``Action=``; CloudFormation, RDS, STS, IAM): 400 XML ``Throttling``
- json (``X-Amz-Target``; ECS, ECR, SQS): 400 ``{"__type": "ThrottlingException"}`` + ``x-amzn-ErrorType``
- rpc-v2-cbor (botocore's choice for CloudWatch and Resource Groups Tagging): 400 CBOR
  ``ThrottlingException``; CloudWatch, being query-compatible, also sends ``x-amzn-query-error:
  Throttling;Sender`` so its code is ``Throttling`` as over query
- rest-json (by path; Lambda, API Gateway v1/v2): 429 ``TooManyRequestsException``
- injected 5xx: 503 ``ServiceUnavailable`` in the same shapes.

STS AssumeRole/GetCallerIdentity get no injected faults unless ``fault_sts`` is set; latency
applies to every request. Settings change at run time through the handle or over HTTP on the
proxy itself: GET/POST ``/_proxy/settings``, GET ``/_proxy/stats``, POST ``/_proxy/stats/reset``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import signal
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session
from botocore.exceptions import UnknownServiceError

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length"}
BUFFER_LIMIT = 1 << 20  # request bodies up to this size are read whole (AWS API calls); larger ones stream
CHUNK = 64 * 1024
STS_EXEMPT = {"AssumeRole", "GetCallerIdentity"}
# Services whose JSON/CBOR errors carry their query-protocol code in x-amzn-query-error.
QUERY_COMPATIBLE_CODES = {"cloudwatch": {"throttle": "Throttling;Sender", "error": "ServiceUnavailable;Receiver"}}
SIGNING_NAME_TO_SERVICE = {"monitoring": "cloudwatch", "tagging": "resourcegroupstaggingapi",
                           "execute-api": "apigateway"}
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")


@dataclass
class Settings:
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: int = 0
    seed: int | None = None
    fault_sts: bool = False

    def validate(self) -> None:
        if not (0.0 <= self.throttle_rate <= 1.0 and 0.0 <= self.error_rate <= 1.0):
            raise ValueError("throttle_rate and error_rate must be within 0..1")
        if self.throttle_rate + self.error_rate > 1.0:
            raise ValueError("throttle_rate + error_rate must not exceed 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")


@dataclass(frozen=True)
class Call:
    protocol: str  # query | json | cbor | rest-json | rest-xml | moto-api
    service: str  # botocore service name, e.g. "ecs", "apigatewayv2"
    operation: str  # e.g. "ListClusters" (or "METHOD /path" when unknown)
    json_content_type: str = "application/x-amz-json-1.1"

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"


class _State:
    """Settings, the fault dice and the counters, shared by all handler threads."""

    def __init__(self, settings: Settings):
        settings.validate()
        self.settings = settings
        self.random = random.Random(settings.seed)
        self.lock = threading.Lock()
        self.reset_stats()

    def reset_stats(self) -> None:
        with self.lock:
            self.totals = {"requests": 0, "forwarded": 0, "throttled": 0, "errors": 0}
            self.operations: dict[str, dict[str, int]] = {}

    def update(self, changes: dict[str, Any]) -> Settings:
        fields = Settings.__dataclass_fields__
        unknown = set(changes) - set(fields)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        with self.lock:
            new = Settings(**{**asdict(self.settings), **changes})
            new.validate()
            self.settings = new
            if "seed" in changes:
                self.random = random.Random(new.seed)
            return new

    def decide(self, call: Call) -> tuple[str | None, float]:
        """Count the call and pick its fault (None, "throttle" or "error") and latency in seconds."""
        with self.lock:
            s = self.settings
            exempt = call.protocol == "moto-api" or (
                call.service == "sts" and call.operation in STS_EXEMPT and not s.fault_sts)
            roll = self.random.random()
            fault = None
            if not exempt and roll < s.throttle_rate:
                fault = "throttle"
            elif not exempt and roll < s.throttle_rate + s.error_rate:
                fault = "error"
            op = self.operations.setdefault(call.key, {"requests": 0, "throttled": 0, "errors": 0})
            op["requests"] += 1
            self.totals["requests"] += 1
            counter = {"throttle": "throttled", "error": "errors", None: "forwarded"}[fault]
            self.totals[counter] += 1
            if fault:
                op[counter] += 1
            return fault, s.latency_ms / 1000.0

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {**self.totals, "operations": {k: dict(v) for k, v in sorted(self.operations.items())}}


@lru_cache(maxsize=None)
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path regex, operation) for a REST service from botocore's model, most specific first."""
    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:  # its calls are named "METHOD /path"
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http["requestUri"].split("?")[0]
        pattern = re.sub(r"\\\{[^}]+?\\\+\\\}", ".+", re.escape(uri))
        pattern = re.sub(r"\\\{[^}]+?\\\}", "[^/]+", pattern)
        literal = len(re.sub(r"\{[^}]+\}", "", uri))
        routes.append((literal, http["method"], re.compile(f"^{pattern.rstrip('/')}/?$"), name))
    routes.sort(key=lambda r: -r[0])
    return [(method, regex, name) for _, method, regex, name in routes]


def classify(method: str, path: str, headers: Any, body: bytes | None) -> Call:
    """Tell the protocol, service and operation of an AWS request from its headers, path and body."""
    scope = CREDENTIAL_SCOPE.search(headers.get("Authorization", "") or "")
    signing = scope.group(1) if scope else ""
    service = SIGNING_NAME_TO_SERVICE.get(signing, signing)
    url = urlsplit(path)
    if url.path.startswith("/moto-api/"):  # moto's own control API is not AWS: never faulted
        return Call("moto-api", "moto-api", url.path)
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    target = headers.get("X-Amz-Target")
    if (headers.get("smithy-protocol") or "").lower() == "rpc-v2-cbor" or CBOR_PATH.match(url.path):
        match = CBOR_PATH.match(url.path)
        return Call("cbor", service, match.group(2) if match else url.path)
    if target:
        return Call("json", service, target.rsplit(".", 1)[-1], content_type or "application/x-amz-json-1.1")
    if content_type == "application/x-www-form-urlencoded" or "Action=" in url.query:
        params = parse_qs(url.query)
        if body is not None and content_type == "application/x-www-form-urlencoded":
            params.update(parse_qs(body.decode("utf-8", "replace")))
        return Call("query", service, (params.get("Action") or ["Unknown"])[0])
    if service == "apigateway" and url.path.startswith("/v2/"):
        service = "apigatewayv2"
    protocol = "rest-xml" if service in ("s3", "route53", "cloudfront") else "rest-json"
    for route_method, regex, name in _rest_routes(service):
        if route_method == method and regex.match(url.path):
            return Call(protocol, service, name)
    return Call(protocol, service or "unknown", f"{method} {url.path}")


def _cbor_map(values: dict[str, str]) -> bytes:
    """CBOR for a small map of text strings (all an rpc-v2-cbor error body needs)."""
    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")

    out = bytearray(head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            raw = text.encode()
            out += head(3, len(raw)) + raw
    return bytes(out)


def fault_response(call: Call, fault: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body AWS would send for a throttled ("throttle") or failed ("error") call."""
    request_id = str(uuid.uuid4())
    throttle = fault == "throttle"
    message = "Rate exceeded" if throttle else "Service is unavailable"
    headers = {"x-amzn-RequestId": request_id}
    if call.protocol in ("query", "rest-xml"):
        if call.protocol == "rest-xml":
            code, status = ("SlowDown", 503) if throttle else ("ServiceUnavailable", 503)
            body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        else:
            code, status, kind = ("Throttling", 400, "Sender") if throttle else ("ServiceUnavailable", 503, "Receiver")
            body = (f'<ErrorResponse xmlns="http://webservices.amazon.com/AWSFault/2005-15-09">'
                    f"<Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                    f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        return status, {**headers, "Content-Type": "text/xml"}, body.encode()
    if call.protocol == "rest-json":
        code, status = ("TooManyRequestsException", 429) if throttle else ("ServiceUnavailable", 503)
        headers.update({"Content-Type": "application/json", "x-amzn-ErrorType": code})
        return status, headers, json.dumps({"message": message}).encode()
    code, status = ("ThrottlingException", 400) if throttle else ("ServiceUnavailable", 503)
    headers["x-amzn-ErrorType"] = code
    if query_codes := QUERY_COMPATIBLE_CODES.get(call.service):
        headers["x-amzn-query-error"] = query_codes[fault]
    if call.protocol == "cbor":
        headers.update({"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
        return status, headers, _cbor_map({"__type": code, "message": message})
    headers["Content-Type"] = call.json_content_type
    return status, headers, json.dumps({"__type": code, "message": message}).encode()


class _UpstreamConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        # Without this, Nagle's algorithm and delayed ACKs add ~40 ms to every request with a body.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], upstream: str, state: _State):
        super().__init__(address, _Handler)
        parts = urlsplit(upstream)
        if parts.scheme != "http":
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.state = state
        self.local = threading.local()

    def connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        """This thread's connection to upstream (http.client reopens it when upstream closed it)."""
        conn = getattr(self.local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = self.local.conn = _UpstreamConnection(*self.upstream, timeout=300)
        return conn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet, like moto's server
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _handle(self) -> None:
        if self.path.startswith("/_proxy/"):
            self._control()
            return
        body, stream_length = self._read_body()
        call = classify(self.command, self.path, self.headers, body)
        fault, latency = self.server.state.decide(call)
        if latency:
            time.sleep(latency)
        if fault:
            if stream_length:  # keep the connection usable: drain what the client is still sending
                self._drain(stream_length)
            self._reply(*fault_response(call, fault))
        else:
            self._forward(body, stream_length)

    def _read_body(self) -> tuple[bytes | None, int]:
        """The request body when small (or chunked), else (None, its length) to stream it."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(parts), 0
        length = int(self.headers.get("Content-Length") or 0)
        if length > BUFFER_LIMIT:
            return None, length
        return (self.rfile.read(length) if length else b""), 0

    def _drain(self, length: int) -> None:
        while length > 0 and (chunk := self.rfile.read(min(CHUNK, length))):
            length -= len(chunk)

    def _forward(self, body: bytes | None, stream_length: int) -> None:
        for attempt in (0, 1):
            conn = self.server.connection(fresh=attempt > 0)
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        conn.putheader(name, value)
                conn.putheader("Content-Length", str(stream_length if body is None else len(body)))
                conn.endheaders(body)  # a small body leaves in the same packet as the headers
                remaining = stream_length
                while remaining > 0 and (chunk := self.rfile.read(min(CHUNK, remaining))):
                    conn.send(chunk)
                    remaining -= len(chunk)
                response = conn.getresponse()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                # A connection upstream closed while idle fails at once; retry it once when the body can be resent.
                if attempt or body is None:
                    self.close_connection = True  # part of a streamed body may still be unread
                    self._reply(502, {"Content-Type": "text/plain"}, b"fault proxy: upstream unreachable")
                    return
        self._relay(response)
        if response.will_close:
            conn.close()

    def _relay(self, response: http.client.HTTPResponse) -> None:
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        no_body = self.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
        chunked = not no_body and response.length is None
        if no_body:
            self.send_header("Content-Length", response.getheader("Content-Length") or "0")
        elif chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(response.length))
        self.end_headers()
        if no_body:
            response.read()
            return
        while chunk := response.read(CHUNK):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _control(self) -> None:
        state = self.server.state
        path, method = urlsplit(self.path).path.rstrip("/"), self.command
        body, _ = self._read_body()
        try:
            if path == "/_proxy/settings" and method == "GET":
                result: Any = asdict(state.settings)
            elif path == "/_proxy/settings" and method == "POST":
                result = asdict(state.update(json.loads(body or b"{}")))
            elif path == "/_proxy/stats" and method == "GET":
                result = state.snapshot()
            elif path == "/_proxy/stats/reset" and method == "POST":
                state.reset_stats()
                result = state.snapshot()
            else:
                self._reply(404, {"Content-Type": "application/json"}, b'{"error": "unknown control endpoint"}')
                return
        except (ValueError, TypeError) as exc:
            self._reply(400, {"Content-Type": "application/json"}, json.dumps({"error": str(exc)}).encode())
            return
        self._reply(200, {"Content-Type": "application/json"}, json.dumps(result).encode())


class FaultProxy:
    """A running proxy: read and change its settings, read and reset its stats, stop it."""

    def __init__(self, server: _Server, thread: threading.Thread):
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def settings(self) -> dict[str, Any]:
        return asdict(self._server.state.settings)

    def update(self, **changes: Any) -> dict[str, Any]:
        """Change settings (throttle_rate, error_rate, latency_ms, seed, fault_sts); returns them all."""
        return asdict(self._server.state.update(changes))

    def stats(self) -> dict[str, Any]:
        """Counters: requests, forwarded, throttled, errors, and per operation ("ecs:ListClusters")
        {"requests", "throttled", "errors"} under "operations"."""
        return self._server.state.snapshot()

    def reset_stats(self) -> None:
        self._server.state.reset_stats()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def start_fault_proxy(upstream_url: str, *, throttle_rate: float = 0.0, error_rate: float = 0.0, latency_ms: int = 0,
                      seed: int | None = None, fault_sts: bool = False, port: int = 0,
                      host: str = "127.0.0.1") -> tuple[str, FaultProxy]:
    """Serve the proxy on ``host:port`` (0 = a free port) in a background thread; returns ``(url, handle)``."""
    state = _State(Settings(throttle_rate, error_rate, latency_ms, seed, fault_sts))
    server = _Server((host, port), upstream_url, state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fault-proxy",
                              daemon=True)
    thread.start()
    handle = FaultProxy(server, thread)
    return handle.url, handle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Throttling/failing/slow reverse proxy in front of moto.")
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--throttle", type=float, default=0.0, help="share of calls throttled, 0..1")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of calls failing with 503, 0..1")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--fault-sts", action="store_true", help="also fault STS AssumeRole/GetCallerIdentity")
    args = parser.parse_args(argv)
    url, handle = start_fault_proxy(args.upstream, throttle_rate=args.throttle, error_rate=args.error_rate,
                                    latency_ms=args.latency_ms, seed=args.seed, fault_sts=args.fault_sts,
                                    port=args.port, host=args.host)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(f"fault proxy listening on {url} -> {args.upstream}", flush=True)
    done.wait()
    handle.stop()


if __name__ == "__main__":
    main()
