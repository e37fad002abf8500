"""Fixtures of discovery's tests."""
import uuid

import pytest
from celery import Celery
from django.conf import settings
from kombu import Consumer, Exchange, Queue

from portal import queues


@pytest.fixture
def broker():
    """A Celery app on the real Redis with a key prefix of its own: nothing else consumes these messages."""
    prefix = f"test-fair-{uuid.uuid4().hex[:8]}:"
    app = Celery("fairness", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    app.conf.update(broker_transport_options={"global_keyprefix": prefix}, task_routes=(queues.route,),
                    task_default_queue="default")
    names = queues.worker_queues().split(",")
    declared = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in names]
    with app.connection_for_write() as conn:
        for queue in declared:
            queue.bind(conn.default_channel).declare()
    yield app, declared
    with app.connection_for_write() as conn:
        for queue in declared:
            queue.bind(conn.default_channel).delete()


def take_in_order(app, declared, n: int) -> list[str]:
    """What a worker consuming every queue takes, in order (each message's argsrepr), for ``n`` messages."""
    order = []
    with app.connection_for_read() as conn:
        def take(body, message):
            order.append(message.headers["argsrepr"])
            message.ack()
        with Consumer(conn, queues=declared, callbacks=[take], accept=["json"], prefetch_count=1):
            while len(order) < n:
                conn.drain_events(timeout=10)
    return order
