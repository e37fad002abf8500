"""A canary secret must never reach the API, a queue message, a log line or a run record."""
import json
import logging
import threading
import uuid
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


@pytest.fixture
def own_queue():
    """Everything the test publishes goes to a queue of its own, emptied and deleted afterwards: the broker
    is shared with other test runs and their workers, so a test never purges it."""
    from kombu import Exchange, Queue

    from celery_app import app

    name = f"test-secrets-{uuid.uuid4().hex[:12]}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    saved = app.conf.task_routes
    app.conf.update(task_routes={"*": {"queue": name}})
    try:
        yield app, queue
    finally:
        app.conf.update(task_routes=saved)
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            queue.bind(channel).declare()  # known to this channel, so deleting it removes its bindings too
            channel.queue_delete(name)


def drain(app, queue) -> list[tuple[dict, list]]:
    """What the broker holds in ``queue``: each message's headers and decoded body (args, kwargs, embed)."""
    held = []
    with app.connection_for_write() as conn:
        bound = queue.bind(conn.default_channel)
        while (message := bound.get(accept=["json"], no_ack=True)) is not None:
            held.append((message.headers, message.decode()))
    return held


def test_queue_messages_carry_ids_only(client, own_queue, django_capture_on_commit_callbacks):
    from portal.workspaces.models import Workspace

    app, queue = own_queue
    conn = Connection(workspace=Workspace.default(), provider="github", name="gh2", config={"org": "acme"})
    conn.set_secret({"token": CANARY})
    conn.save()
    published = []

    def capture(sender=None, body=None, headers=None, routing_key=None, **kwargs):
        published.append((routing_key, json.dumps([sender, body, headers], default=str)))

    before_task_publish.connect(capture)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/connections/{conn.pk}/discover/", {}, format="json")
    finally:
        before_task_publish.disconnect(capture)
    assert response.status_code == 202
    assert published, "discovery should have published its canvas"
    assert {key for key, _ in published} == {queue.name}  # nothing reached a queue other runs share
    held = drain(app, queue)
    assert len(held) == len(published)  # what the broker holds is what was published
    run = conn.runs.get()
    for headers, (args, kwargs, _) in held:  # one job of the run each: the schema and ids, nothing else
        assert headers["task"] == "discovery.run_job" and kwargs == {}
        assert args[:3] == [db.schema_name, str(conn.workspace_id), str(run.pk)]
        assert args[3] in {str(pk) for pk in run.jobs.values_list("pk", flat=True)}
    for message in [m for _, m in published] + [json.dumps(m, default=str) for m in held]:
        assert CANARY not in message
        assert "acme" not in message  # no configuration either


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
