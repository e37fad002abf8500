"""The catalog: teams, services, the resources and repository claimed for each, and their history."""
import uuid

from django.core.validators import RegexValidator
from django.db import models

from catalog.choices import EntryType, EventType, Health, Lifecycle, OwnershipStatus, Tier

__all__ = ["DiscoveryEvent", "Lifecycle", "RetirementHold", "Service", "ServiceResource", "Team", "Tier"]


# A GitHub team slug, or org/slug when teams of two connected organizations share the slug (catalog.team_names)
TEAM_SLUG = RegexValidator(r"^(?:[-\w]+/)?[-\w]+\Z", "Enter a team slug, or organization/slug.")


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.CharField(max_length=140, unique=True, validators=[TEAM_SLUG])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    github_org = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    members = models.JSONField(default=list, blank=True)  # GitHub logins
    source = models.CharField(max_length=32, default="github")  # github | tag | catalog_info | manual
    # Where to reach the team (oncall.routing). Suggested from PagerDuty and Opsgenie names or set by editors;
    # routing_sources says which, per field: {field: {"source": suggested|confirmed|corrected, "by", "at", ...}}
    # (oncall.routing_fields: a confirmed or corrected value is never overwritten by a suggestion).
    slack_channel = models.CharField(max_length=81, blank=True)  # "#payments" or a channel id
    pagerduty_schedule_id = models.CharField(max_length=64, blank=True)
    opsgenie_team_id = models.CharField(max_length=64, blank=True)
    contact_email = models.EmailField(blank=True)
    routing_sources = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug


class Service(models.Model):
    """A catalog entry: a service (has infrastructure) or a component (a repository with none)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(max_length=300, db_index=True)  # reconcile's key when the entry was created
    name = models.CharField(max_length=255, unique=True)
    display_name = models.CharField(max_length=255, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    entry_type = models.CharField(max_length=16, choices=EntryType.choices, default=EntryType.SERVICE)
    component_type = models.CharField(max_length=32, blank=True)   # library, website, docs, ...
    service_type = models.CharField(max_length=32, blank=True)     # api, worker, cron, ...
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.PRODUCTION,
                                 db_index=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD, db_index=True)
    tech_stack = models.JSONField(default=list, blank=True)
    environments = models.JSONField(default=list, blank=True)
    accounts = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    repo = models.CharField(max_length=255, blank=True, db_index=True)  # org/name
    repo_url = models.CharField(max_length=500, blank=True)
    repo_default_branch = models.CharField(max_length=100, blank=True)
    repo_confidence = models.FloatField(default=0.0)
    repo_rule = models.CharField(max_length=32, blank=True)
    owner = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="services")
    owner_confidence = models.FloatField(default=0.0)
    ownership_status = models.CharField(max_length=16, choices=OwnershipStatus.choices, default=OwnershipStatus.UNOWNED)
    owner_source = models.CharField(max_length=32, blank=True)  # codeowners, tags, commits, ..., user_correction
    runner_up = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    runner_up_score = models.FloatField(default=0.0)
    owner_candidates = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=0.0, db_index=True)
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.UNKNOWN)
    sources = models.JSONField(default=list, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    # {at, by, sha, ref, image_tag, environment, source, url, revision, resource}: catalog.reconcile.last_deploy
    last_deploy = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    locked_fields = models.JSONField(default=dict, blank=True)  # field -> corrected value (corrections win)
    hidden = models.BooleanField(default=False)  # "not a service" correction or merged away
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    missed_scans = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceResource(models.Model):
    """An AWS resource claimed by a service. A resource belongs to at most one service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="resources")
    external_id = models.CharField(max_length=512, unique=True)  # ARN
    kind = models.CharField(max_length=64)
    name = models.CharField(max_length=512)
    account = models.CharField(max_length=64, blank=True)
    region = models.CharField(max_length=32, blank=True)
    rule = models.CharField(max_length=64, blank=True)
    confidence = models.FloatField(default=0.0)

    class Meta:
        ordering = ["kind", "name"]


class DiscoveryEvent(models.Model):
    """Immutable log of what discovery changed in the catalog, and why."""

    Type = EventType  # DiscoveryEvent.Type.SERVICE_CREATED reads well at call sites

    run = models.ForeignKey("discovery.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    service_name = models.CharField(max_length=255)
    event_type = models.CharField(max_length=32, choices=Type.choices, db_index=True)
    field = models.CharField(max_length=64, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class RetirementHold(models.Model):
    """Retirements held for an operator because one run would retire too much of the catalog at once."""

    run = models.ForeignKey("discovery.Run", on_delete=models.CASCADE, related_name="+")
    services = models.JSONField(default=list)  # [{"id","name","to"}]
    total_services = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, default="pending")  # pending | approved | rejected
    decided_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
