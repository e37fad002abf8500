"""Test sessions (and Roster installations) sharing one Redis keep their queues apart by key prefix: purging
one session's queues leaves another's messages where they are."""
from django.conf import settings
from kombu import Connection

from celery_app import app


def test_purging_this_sessions_queues_leaves_another_sessions_messages():
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"].startswith(
        settings.DATABASES["default"]["TEST"]["NAME"])
    other = Connection(settings.CELERY_BROKER_URL, transport_options={"global_keyprefix": "another-session:"})
    with other:
        queue = other.SimpleQueue("discovery")
        try:
            queue.put({"task": "theirs"})
            app.control.purge()
            message = queue.get(timeout=5)
            message.ack()
            assert message.payload == {"task": "theirs"}
        finally:
            queue.clear()
            queue.close()
