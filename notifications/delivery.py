"""Sending a delivery: claim it, POST it signed, log the attempt, then succeed, schedule the next attempt
(notifications.backoff) or give up, and turn off a subscription that keeps failing.

A claim is one conditional UPDATE (the delivery is pending, due, its subscription on, and no attempt holds
its lease), so two copies of a task (a redelivered message, a sweep that re-sent it) never both POST. A
worker that dies mid-attempt leaves a lease that lapses; the sweep sends the delivery again after that."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.events import record
from discovery.endpoints import Resolver
from notifications import backoff, signing, transport
from notifications.models import Delivery, DeliveryAttempt, Subscription
from portal.crypto import SecretUnreadable

Status = Delivery.Status


class RetryRefused(Exception):
    """A delivery cannot be sent again now; the message says why."""


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when there is one
    disabled: bool = False


def timeout() -> float:
    return float(settings.ROSTER_WEBHOOK_TIMEOUT_SECONDS)


def lease() -> timedelta:
    """Longer than an attempt can take (resolving, connecting, the total timeout), shorter than a retry."""
    return timedelta(seconds=timeout() + 50)


def _free(now):
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def claim(delivery_id) -> Delivery | None:
    now = timezone.now()
    claimed = (Delivery.objects.filter(_free(now), pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now,
                                       subscription__active=True)
               .update(lease_until=now + lease(), attempts=F("attempts") + 1))
    return Delivery.objects.select_related("subscription").get(pk=delivery_id) if claimed else None


def send(delivery_id, *, resolver: Resolver | None = None) -> Outcome | None:
    """One attempt, if the delivery is ours to send now; None when it is not (sent, not due, taken, paused)."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    sub = delivery.subscription
    started = timezone.now()
    try:
        secret = sub.get_secret()
    except SecretUnreadable:
        return record_attempt(delivery, transport.Result(None, "the secret cannot be decrypted (the encryption "
                                                               "key changed): rotate it", 0), started)
    body = signing.encode(delivery.payload)
    headers = signing.headers(event_type=delivery.event_type, delivery_id=str(delivery.pk), secret=secret, body=body,
                              timestamp=int(time.time()))
    result = transport.post(sub.url, body, headers, timeout=timeout(), resolver=resolver, secret=secret)
    return record_attempt(delivery, result, started)


@transaction.atomic
def record_attempt(delivery: Delivery, result: transport.Result, started, policy: backoff.Policy | None = None
                   ) -> Outcome:
    policy = policy or backoff.Policy.from_settings()
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=started,
                                   duration_ms=result.duration_ms, status_code=result.status_code,
                                   error=result.error, succeeded=result.ok)
    sub = Subscription.objects.select_for_update().get(pk=delivery.subscription_id)
    done = {"lease_until": None, "last_status_code": result.status_code, "last_error": result.error}
    if result.ok:
        Delivery.objects.filter(pk=delivery.pk).update(status=Status.SUCCEEDED, delivered_at=now,
                                                       next_attempt_at=None, **done)
        if sub.consecutive_failures or sub.failing_since:
            sub.consecutive_failures, sub.failing_since = 0, None
            sub.save(update_fields=["consecutive_failures", "failing_since"])
        return Outcome(Status.SUCCEEDED)
    retry_at = backoff.next_attempt(delivery.attempts, now, delivery.retry_until, policy)
    status = Status.PENDING if retry_at else Status.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(status=status, next_attempt_at=retry_at, **done)
    sub.consecutive_failures += 1
    sub.failing_since = sub.failing_since or started
    sub.save(update_fields=["consecutive_failures", "failing_since"])
    reason = backoff.disable_reason(sub.consecutive_failures, sub.failing_since, now, policy) if sub.active else ""
    if reason:
        disable(sub, reason)
        return Outcome(Status.FAILED, disabled=True)
    return Outcome(status, retry_in=(retry_at - now).total_seconds() if retry_at else None)


def disable(sub: Subscription, reason: str) -> None:
    """Roster turns the subscription off and says so (the flag in the API and admin, an audit event for the
    tenant's admins); what was still to send to it is given up."""
    now = timezone.now()
    sub.active, sub.disabled_at, sub.disabled_reason = False, now, reason[:300]
    sub.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
    pending = Delivery.objects.filter(subscription=sub, status=Status.PENDING)
    # Those never tried say why; those tried keep what their last attempt got.
    given_up = pending.filter(last_error="").update(status=Status.FAILED, next_attempt_at=None, lease_until=None,
                                                    last_error=f"the subscription was turned off: {reason}"[:300])
    given_up += pending.update(status=Status.FAILED, next_attempt_at=None, lease_until=None)
    record("webhook.disabled", actor="system", obj=sub, workspace_id=sub.workspace_id, name=sub.name, url=sub.url,
           reason=reason, consecutive_failures=sub.consecutive_failures, deliveries_given_up=given_up)


def retry(delivery: Delivery, *, actor: str = "") -> Delivery:
    """Send again now, by hand, with a fresh retry window (a succeeded delivery is sent once more)."""
    sub = delivery.subscription
    if not sub.active:
        raise RetryRefused("the subscription is turned off; turn it on (active) first")
    now = timezone.now()
    with transaction.atomic():
        if not Delivery.objects.filter(_free(now), pk=delivery.pk).update(
                status=Status.PENDING, next_attempt_at=now, lease_until=None,
                retry_until=now + timedelta(seconds=backoff.Policy.from_settings().retry_for)):
            raise RetryRefused("an attempt is being made right now; look again in a few seconds")
        record("webhook.delivery_retried", actor=actor or "system", obj=delivery, workspace_id=sub.workspace_id,
               subscription=str(sub.pk), event=delivery.event_type, attempts=delivery.attempts)
    delivery.refresh_from_db()
    return delivery


def overdue(grace: timedelta = timedelta(seconds=30), limit: int = 1000) -> list[str]:
    """Deliveries due a while ago that nobody holds: their message was lost (a worker died, the broker was
    down) or their wait was too long for a countdown. The sweep sends them again."""
    now = timezone.now()
    return [str(pk) for pk in Delivery.objects.filter(
        _free(now), status=Status.PENDING, next_attempt_at__lte=now - grace, subscription__active=True,
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]]
