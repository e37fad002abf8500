"""Who a user is in this tenant (role, GitHub identity, teams) and their API tokens (stored hashed)."""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.roles import Role


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_profile")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    github_login = models.CharField(max_length=100, blank=True, db_index=True)
    # Team slugs the user belongs to (from GitHub sign-in or set by an admin): "my team's services".
    teams = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user} ({self.role})"


class ApiToken(models.Model):
    """An API token. Only its SHA-256 digest is stored; the key is shown once, when it is issued."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)  # the key's first characters, to recognise it
    digest = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False, help_text="only GET requests, whatever the user's role")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
