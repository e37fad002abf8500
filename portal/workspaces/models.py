"""Tenant-schema model: workspaces group connections, runs and facts inside a tenant."""
import uuid

from django.db import models


class Workspace(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="one_default_workspace")
        ]

    def __str__(self):
        return self.name

    @classmethod
    def default(cls) -> "Workspace":
        workspace, _ = cls.objects.get_or_create(is_default=True, defaults={"name": "Default", "slug": "default"})
        return workspace
