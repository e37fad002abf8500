"""The AWS job signs and sends only to the operator's endpoint (or AWS), with Roster's own ExternalId.

Real HTTP: a local server stands in for STS and records every request it gets.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.db import connection as db

from discovery import execute, runs
from discovery.models import Connection, RunStatus

ACCESS_DENIED = b"""<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
<Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error>
<RequestId>r-1</RequestId></ErrorResponse>"""


class Sts:
    """Records (path, form body) of every request and refuses each AssumeRole, as a strict trust policy would."""

    def __init__(self):
        self.seen: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                owner.seen.append({k: v[0] for k, v in parse_qs(body).items()})
                self.send_response(403)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(ACCESS_DENIED)))
                self.end_headers()
                self.wfile.write(ACCESS_DENIED)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sts():
    server = Sts()
    yield server
    server.stop()


def aws_connection(name, **config):
    from portal.workspaces.models import Workspace

    conn = Connection(workspace=Workspace.default(), provider="aws", name=name, config={
        "account_id": "111111111111", "role_arn": "arn:aws:iam::111111111111:role/RosterDiscovery",
        "regions": ["us-east-1"], **config})
    conn.set_secret({"access_key_id": "AKIAROSTERBASE000000", "secret_access_key": "roster-base-secret"})
    conn.save()
    return conn


def scan(conn):
    run = runs.create_scan_run(conn, selection={"kinds": ["sqs"]})
    for job in run.jobs.all():
        execute.execute_job(execute.load_job(db.schema_name, str(run.workspace_id), str(run.pk), str(job.pk)))
    return runs.finish_run(run)


@pytest.mark.parametrize("local_peers", [True, False])
def test_endpoint_url_written_around_the_api_is_refused_at_run_time(in_alpha, sts, settings, local_peers):
    """A tenant endpoint_url (admin JSON, a shell) would receive signed requests for the customer's role:
    the job fails with endpoint_refused and the endpoint hears nothing."""
    settings.ROSTER_LOCAL_PEERS = local_peers
    settings.ROSTER_AWS_ENDPOINT_URL = "http://127.0.0.1:9" if local_peers else ""
    run = scan(aws_connection("smuggled-endpoint", endpoint_url=sts.url))
    assert sts.seen == []
    assert run.status == RunStatus.FAILED
    assert {f["reason_code"] for f in run.failures} == {"endpoint_refused"}
    assert all(f["remediation"] for f in run.failures)


def test_assume_role_uses_the_generated_external_id_only(in_alpha, sts, settings):
    """An external_id smuggled into config (the confused deputy: another tenant's id) is never sent."""
    settings.ROSTER_AWS_ENDPOINT_URL = sts.url  # the operator's endpoint
    conn = aws_connection("smuggled-external-id", external_id="victim-tenant-external-id")
    run = scan(conn)
    assert {f["reason_code"] for f in run.failures} == {"assume_role_refused"}
    assume = [call for call in sts.seen if call.get("Action") == "AssumeRole"]
    assert assume and {call["ExternalId"] for call in assume} == {conn.external_id}
    assert conn.external_id.startswith("roster-")
