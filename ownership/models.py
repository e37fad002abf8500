"""Corrections (what a person changed in the catalog: applied at once, never overwritten by discovery), and
what the ownership step of a discovery reads: the evidence catalog handed over for each service."""
from django.db import models


class Correction(models.Model):
    class Field(models.TextChoices):
        OWNER = "owner"
        REPO = "repo"
        NAME = "name"
        LIFECYCLE = "lifecycle"
        TIER = "tier"
        MERGE = "merge"
        SPLIT = "split"
        NOT_A_SERVICE = "not_a_service"

    service = models.ForeignKey("catalog.Service", null=True, on_delete=models.SET_NULL, related_name="corrections")
    service_name = models.CharField(max_length=255)
    field = models.CharField(max_length=32, choices=Field.choices)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    user = models.CharField(max_length=150)
    propagated_count = models.PositiveIntegerField(default=0)
    # What an owner correction teaches (``ownership.learning``), kept as it was when corrected: the service's
    # pattern {"name", "tags", "owner_tags"} and the signals {"wrong": signal or null, "right": [signal, ...]}.
    pattern = models.JSONField(default=dict, blank=True)
    signals = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.field} of {self.service_name} by {self.user}"


class OwnershipInput(models.Model):
    """What catalog saw about who owns a service when a discovery last persisted it: the input of the
    ownership step (``ownership.inference``). One row per service, replaced whenever discovery rewrites it."""

    service = models.OneToOneField("catalog.Service", primary_key=True, on_delete=models.CASCADE, related_name="+")
    run_id = models.UUIDField(db_index=True)  # the reconcile run that last claimed the service
    evidence = models.JSONField(default=dict)
    inferred = models.JSONField(null=True, blank=True)  # what the step last inferred from it (None: not yet)
    updated_at = models.DateTimeField()

    def __str__(self):
        return f"ownership input of {self.service_id}"


class TeamDirectoryInput(models.Model):
    """The GitHub teams and members a reconcile run saw, to resolve owner names against (the latest run's)."""

    run_id = models.UUIDField(primary_key=True)
    data = models.JSONField(default=dict)  # TeamDirectory's arguments: teams, members, memberships
    created_at = models.DateTimeField(auto_now_add=True)


class WeightsReset(models.Model):
    """A tenant's signal weights set back to their defaults: owner corrections before the latest reset no
    longer move a weight (``ownership.weights``). They still lock, propagate and teach owners."""

    user = models.CharField(max_length=150)
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"weights reset by {self.user}"
