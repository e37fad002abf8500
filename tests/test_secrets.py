"""A canary secret must never reach the API, a queue message, a log line or a run record."""
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.signals import before_task_publish
from django.db import connection as db
from accounts.testing import token_for
from rest_framework.test import APIClient

from discovery import execute, runs
from discovery.models import Connection

CANARY = "ghp_CANARYcanary0123456789abcdefSECRET"


@pytest.fixture
def client(in_alpha):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("ops")
    c = APIClient(HTTP_HOST="alpha.localhost")
    c.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, 'admin')}")
    return c


class LeakyUpstream(BaseHTTPRequestHandler):
    """An upstream that echoes the caller's credentials back in its error, as badly behaved APIs do."""

    def _answer(self):
        body = json.dumps({"message": f"Bad credentials: {self.headers.get('Authorization')}"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def leaky_upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), LeakyUpstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_secret_is_encrypted_at_rest_and_never_returned(client):
    response = client.post("/api/v1/connections/", {
        "provider": "github", "name": "gh", "config": {"org": "acme"},
        "secret": {"token": CANARY}}, format="json")
    assert response.status_code == 201, response.content
    assert CANARY not in response.content.decode() and response.json()["has_secret"] is True
    conn_id = response.json()["id"]
    for url in ("/api/v1/connections/", f"/api/v1/connections/{conn_id}/"):
        assert CANARY not in client.get(url).content.decode()
    with db.cursor() as cursor:
        cursor.execute("SELECT secret_ciphertext::text, config::text FROM discovery_connection WHERE id = %s",
                       [conn_id])
        raw = " ".join(cursor.fetchone())
    assert CANARY not in raw
    assert Connection.objects.get(pk=conn_id).get_secret() == {"token": CANARY}


def test_queue_messages_carry_ids_only(client, django_capture_on_commit_callbacks):
    from portal.workspaces.models import Workspace

    conn = Connection(workspace=Workspace.default(), provider="github", name="gh2", config={"org": "acme"})
    conn.set_secret({"token": CANARY})
    conn.save()
    published = []

    def capture(sender=None, body=None, headers=None, **kwargs):
        published.append(json.dumps([sender, body, headers], default=str))

    before_task_publish.connect(capture)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/connections/{conn.pk}/discover/", {}, format="json")
    finally:
        before_task_publish.disconnect(capture)
        from celery_app import app

        app.control.purge()
    assert response.status_code == 202
    assert published, "discovery should have published its canvas"
    assert all(CANARY not in message for message in published)
    assert all("acme" not in message for message in published)  # no configuration either


def test_failures_and_logs_are_sanitized(in_alpha, leaky_upstream, caplog, settings):
    from portal.workspaces.models import Workspace

    settings.ROSTER_GITHUB_EMULATOR_URL = leaky_upstream  # local peers mode allows only this base_url

    conn = Connection(workspace=Workspace.default(), provider="github", name="gh3",
                      config={"org": "acme", "base_url": leaky_upstream, "auth": "token"})
    conn.set_secret({"token": CANARY})
    conn.save()
    run = runs.create_scan_run(conn)
    caplog.set_level(logging.DEBUG)
    for job in run.jobs.all():
        execute.execute_job(execute.load_job(db.schema_name, str(run.workspace_id), str(run.pk), str(job.pk)))
    run = runs.finish_run(run)
    assert run.status == "failed"
    assert {f["reason_code"] for f in run.failures} == {"bad_credentials"}
    assert all(f["remediation"] for f in run.failures)
    record = json.dumps([run.failures, run.warnings, run.stats, list(run.jobs.values("failure", "warnings"))],
                        default=str)
    assert CANARY not in record
    assert CANARY not in caplog.text
