"""Schedules and GitHub webhooks of a tenant's connections (the tenant's own schema, like the connections)."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from portal import crypto


class Schedule(models.Model):
    """When a connection is read again on its own: incremental every few hours, in full once a day.

    The next times are stored, not derived from a crontab: the beat tick (``freshness.tick``, every minute in
    every tenant) starts what is due and moves the times on from *now*, so a beat that was down for a day runs
    one catch-up, not twenty-four, and an edited schedule takes effect at the next tick without a restart."""

    connection = models.OneToOneField("discovery.Connection", on_delete=models.CASCADE, related_name="schedule")
    incremental_every_hours = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="Hours between incremental reads (1-24): only what changed is read in detail.")
    full_every_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="Hours between full reads (1-168): the only runs that may retire anything.")
    paused = models.BooleanField(default=False)
    next_incremental_at = models.DateTimeField(null=True, blank=True)
    next_full_at = models.DateTimeField(null=True, blank=True)
    last_incremental_at = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey("discovery.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_outcome = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connection__name"]

    def __str__(self):
        return f"{self.connection}: every {self.incremental_every_hours} h, full every {self.full_every_hours} h"


class GithubWebhook(models.Model):
    """The secret GitHub signs a connection's webhook deliveries with (X-Hub-Signature-256).

    Roster generates it; it is shown once when created or rotated and stored encrypted like connection secrets."""

    connection = models.OneToOneField("discovery.Connection", on_delete=models.CASCADE, related_name="github_webhook")
    secret_ciphertext = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("rotate_githubwebhook", "Can rotate a GitHub webhook secret")]

    def __str__(self):
        return f"GitHub webhook of {self.connection}"

    def set_secret(self, secret: str) -> None:
        self.secret_ciphertext = crypto.encrypt(secret)

    def get_secret(self) -> str:
        return crypto.decrypt(self.secret_ciphertext)


class InboundDelivery(models.Model):
    """One signed delivery GitHub sent: idempotent on its X-GitHub-Delivery id, with what Roster made of it."""

    class Status(models.TextChoices):
        QUEUED = "queued"      # verified and planned; the refresh is queued
        APPLIED = "applied"    # the refresh started (or the facts it names were forgotten)
        IGNORED = "ignored"    # nothing for Roster in it (another branch, an event we do not use)
        INVALID = "invalid"    # signed, but not the payload GitHub documents: 400 and kept here
        FAILED = "failed"      # the refresh could not start (see detail)

    connection = models.ForeignKey("discovery.Connection", on_delete=models.CASCADE, related_name="+")
    delivery_id = models.CharField(max_length=100)
    event = models.CharField(max_length=64)
    action = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    detail = models.CharField(max_length=500, blank=True)
    plan = models.JSONField(default=dict, blank=True)  # {"repos": [...], "forget": [...], "teams": bool}
    run = models.ForeignKey("discovery.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["connection", "delivery_id"], name="unique_github_delivery")]
        verbose_name_plural = "inbound deliveries"

    def __str__(self):
        return f"{self.event}.{self.action} {self.delivery_id} ({self.status})" if self.action else \
            f"{self.event} {self.delivery_id} ({self.status})"
