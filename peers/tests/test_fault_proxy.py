"""The fault proxy in front of a real moto server, observed through botocore."""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries.standard import ThrottledRetryableChecker

from peers.aws_loader import account_credentials
from peers.fault_proxy import FaultProxy, start_fault_proxy
from peers.tests.conftest import start_server_process, stop_server_process

ACCOUNT = "666666666666"
NO_RETRIES = Config(retries={"total_max_attempts": 1})
# service -> (a read call, error code botocore reports when throttled, HTTP status)
PROTOCOLS: dict[str, tuple[Any, str, int]] = {
    "cloudformation": (lambda c: c.list_stacks(), "Throttling", 400),  # query
    "rds": (lambda c: c.describe_db_instances(), "Throttling", 400),  # query
    "ecs": (lambda c: c.list_clusters(), "ThrottlingException", 400),  # json 1.1
    "ecr": (lambda c: c.describe_repositories(), "ThrottlingException", 400),  # json 1.1
    "sqs": (lambda c: c.list_queues(), "ThrottlingException", 400),  # json 1.0
    "resourcegroupstaggingapi": (lambda c: c.get_resources(), "ThrottlingException", 400),  # rpc-v2-cbor
    "cloudwatch": (lambda c: c.describe_alarms(), "Throttling", 400),  # rpc-v2-cbor, query-compatible
    "lambda": (lambda c: c.list_functions(), "TooManyRequestsException", 429),  # rest-json
    "apigateway": (lambda c: c.get_rest_apis(), "TooManyRequestsException", 429),  # rest-json
    "apigatewayv2": (lambda c: c.get_apis(), "TooManyRequestsException", 429),  # rest-json
}


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    _, handle = start_fault_proxy(moto_endpoint, seed=6)
    yield handle
    handle.stop()


def client(proxy: FaultProxy, service: str, config: Config = NO_RETRIES) -> Any:
    creds = account_credentials(proxy.url, ACCOUNT)
    return boto3.client(service, region_name="us-east-1", config=config, **creds)


def outcome(call: Any, c: Any) -> tuple[str, int]:
    try:
        call(c)
        return "ok", 200
    except ClientError as exc:
        return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_throttling_looks_like_aws_for_every_protocol(proxy: FaultProxy) -> None:
    clients = {service: client(proxy, service) for service in PROTOCOLS}
    proxy.update(throttle_rate=0.3)
    proxy.reset_stats()
    throttled_total = 0
    for service, (call, code, status) in PROTOCOLS.items():
        seen = Counter(outcome(call, clients[service]) for _ in range(25))
        assert set(seen) == {("ok", 200), (code, status)}, service
        assert code in ThrottledRetryableChecker._THROTTLED_ERROR_CODES  # botocore backs off and retries these
        throttled_total += seen[(code, status)]
        operation = next(k for k in proxy.stats()["operations"] if k.startswith(f"{service}:"))
        assert proxy.stats()["operations"][operation] == {
            "requests": 25, "throttled": seen[(code, status)], "errors": 0}
    stats = proxy.stats()
    assert stats["requests"] == 250 and stats["throttled"] == throttled_total
    assert stats["forwarded"] == 250 - throttled_total
    assert 0.2 <= throttled_total / 250 <= 0.4


def test_operations_are_named_like_botocore(proxy: FaultProxy) -> None:
    lam = client(proxy, "lambda")
    lam.list_functions()
    assert outcome(lambda c: c.get_function(FunctionName="missing"), lam)[0] == "ResourceNotFoundException"
    assert outcome(lambda c: c.get_api(ApiId="missing"), client(proxy, "apigatewayv2"))[0] == "NotFoundException"
    client(proxy, "apigateway").get_rest_apis()
    client(proxy, "cloudwatch").describe_alarms()
    client(proxy, "sqs").list_queues()
    client(proxy, "rds").describe_db_instances()
    assert set(proxy.stats()["operations"]) == {
        "sts:AssumeRole", "lambda:ListFunctions", "lambda:GetFunction", "apigatewayv2:GetApi",
        "apigateway:GetRestApis", "cloudwatch:DescribeAlarms", "sqs:ListQueues", "rds:DescribeDBInstances"}


def test_sts_is_never_throttled_unless_asked(proxy: FaultProxy) -> None:
    proxy.update(throttle_rate=1.0)
    sts = boto3.client("sts", endpoint_url=proxy.url, region_name="us-east-1", config=NO_RETRIES,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    ecs = client(proxy, "ecs")  # AssumeRole goes through untouched too
    assert outcome(lambda c: c.list_clusters(), ecs) == ("ThrottlingException", 400)
    proxy.update(fault_sts=True)
    assert outcome(lambda c: c.get_caller_identity(), sts) == ("Throttling", 400)


def test_injected_errors_are_503_service_unavailable(proxy: FaultProxy) -> None:
    clients = {service: client(proxy, service) for service in PROTOCOLS}
    proxy.update(error_rate=1.0)
    for service, (call, _, _) in PROTOCOLS.items():
        assert outcome(call, clients[service]) == ("ServiceUnavailable", 503), service
    assert proxy.stats()["errors"] == len(PROTOCOLS)


def test_botocore_retries_through_throttling(proxy: FaultProxy) -> None:
    ecs = client(proxy, "ecs", Config(retries={"mode": "standard", "max_attempts": 10}))
    proxy.update(throttle_rate=0.3, seed=6)  # seed 6: throttles come alone or in pairs, so back-off stays short
    proxy.reset_stats()
    for _ in range(12):
        ecs.list_clusters()
    stats = proxy.stats()
    assert stats["forwarded"] == 12 and stats["throttled"] >= 3


def test_latency_and_settings_change_at_run_time(proxy: FaultProxy) -> None:
    ecs = client(proxy, "ecs")
    proxy.update(latency_ms=600)
    started = time.monotonic()
    ecs.list_clusters()
    assert time.monotonic() - started >= 0.6
    settings = requests.post(f"{proxy.url}/_proxy/settings", json={"latency_ms": 0, "throttle_rate": 0.5}).json()
    assert settings == {"throttle_rate": 0.5, "error_rate": 0.0, "latency_ms": 0, "seed": 6, "fault_sts": False}
    assert requests.get(f"{proxy.url}/_proxy/settings").json() == settings == proxy.settings()
    started = time.monotonic()
    outcome(lambda c: c.list_clusters(), ecs)
    assert time.monotonic() - started < 0.5
    assert requests.post(f"{proxy.url}/_proxy/settings", json={"throttle_rate": 2}).status_code == 400
    assert requests.post(f"{proxy.url}/_proxy/settings", json={"bogus": 1}).status_code == 400
    stats = requests.get(f"{proxy.url}/_proxy/stats").json()
    assert stats["operations"]["ecs:ListClusters"]["requests"] == 2 and stats["requests"] == 3  # + AssumeRole
    assert requests.post(f"{proxy.url}/_proxy/stats/reset").json()["requests"] == 0
    assert proxy.stats() == {"requests": 0, "forwarded": 0, "throttled": 0, "errors": 0, "operations": {}}


def test_concurrent_requests_are_all_relayed(proxy: FaultProxy) -> None:
    clients = {s: client(proxy, s) for s in ("ecs", "cloudformation", "lambda", "cloudwatch")}
    proxy.reset_stats()
    failures: list[BaseException] = []

    def work(service: str) -> None:
        call = PROTOCOLS[service][0]
        try:
            for _ in range(10):
                call(clients[service])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in clients for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert proxy.stats()["forwarded"] == 80


class _EchoUpstream(BaseHTTPRequestHandler):
    """An upstream that answers GET with a big chunked body and POST with what it received."""

    protocol_version = "HTTP/1.1"
    body = bytes(range(256)) * 12_000  # ~3 MB

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(self.body), 100_000):
            part = self.body[i:i + 100_000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def do_POST(self) -> None:  # noqa: N802
        received = self.rfile.read(int(self.headers["Content-Length"]))
        reply = f"{len(received)} {sum(received) % 65521} {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def test_streams_big_bodies_and_keeps_host() -> None:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _EchoUpstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    url, handle = start_fault_proxy(f"http://127.0.0.1:{upstream.server_address[1]}")
    try:
        with requests.Session() as http:
            assert http.get(f"{url}/big").content == _EchoUpstream.body
            payload = bytes(range(256)) * 8_000  # ~2 MB, above the proxy's buffering limit
            reply = http.post(f"{url}/echo", data=payload, headers={"Host": "sqs.us-east-1.amazonaws.com"})
            assert reply.text == f"{len(payload)} {sum(payload) % 65521} sqs.us-east-1.amazonaws.com"
        assert handle.stats()["forwarded"] == 2
    finally:
        handle.stop()
        upstream.shutdown()
        upstream.server_close()


def test_cli_serves_the_proxy_and_exits_on_sigterm(moto_endpoint: str) -> None:
    proc, url = start_server_process("peers.fault_proxy", "--upstream", moto_endpoint, "--throttle", "1.0")
    try:
        creds = account_credentials(url, ACCOUNT)
        ecs = boto3.client("ecs", region_name="us-east-1", config=NO_RETRIES, **creds)
        assert outcome(lambda c: c.list_clusters(), ecs) == ("ThrottlingException", 400)
        assert requests.get(f"{url}/_proxy/settings").json()["throttle_rate"] == 1.0
    finally:
        assert stop_server_process(proc) == 0
