"""Webhook subscriptions, their deliveries (the outbox) and the fan-out cursor (one tenant schema each)."""
import uuid

from django.db import models

from notifications.events import ALL
from portal import crypto


def all_events() -> list[str]:
    return list(ALL)


class Subscription(models.Model):
    """A URL a tenant admin asked Roster to POST some events to, signed with a secret Roster generated.

    The secret is Fernet-encrypted like connection secrets and shown once (when created or rotated). Roster
    turns a subscription off by itself after too many failures in a row (``disabled_at``, ``disabled_reason``
    and an audit event ``webhook.disabled``); an admin turns it back on by setting ``active``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="webhook_subscriptions")
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=2000, help_text="https URL Roster POSTs events to (checked: no internal hosts)")
    events = models.JSONField(default=all_events)
    active = models.BooleanField(default=True)
    secret_ciphertext = models.BinaryField(editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)  # the first failure after the last success
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_webhook_name")]
        permissions = [("rotate_subscription", "Can rotate a webhook subscription's secret")]

    def __str__(self):
        return self.name

    def set_secret(self, secret: str) -> None:
        self.secret_ciphertext = crypto.encrypt(secret)

    def get_secret(self) -> str:
        return crypto.decrypt(self.secret_ciphertext)

    def wants(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class Delivery(models.Model):
    """One event for one subscription: created once by the fan-out (unique per subscription and event), sent
    until the receiver answers 2xx or the retry window closes. Its id is the X-Roster-Delivery header."""

    class Status(models.TextChoices):
        PENDING = "pending"        # due at next_attempt_at (or being sent while lease_until is ahead)
        SUCCEEDED = "succeeded"    # the receiver answered 2xx
        FAILED = "failed"          # gave up: the retry window closed, or the subscription was turned off

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=40, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)  # an attempt is in flight until then
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="one_delivery_per_event")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        permissions = [("retry_delivery", "Can send a webhook delivery again")]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.event_type} -> {self.subscription_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what came back (never a secret, never the body)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]


class FanOutCursor(models.Model):
    """How far a workspace's fan-out has read each source log: the highest id below which every row has been
    turned into deliveries. A row above it may have been fanned out already (past a gap of a transaction still
    open); the deliveries' unique constraint keeps that from sending anything twice."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, primary_key=True,
                                     related_name="+")
    discovery_event_id = models.BigIntegerField(default=0)
    retirement_hold_id = models.BigIntegerField(default=0)
    audit_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
