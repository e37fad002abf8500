"""The catalog's vocabularies, one place each: what a service's lifecycle, tier, ownership status, entry type
and health may be, and what a discovery event records. Plain enums (no models): reconcile, ownership, search,
the API's filters and the console's schema all read them from here."""
from django.db import models


class Lifecycle(models.TextChoices):
    PRODUCTION = "production"
    STAGING = "staging"
    EXPERIMENTAL = "experimental"
    DEPRECATED = "deprecated"
    EOL = "eol"


class Tier(models.TextChoices):
    CRITICAL = "critical"
    STANDARD = "standard"
    EXPERIMENTAL = "experimental"


class OwnershipStatus(models.TextChoices):
    OWNED = "owned"              # one team clearly leads
    AMBIGUOUS = "ambiguous"      # the runner-up is close behind
    UNOWNED = "unowned"          # nobody scores enough


class EntryType(models.TextChoices):
    SERVICE = "service"          # has infrastructure
    COMPONENT = "component"      # a repository with none (library, website, docs, ...)


class Health(models.TextChoices):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"


class EventType(models.TextChoices):
    SERVICE_CREATED = "service_created"
    SERVICE_UPDATED = "service_updated"
    SERVICE_REMOVED = "service_removed"
    OWNERSHIP_CHANGED = "ownership_changed"
    REPO_LINKED = "repo_linked"
    REPO_UNLINKED = "repo_unlinked"
    LIFECYCLE_CHANGED = "lifecycle_changed"
    CORRECTION_APPLIED = "correction_applied"
