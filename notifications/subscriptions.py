"""Subscriptions as the API and the admin change them: created with a secret Roster generates (returned once),
rotated, turned back on, deleted, pinged. Each change is an audit event (never the secret)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.events import record
from notifications import events, payloads, signing
from notifications.backoff import Policy
from notifications.fanout import ensure_cursor, tenant_info
from notifications.models import Delivery, Subscription

EDITABLE = ("name", "url", "events", "active")


def _shown(sub: Subscription) -> dict:
    return {"name": sub.name, "url": sub.url, "events": list(sub.events or []), "active": sub.active}


@transaction.atomic
def create(sub: Subscription, *, actor: str = "", reason: str = "") -> str:
    """Save the new (unsaved, checked) subscription with a secret of Roster's; returns the secret, which the
    person sees once (it is stored encrypted)."""
    secret = signing.new_secret()
    first = not Subscription.objects.filter(workspace_id=sub.workspace_id, active=True).exists()
    sub.events = sub.events or list(events.ALL)
    sub.created_by = actor
    sub.set_secret(secret)
    sub.save()
    ensure_cursor(sub.workspace, to_heads=first)  # events from now on (the fan-out reads from the logs' heads)
    record("webhook.created", actor=actor, obj=sub, workspace_id=sub.workspace_id, **_shown(sub), reason=reason)
    return secret


@transaction.atomic
def update(sub: Subscription, changes: dict, *, actor: str = "", reason: str = "") -> Subscription:
    before = _shown(sub)
    if changes.get("active") and not sub.active and not Subscription.objects.filter(
            workspace_id=sub.workspace_id, active=True).exists():
        ensure_cursor(sub.workspace, to_heads=True)  # what happened while nobody listened is not sent
    for key, value in changes.items():
        if key in EDITABLE:
            setattr(sub, key, value)
    if changes.get("active") and sub.disabled_at:  # turned back on by a person: a fresh start
        sub.disabled_at, sub.disabled_reason = None, ""
        sub.consecutive_failures, sub.failing_since = 0, None
    sub.save()
    after = _shown(sub)
    record("webhook.updated", actor=actor, obj=sub, workspace_id=sub.workspace_id, name=sub.name, reason=reason,
           changes={k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]})
    return sub


@transaction.atomic
def delete(sub: Subscription, *, actor: str = "", reason: str = "") -> None:
    record("webhook.deleted", actor=actor, obj=sub, workspace_id=sub.workspace_id, **_shown(sub), reason=reason)
    sub.delete()


@transaction.atomic
def rotate_secret(sub: Subscription, *, actor: str = "", reason: str = "") -> str:
    """A new secret, effective for the next attempt of every delivery (pending ones too)."""
    secret = signing.new_secret()
    sub.set_secret(secret)
    sub.save(update_fields=["secret_ciphertext", "updated_at"])
    record("webhook.secret_rotated", actor=actor, obj=sub, workspace_id=sub.workspace_id, name=sub.name,
           reason=reason)
    return secret


def ping(sub: Subscription) -> Delivery:
    """A ``ping`` delivery, sent like any other (logged, retried): the admin's "does this URL work?"."""
    now = timezone.now()
    event_id = uuid.uuid4()
    return Delivery.objects.create(
        subscription=sub, event_id=event_id, event_type=events.PING, next_attempt_at=now,
        retry_until=now + timedelta(seconds=Policy.from_settings().retry_for),
        payload=payloads.envelope(event_id=event_id, event_type=events.PING, created_at=now, tenant=tenant_info(),
                                  workspace=sub.workspace.slug,
                                  data=payloads.ping(subscription_id=sub.pk, name=sub.name)))
