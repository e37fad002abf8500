"""A run's live progress over Server-Sent Events (GET /api/v1/runs/<id>/events/): the run now, every change,
then the end; woken by the real Redis pub/sub. The browser test of the Runs page (tests/console) watches a real
discovery through it, served by the ASGI server."""
import asyncio
import concurrent.futures
import json
import threading
import time

import pytest
from rest_framework.test import APIClient

from accounts.testing import user_with_token
from discovery import progress, runs
from discovery.tests.factories import ConnectionFactory


@pytest.fixture
def run(workspace):
    return runs.create_scan_run(ConnectionFactory(), selection={"kinds": ["ecs", "lambda"]})


def parse(body: bytes) -> list[tuple[str, dict]]:
    events = []
    for block in body.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def get(run, token=None):
    api = APIClient(HTTP_HOST="alpha.localhost", HTTP_ACCEPT="text/event-stream")
    if token:
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api.get(f"/api/v1/runs/{run.pk}/events/")


def test_a_finished_run_is_sent_once_then_the_stream_ends(run):
    runs.cancel_run(run, actor="t", reason="r")
    response = get(run, user_with_token("sse-viewer", "viewer")[1])
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    events = parse(b"".join(response))
    assert [name for name, _ in events] == ["run", "end"]
    assert events[0][1]["id"] == str(run.pk) and events[0][1]["status"] == "cancelled"
    assert len(events[0][1]["jobs"]) == 2 and events[1][1] == {"reason": "finished", "status": "cancelled"}


def test_under_wsgi_a_running_run_is_sent_once_and_the_client_comes_back(run):
    """The test client is WSGI, where a stream would hold a thread: the state, then "reconnect", at once."""
    events = parse(b"".join(get(run, user_with_token("sse-v", "viewer")[1])))
    assert [(n, d.get("status", d.get("reason"))) for n, d in events] == [("run", "queued"), ("end", "reconnect")]


@pytest.mark.parametrize("who", ["nobody", "other tenant"])
def test_the_stream_needs_a_user_of_the_tenant(run, who, tenant_beta):
    token = None
    if who == "other tenant":
        from django_tenants.utils import tenant_context

        with tenant_context(tenant_beta):
            token = user_with_token("sse-beta", "admin")[1]
    response = get(run, token)
    assert response.status_code == 401 and not response.streaming


def test_a_message_on_redis_wakes_the_stream_before_its_poll(monkeypatch, settings):
    """The poll is 30 s here: only the pub/sub message can end the stream within wait_for's 10 s."""
    monkeypatch.setattr(progress, "POLL_SECONDS", 30)
    monkeypatch.setattr(progress, "SNAPSHOT_MIN_INTERVAL", 0)
    states = {"n": 0}

    def snapshot(run_id):
        return {"id": run_id, "status": "running" if states["n"] == 0 else "succeeded", "processed": states["n"]}

    def change_then_publish():
        time.sleep(0.3)
        states["n"] = 1
        for _ in range(16):  # until the stream has subscribed (a loaded machine may take a moment)
            progress.publish("public", "r1")
            time.sleep(0.5)

    async def watch():
        received = []
        threading.Thread(target=change_then_publish).start()
        async for chunk in progress.stream("public", "r1", snapshot, max_seconds=60):
            received.append(chunk)
        return parse(b"".join(received))

    # On a thread of its own: a browser test of the session may have an event loop running on this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        events = pool.submit(asyncio.run, asyncio.wait_for(watch(), 10)).result()
    assert [(n, d.get("status")) for n, d in events] == [("run", "running"), ("run", "succeeded"),
                                                         ("end", "succeeded")]
