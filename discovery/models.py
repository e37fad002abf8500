"""Connections, runs, jobs and the fact store (one tenant schema each)."""
import uuid

from django.db import models

from portal import crypto


class Provider(models.TextChoices):
    AWS = "aws", "AWS"
    GITHUB = "github", "GitHub"


class Connection(models.Model):
    """An AWS account set (role to assume) or a GitHub organization.

    ``config`` holds non-secret settings only. The secret (GitHub token or App private key, optional AWS
    access keys for the base identity) is Fernet-encrypted in ``secret_ciphertext`` and is read only by
    the worker that scans; it never reaches the API, a queue message, a log line or a run record.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    name = models.CharField(max_length=100)
    # AWS: account_id, role_arn, regions[], external_id, endpoint_url, kinds[]
    # GitHub: org, base_url, auth ("token"|"app"), app_id, installation_id, include_archived, include_forks
    config = models.JSONField(default=dict, blank=True)
    secret_ciphertext = models.BinaryField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_connection_name")]
        ordering = ["provider", "name"]

    def __str__(self):
        return f"{self.get_provider_display()}: {self.name}"

    def set_secret(self, secret: dict | None) -> None:
        import json

        self.secret_ciphertext = crypto.encrypt(json.dumps(secret)) if secret else None

    def get_secret(self) -> dict:
        import json

        return json.loads(crypto.decrypt(self.secret_ciphertext)) if self.secret_ciphertext else {}

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_ciphertext)


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
COMPLETED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED)


class Run(models.Model):
    """One discovery of one connection (kind=scan), or the reconcile that follows a workspace discovery."""

    class Kind(models.TextChoices):
        SCAN = "scan"
        RECONCILE = "reconcile"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="runs")
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SCAN)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    trigger = models.CharField(max_length=32, default="manual")  # api, admin, command, schedule, demo
    requested_by = models.CharField(max_length=150, blank=True)
    group_id = models.UUIDField(null=True, blank=True, db_index=True)  # runs dispatched together (workspace discovery)
    selection = models.JSONField(default=dict, blank=True)
    selection_hash = models.CharField(max_length=64, db_index=True)
    full_scan = models.BooleanField(default=True)  # every kind of every account/region, or every repo
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)     # per kind: facts, links, api_calls, retries, wait_seconds
    failures = models.JSONField(default=list, blank=True)  # [{reason_code, message, item, remediation}]
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one active run per (connection, selection): the database enforces it, not a lock in Python.
            models.UniqueConstraint(
                fields=["connection", "selection_hash"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_run_per_selection",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class Job(models.Model):
    """One unit of a run: (account, region, kind group) for AWS; repositories or teams for GitHub."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="jobs")
    key = models.CharField(max_length=200)  # e.g. aws:111111111111:us-east-1:ecs
    scanner = models.CharField(max_length=64)
    account = models.CharField(max_length=64, blank=True)
    region = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    facts = models.PositiveIntegerField(default=0)
    links = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)
    failure = models.JSONField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="unique_job_key_per_run")]

    def __str__(self):
        return f"{self.key} ({self.status})"


class Fact(models.Model):
    """A normalized observation of one upstream object, with provenance. Unique per (connection, kind, external_id)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="facts")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField(max_length=64)
    external_id = models.CharField(max_length=512)
    name = models.CharField(max_length=512)
    account = models.CharField(max_length=64, blank=True)
    region = models.CharField(max_length=32, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    provenance = models.JSONField(default=dict)  # connection, run, job, operation, account, region, observed_at
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_seen_run = models.ForeignKey(Run, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "external_id"], name="unique_fact_per_connection")
        ]
        indexes = [models.Index(fields=["workspace", "kind"]), models.Index(fields=["external_id"])]

    def __str__(self):
        return f"{self.kind}:{self.name}"


class FactLink(models.Model):
    """A relationship between two facts (by external id), e.g. stack contains function."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="fact_links")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="fact_links")
    source_kind = models.CharField(max_length=64)
    source_id = models.CharField(max_length=512)
    relation = models.CharField(max_length=32)
    target_kind = models.CharField(max_length=64)
    target_id = models.CharField(max_length=512)
    attributes = models.JSONField(default=dict, blank=True)
    provenance = models.JSONField(default=dict)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_seen_run = models.ForeignKey(Run, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "source_id", "relation", "target_id"], name="unique_link_per_connection"
            )
        ]
        indexes = [models.Index(fields=["workspace", "relation"])]
