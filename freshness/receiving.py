"""Receive one GitHub webhook delivery: verify, record once, plan, queue. Answers within GitHub's 10 s because
nothing here calls out: the refresh itself is a task (``freshness.apply_github_delivery``)."""
from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from discovery.models import Connection
from freshness import github_events
from freshness.models import GithubWebhook, InboundDelivery

log = logging.getLogger(__name__)
Status = InboundDelivery.Status


@dataclass
class Answer:
    status: int
    body: dict


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def configure(connection: Connection) -> str:
    """Create or rotate the connection's webhook secret; returns it (the only time it is shown)."""
    secret = new_secret()
    hook = GithubWebhook.objects.filter(connection=connection).first() or GithubWebhook(connection=connection)
    if hook.pk:
        hook.rotated_at = timezone.now()
    hook.set_secret(secret)
    hook.save()
    return secret


def receive(connection_id, *, event: str, delivery_id: str, signature: str | None, body: bytes) -> Answer:
    hook = (GithubWebhook.objects.select_related("connection")
            .filter(connection_id=connection_id, connection__provider="github").first())
    # The same answer for "no such connection" and "no webhook configured": ids are not probed from outside.
    if hook is None:
        return Answer(404, {"message": "no GitHub webhook is configured here"})
    if not github_events.signature_valid(hook.get_secret(), body, signature):
        log.warning("github webhook: bad signature for connection %s (delivery %s)", connection_id,
                    delivery_id[:100])
        return Answer(401, {"message": "signature does not match (X-Hub-Signature-256)"})
    if not event or not delivery_id or len(delivery_id) > 100:
        return Answer(400, {"message": "X-GitHub-Event and X-GitHub-Delivery are required"})
    GithubWebhook.objects.filter(pk=hook.pk).update(last_delivery_at=timezone.now())
    if event == "ping":
        return Answer(200, {"message": "pong"})
    if event not in github_events.EVENTS:
        return Answer(204, {})
    connection = hook.connection
    delivery = InboundDelivery(connection=connection, delivery_id=delivery_id, event=event[:64])
    try:
        payload = json.loads(body)
        delivery.action = str(payload.get("action", ""))[:64] if isinstance(payload, dict) else ""
        planned = github_events.plan(event, payload, org=connection.config.get("org", ""),
                                     include_archived=bool(connection.config.get("include_archived")))
    except (ValueError, github_events.Malformed) as exc:  # json.JSONDecodeError is a ValueError
        delivery.status, delivery.detail = Status.INVALID, str(exc)[:500]
        answer = Answer(400, {"message": f"malformed {event} payload: {exc}"[:500]})
    else:
        delivery.plan = planned.as_json()
        if planned.empty:
            delivery.status, delivery.detail = Status.IGNORED, planned.ignored[:500]
            answer = Answer(202, {"message": f"ignored: {planned.ignored}"})
        else:
            delivery.status = Status.QUEUED
            answer = Answer(202, {"message": "refresh queued", "plan": delivery.plan})
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:  # GitHub redelivered (same X-GitHub-Delivery): done already, once is enough
        return Answer(200, {"message": "duplicate delivery, already received"})
    if delivery.status == Status.QUEUED:
        transaction.on_commit(lambda: _enqueue(delivery.pk))
    return answer


def _enqueue(delivery_pk: int) -> None:
    from django.db import connection as db

    from freshness.tasks import apply_github_delivery

    apply_github_delivery.delay(db.schema_name, delivery_pk)
