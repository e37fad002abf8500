"""Public-schema models: tenants, their domains, and which tenant a Slack workspace belongs to."""
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    """One customer company. Its data lives in its own PostgreSQL schema (``schema_name``)."""

    name = models.SlugField(max_length=63, unique=True, help_text="Slug used on the command line, e.g. sample-company")
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = True

    def __str__(self):
        return self.name


class Domain(DomainMixin):
    pass


class SlackWorkspace(models.Model):
    """A Slack workspace connected to a tenant. Slack calls the platform's public host for every workspace, so
    the ``team_id`` of a request, never the host, picks the tenant; the bot token lives in the tenant's schema
    (slackbot.SlackInstallation). One workspace answers for one tenant only."""

    team_id = models.CharField(max_length=32, unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="slack_workspaces")
    team_name = models.CharField(max_length=255, blank=True)
    enterprise_id = models.CharField(max_length=32, blank=True)
    connected_by = models.CharField(max_length=150, blank=True)  # a Roster username, "slack:<user id>" or "cli"
    connected_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.team_id} -> {self.tenant_id}"
