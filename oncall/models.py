"""On-call connections and what oncall.sync last read through them (one tenant schema each).

A connection's API key is Fernet-encrypted like discovery.Connection's secret: written, never shown back, read only
by the worker that syncs. The other tables are the vendor's word as of ``synced_at``, replaced at every sync;
routing answers read them and never call a vendor inline."""
import uuid

from django.db import models

from portal import crypto


class Provider(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty"
    OPSGENIE = "opsgenie", "Opsgenie"


class OpsgenieRegion(models.TextChoices):
    """Opsgenie serves each account from one region's API host; the tenant picks the region, never a host."""

    US = "us", "US (api.opsgenie.com)"
    EU = "eu", "EU (api.eu.opsgenie.com)"


class OnCallConnection(models.Model):
    """A PagerDuty account (REST API v2 key, read-only) or an Opsgenie account (API key with read access)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="oncall_connections")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    name = models.CharField(max_length=100)
    region = models.CharField(max_length=8, choices=OpsgenieRegion.choices, default=OpsgenieRegion.US,
                              help_text="Opsgenie only: the region of the account's API")
    key_ciphertext = models.BinaryField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)  # a sync is running until then
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.CharField(max_length=16, blank=True, editable=False)  # "ok" | "failed" | ""
    last_failure = models.JSONField(default=dict, blank=True, editable=False)  # {reason_code, message, remediation}
    last_stats = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_oncall_connection_name")]
        permissions = [("sync_oncallconnection", "Can read an on-call connection now")]
        verbose_name = "on-call connection"

    def __str__(self):
        return f"{self.get_provider_display()}: {self.name}"

    def set_key(self, key: str | None) -> None:
        self.key_ciphertext = crypto.encrypt(key) if key else None

    def get_key(self) -> str:
        return crypto.decrypt(self.key_ciphertext) if self.key_ciphertext else ""

    @property
    def has_key(self) -> bool:
        return bool(self.key_ciphertext)


class OnCallSchedule(models.Model):
    """A PagerDuty or Opsgenie schedule and who is on it now and next (as of ``synced_at``).

    ``current``/``upcoming`` are [{"name", "email"}]; ``current_until`` is the next handover, when ``upcoming``
    takes over until ``upcoming_until``. Routing rolls forward by itself when an answer is asked after the
    handover and before the next sync."""

    connection = models.ForeignKey(OnCallConnection, on_delete=models.CASCADE, related_name="schedules")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    time_zone = models.CharField(max_length=64, blank=True)
    html_url = models.CharField(max_length=500, blank=True)
    owner_team_id = models.CharField(max_length=64, blank=True)  # Opsgenie: the owner team's id
    owner_team_name = models.CharField(max_length=255, blank=True)
    current = models.JSONField(default=list, blank=True)
    current_until = models.DateTimeField(null=True, blank=True)
    upcoming = models.JSONField(default=list, blank=True)
    upcoming_until = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["provider", "name"]
        constraints = [models.UniqueConstraint(fields=["connection", "external_id"], name="unique_oncall_schedule")]
        indexes = [models.Index(fields=["provider", "external_id"]), models.Index(fields=["owner_team_id"])]
        verbose_name = "on-call schedule"

    def __str__(self):
        return self.name


class OnCallTeam(models.Model):
    """An Opsgenie team (what ``Team.opsgenie_team_id`` names)."""

    connection = models.ForeignKey(OnCallConnection, on_delete=models.CASCADE, related_name="teams")
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["connection", "external_id"], name="unique_oncall_team")]
        verbose_name = "on-call team"

    def __str__(self):
        return self.name


class EscalationPolicy(models.Model):
    """A PagerDuty escalation policy: its levels and the schedules it pages (``schedule_ids``)."""

    connection = models.ForeignKey(OnCallConnection, on_delete=models.CASCADE, related_name="escalation_policies")
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    html_url = models.CharField(max_length=500, blank=True)
    num_loops = models.PositiveIntegerField(default=0)
    levels = models.JSONField(default=list, blank=True)  # [{"level", "delay_minutes", "targets": [{type, id, name}]}]
    schedule_ids = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["connection", "external_id"], name="unique_escalation_policy")]
        verbose_name_plural = "escalation policies"

    def __str__(self):
        return self.name


class PagerDutyService(models.Model):
    """A PagerDuty service and its escalation policy: a Roster service of the same name is paged through it."""

    connection = models.ForeignKey(OnCallConnection, on_delete=models.CASCADE, related_name="services")
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    normalized_name = models.CharField(max_length=255, db_index=True)
    escalation_policy_id = models.CharField(max_length=64, blank=True)
    html_url = models.CharField(max_length=500, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["connection", "external_id"], name="unique_pagerduty_service")]
        verbose_name = "PagerDuty service"

    def __str__(self):
        return self.name
