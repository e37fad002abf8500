"""The tasks as a worker runs them (called in this process, messages to the real broker): each re-checks its
schema, the sweep fans out and re-sends what is overdue, and a failed attempt queues its retry with a countdown
(a wait too long for one is left to the sweep)."""
import socket
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import DiscoveryEvent
from celery_app import app
from notifications import subscriptions, tasks
from notifications.models import Delivery, Subscription
from search.tests.factories import service as make_service

pytestmark = pytest.mark.django_db


def taken_from_the_catalog_queue() -> list[tuple]:
    """Every message now on this session's catalog queue (its own key prefix), taken off: (task, schema, args,
    countdown set)."""
    found = []
    with app.connection_for_read() as conn, conn.SimpleQueue("catalog") as queue:
        while True:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                return found
            message.ack()
            found.append((message.headers["task"], message.headers.get("_schema_name"), tuple(message.payload[0]),
                          message.headers.get("eta") is not None))


@pytest.fixture
def drained():
    taken_from_the_catalog_queue()  # whatever an earlier test left


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


def subscribe(workspace) -> Subscription:
    sub = Subscription(workspace=workspace, name="ops", url=dead_url())
    subscriptions.create(sub)
    return sub


def test_tasks_refuse_a_payload_naming_another_schema(workspace, drained):
    sub = subscribe(workspace)
    ping = subscriptions.ping(sub)
    assert tasks.deliver("t_beta", str(ping.pk)) == "refused"
    assert tasks.fan_out("t_beta", str(workspace.pk)) == 0
    ping.refresh_from_db()
    assert ping.attempts == 0 and ping.attempt_log.count() == 0


def test_the_sweep_fans_out_and_resends_what_is_overdue(workspace, tenant_alpha, drained):
    sub = subscribe(workspace)
    lost = subscriptions.ping(sub)
    Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=3))
    svc = make_service("swept")
    DiscoveryEvent.objects.create(service=svc, service_name=svc.name, event_type="service_created")

    assert tasks.sweep() == {"created": 1, "resent": 1}
    made = Delivery.objects.get(subscription=sub, event_type="service.discovered")
    schema = tenant_alpha.schema_name
    assert sorted(taken_from_the_catalog_queue()) == sorted([
        ("notifications.deliver", schema, (schema, str(made.pk)), False),
        ("notifications.deliver", schema, (schema, str(lost.pk)), False)])
    assert tasks.sweep() == {"created": 0, "resent": 1}  # the lost one is still due (nobody took the message)


def test_a_failed_attempt_queues_its_retry_with_a_countdown(workspace, tenant_alpha, settings, drained):
    settings.ROSTER_WEBHOOK_BACKOFF_SECONDS = 30
    sub = subscribe(workspace)
    ping = subscriptions.ping(sub)
    schema = tenant_alpha.schema_name
    assert tasks.deliver(schema, str(ping.pk)) == "pending"
    assert taken_from_the_catalog_queue() == [("notifications.deliver", schema, (schema, str(ping.pk)), True)]

    settings.ROSTER_WEBHOOK_BACKOFF_SECONDS = 3600  # longer than a countdown may be: the sweep's
    Delivery.objects.filter(pk=ping.pk).update(next_attempt_at=timezone.now())
    assert tasks.deliver(schema, str(ping.pk)) == "pending"
    assert taken_from_the_catalog_queue() == []
    assert tasks.deliver(schema, str(uuid.uuid4())) == "not due"
