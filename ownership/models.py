"""Corrections: what a person changed in the catalog. Applied at once, never overwritten by discovery."""
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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.field} of {self.service_name} by {self.user}"
