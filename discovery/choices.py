"""Discovery's vocabularies, one place each: the providers a connection may be, what a run is, and the states of a
run and of a job. Plain enums (no models)."""
from django.db import models


class Provider(models.TextChoices):
    AWS = "aws", "AWS"
    GITHUB = "github", "GitHub"


class RunKind(models.TextChoices):
    SCAN = "scan"              # one connection's scan jobs
    RECONCILE = "reconcile"    # the catalog step after a workspace's scans


class ScanMode(models.TextChoices):
    """How much of its selection a scan reads. Only a run that is not incremental may retire anything."""
    AUTO = "auto"                # GitHub reads incrementally when a full read is recent; AWS reads everything
    FULL = "full"                # read everything (the slow schedule's cadence)
    INCREMENTAL = "incremental"  # skip the detail of what has not changed since the last read


class RunPriority(models.TextChoices):
    """Where a run's messages wait: a high one's jobs are taken before every normal job (portal.queues)."""
    NORMAL = "normal"
    HIGH = "high"


class RunStatus(models.TextChoices):
    """A run's and a job's status; queued and running are active, the others final."""
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
