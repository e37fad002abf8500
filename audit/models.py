"""Append-only audit events. The database itself refuses UPDATE and DELETE (see migration 0002)."""
from django.db import models


class AuditEvent(models.Model):
    action = models.CharField(max_length=64, db_index=True)  # e.g. run.started, run.finished, correction.applied
    actor = models.CharField(max_length=150, blank=True)      # username, "system", "worker"
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    workspace_id = models.UUIDField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} {self.object_type}:{self.object_id}"
