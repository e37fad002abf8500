"""The tenant's side of the Slack app: its installations (bot token encrypted) and the OAuth states it issued.
Which tenant a workspace belongs to is public (portal.SlackWorkspace): Slack calls one host for everyone."""
from django.db import models

from portal import crypto


class SlackInstallation(models.Model):
    """The Slack app installed in one workspace for this tenant (OAuth v2, or by hand: slack_connect)."""

    class Source(models.TextChoices):
        OAUTH = "oauth"
        MANUAL = "manual"

    team_id = models.CharField(max_length=32, unique=True)
    team_name = models.CharField(max_length=255, blank=True)
    enterprise_id = models.CharField(max_length=32, blank=True)
    app_id = models.CharField(max_length=32, blank=True)
    bot_user_id = models.CharField(max_length=32, blank=True)
    bot_id = models.CharField(max_length=32, blank=True)
    bot_scopes = models.JSONField(default=list, blank=True)
    bot_token_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    installer_user_id = models.CharField(max_length=32, blank=True)  # the Slack user who approved the install
    installed_by = models.CharField(max_length=150, blank=True)  # the Roster admin who started it, or "cli"
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    installed_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team_id"]

    def __str__(self):
        return f"{self.team_name or self.team_id} ({self.source})"

    def set_bot_token(self, token: str | None) -> None:
        self.bot_token_encrypted = crypto.encrypt(token) if token else None

    def bot_token(self) -> str | None:
        """The decrypted bot token, or None when there is none (a mapping made without one)."""
        return crypto.decrypt(self.bot_token_encrypted) if self.bot_token_encrypted else None

    @property
    def has_bot_token(self) -> bool:
        return bool(self.bot_token_encrypted)


class SlackOAuthState(models.Model):
    """A state this tenant issued for Slack's OAuth flow: consumed once, within its lifetime (slackbot.oauth)."""

    nonce = models.CharField(max_length=64, unique=True)
    issued_by = models.CharField(max_length=150, blank=True)  # the Roster admin who asked for the install link
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
