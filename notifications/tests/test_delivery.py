"""Sending deliveries to a real receiver on loopback: signed, logged, retried on the schedule, given up, and
a subscription that keeps failing turned off (with an audit event). One attempt per claim, whatever the
number of messages."""
import hashlib
import hmac
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from notifications import delivery, signing, subscriptions
from notifications.models import Delivery, DeliveryAttempt, Subscription
from notifications.tests.receiver import Receiver, assert_valid

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(settings):
    settings.ROSTER_WEBHOOK_BACKOFF_SECONDS = 30
    settings.ROSTER_WEBHOOK_BACKOFF_MAX_SECONDS = 3600
    settings.ROSTER_WEBHOOK_RETRY_FOR_SECONDS = 86400
    settings.ROSTER_WEBHOOK_DISABLE_AFTER_FAILURES = 20
    settings.ROSTER_WEBHOOK_DISABLE_AFTER_SECONDS = 86400
    settings.ROSTER_WEBHOOK_TIMEOUT_SECONDS = 3
    return settings


def subscribed(workspace, url: str, name: str = "ops") -> tuple[Subscription, str]:
    sub = Subscription(workspace=workspace, name=name, url=url)
    return sub, subscriptions.create(sub, actor="test")


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/gone"


def due_now(d: Delivery) -> None:
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_delivery_arrives_signed_with_the_subscriptions_secret_and_is_logged(workspace, policy):
    with Receiver() as receiver:
        sub, secret = subscribed(workspace, receiver.url())
        ping = subscriptions.ping(sub)
        outcome = delivery.send(ping.pk)
    assert outcome.status == "succeeded"
    [got] = receiver.requests
    assert got.headers["x-roster-event"] == "ping" and got.headers["x-roster-delivery"] == str(ping.pk)
    timestamp = got.headers["x-roster-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-roster-signature"] == f"sha256={expected}"
    assert signing.verify(secret, got.body, timestamp, got.headers["x-roster-signature"])
    assert got.json == ping.payload and got.json["type"] == "ping"
    assert_valid(got.json)
    assert secret.encode() not in bytes(sub.secret_ciphertext) and secret not in str(got.headers)
    ping.refresh_from_db()
    assert (ping.status, ping.attempts, ping.last_status_code, ping.next_attempt_at) == ("succeeded", 1, 200, None)
    [attempt] = ping.attempt_log.all()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.number == 1 and attempt.error == ""
    assert delivery.send(ping.pk) is None  # delivered: a second message sends nothing


def test_failures_are_retried_on_the_doubling_schedule_and_a_success_resets_the_count(workspace, policy):
    with Receiver(statuses=[500, 503]) as receiver:
        sub, _ = subscribed(workspace, receiver.url())
        ping = subscriptions.ping(sub)
        first = delivery.send(ping.pk)
        assert (first.status, first.retry_in) == ("pending", 30)
        assert delivery.send(ping.pk) is None  # not due yet
        due_now(ping)
        second = delivery.send(ping.pk)
        assert (second.status, second.retry_in) == ("pending", 60)
        sub.refresh_from_db()
        assert sub.consecutive_failures == 2 and sub.failing_since is not None
        due_now(ping)
        assert delivery.send(ping.pk).status == "succeeded"
    assert len({r.headers["x-roster-delivery"] for r in receiver.requests}) == 1  # one delivery, three attempts
    assert [(a.number, a.status_code, a.succeeded, a.error) for a in ping.attempt_log.order_by("number")] == [
        (1, 500, False, "HTTP 500"), (2, 503, False, "HTTP 503"), (3, 200, True, "")]
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0 and sub.failing_since is None and sub.active


def test_a_delivery_is_given_up_when_its_window_closes(workspace, policy):
    sub, _ = subscribed(workspace, dead_url())
    ping = subscriptions.ping(sub)
    Delivery.objects.filter(pk=ping.pk).update(retry_until=timezone.now() - timedelta(seconds=1))
    outcome = delivery.send(ping.pk)
    ping.refresh_from_db()
    assert outcome.status == "failed" and outcome.retry_in is None
    assert ping.status == "failed" and ping.next_attempt_at is None and "could not connect" in ping.last_error


def test_a_subscription_failing_too_often_is_turned_off_and_the_admins_are_told(workspace, policy):
    policy.ROSTER_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    sub, _ = subscribed(workspace, dead_url())
    pings = [subscriptions.ping(sub) for _ in range(4)]
    outcomes = [delivery.send(p.pk) for p in pings[:3]]
    assert [o.disabled for o in outcomes] == [False, False, True]
    sub.refresh_from_db()
    assert not sub.active and sub.disabled_at and sub.disabled_reason == "3 deliveries in a row failed"
    told = AuditEvent.objects.get(action="webhook.disabled", object_id=str(sub.pk))
    assert told.actor == "system" and told.data["consecutive_failures"] == 3
    assert told.data["deliveries_given_up"] == 4  # two waiting to be retried, the one just tried, one never tried
    assert set(Delivery.objects.filter(subscription=sub).values_list("status", flat=True)) == {"failed"}
    assert Delivery.objects.get(pk=pings[3].pk).last_error == "the subscription was turned off: " + sub.disabled_reason
    assert "could not connect" in Delivery.objects.get(pk=pings[2].pk).last_error  # what its attempt got
    assert delivery.send(pings[3].pk) is None
    assert DeliveryAttempt.objects.filter(delivery__subscription=sub).count() == 3


def test_a_day_of_failures_turns_a_subscription_off_too(workspace, policy):
    sub, _ = subscribed(workspace, dead_url())
    Subscription.objects.filter(pk=sub.pk).update(consecutive_failures=2,
                                                  failing_since=timezone.now() - timedelta(hours=25))
    assert delivery.send(subscriptions.ping(sub).pk).disabled
    sub.refresh_from_db()
    assert not sub.active and sub.disabled_reason == "every delivery failed for 25 h"


def test_one_claim_one_attempt_and_a_lapsed_lease_can_be_claimed_again(workspace, policy):
    sub, _ = subscribed(workspace, dead_url())
    ping = subscriptions.ping(sub)
    assert delivery.claim(ping.pk) is not None
    assert delivery.claim(ping.pk) is None  # the same message twice, or the sweep's copy: one attempt
    assert delivery.overdue(grace=timedelta(0)) == []  # held
    Delivery.objects.filter(pk=ping.pk).update(lease_until=timezone.now() - timedelta(seconds=1),
                                               next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert delivery.overdue() == [str(ping.pk)]  # its worker died: the sweep sends it again
    again = delivery.claim(ping.pk)
    assert again is not None and again.attempts == 2


def test_the_sweep_resends_only_what_is_overdue_unheld_and_on(workspace, policy):
    on, _ = subscribed(workspace, dead_url())
    off, _ = subscribed(workspace, dead_url(), name="off")
    long_due, just_due, paused = subscriptions.ping(on), subscriptions.ping(on), subscriptions.ping(off)
    old = timezone.now() - timedelta(minutes=5)
    Delivery.objects.filter(pk__in=[long_due.pk, paused.pk]).update(next_attempt_at=old)
    subscriptions.update(off, {"active": False}, actor="test")
    assert delivery.overdue() == [str(long_due.pk)]
    assert just_due.pk  # due a moment ago: its own message is on the way


def test_a_retry_by_hand_sends_again_with_a_fresh_window_and_is_audited(workspace, policy):
    with Receiver(statuses=[500]) as receiver:
        sub, _ = subscribed(workspace, receiver.url())
        ping = subscriptions.ping(sub)
        Delivery.objects.filter(pk=ping.pk).update(retry_until=timezone.now())
        assert delivery.send(ping.pk).status == "failed"
        ping.refresh_from_db()
        again = delivery.retry(ping, actor="ana")
        assert again.status == "pending" and again.retry_until > timezone.now() + timedelta(hours=23)
        assert delivery.send(ping.pk).status == "succeeded"
    assert len(receiver.requests) == 2
    assert AuditEvent.objects.filter(action="webhook.delivery_retried", actor="ana", object_id=str(ping.pk)).exists()

    delivery.claim(subscriptions.ping(sub).pk)
    held = Delivery.objects.filter(subscription=sub, status="pending").first()
    with pytest.raises(delivery.RetryRefused, match="being made right now"):
        delivery.retry(held)
    subscriptions.update(sub, {"active": False})
    with pytest.raises(delivery.RetryRefused, match="turned off"):
        delivery.retry(Delivery.objects.get(pk=ping.pk))


def test_a_rotated_secret_signs_the_next_attempt(workspace, policy):
    with Receiver() as receiver:
        sub, old = subscribed(workspace, receiver.url())
        ping = subscriptions.ping(sub)
        new = subscriptions.rotate_secret(sub, actor="ana")
        delivery.send(ping.pk)
    [got] = receiver.requests
    args = (got.body, got.headers["x-roster-timestamp"], got.headers["x-roster-signature"])
    assert new != old and signing.verify(new, *args) and not signing.verify(old, *args)
    rotated = AuditEvent.objects.get(action="webhook.secret_rotated")
    assert old not in str(rotated.data) and new not in str(rotated.data)


def test_turning_a_disabled_subscription_back_on_clears_the_flag(workspace, policy):
    sub, _ = subscribed(workspace, dead_url())
    delivery.disable(sub, "20 deliveries in a row failed")
    subscriptions.update(Subscription.objects.get(pk=sub.pk), {"active": True}, actor="ana")
    sub.refresh_from_db()
    assert sub.active and sub.disabled_at is None and sub.disabled_reason == "" and sub.consecutive_failures == 0
