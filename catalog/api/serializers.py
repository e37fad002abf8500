from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.relationships import RelationshipsSerializer, relationships
from catalog.models import DiscoveryEvent, Service, ServiceResource, Team
from catalog.reconcile.last_deploy import SOURCES


class TeamSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    service_count = serializers.IntegerField(read_only=True)
    contact_email = serializers.CharField(read_only=True, help_text="the team's address; empty when unknown")
    routing_sources = serializers.DictField(read_only=True, help_text=(
        "Per routing field: {\"source\": suggested | confirmed | corrected, \"by\", \"at\", ...}. Editors confirm or "
        "correct them with PATCH /api/v1/teams/{id}/routing/."))

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "description", "github_org", "parent", "members", "source", "service_count",
                  "slack_channel", "pagerduty_schedule_id", "opsgenie_team_id", "contact_email", "routing_sources"]
        read_only_fields = ["slack_channel", "pagerduty_schedule_id", "opsgenie_team_id"]


class ResourceSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="kind")
    arn = serializers.CharField(source="external_id")

    class Meta:
        model = ServiceResource
        fields = ["type", "name", "arn", "account", "region", "rule", "confidence"]


class OwnerField(serializers.Serializer):
    team_id = serializers.UUIDField(allow_null=True)
    slug = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField()
    status = serializers.CharField()
    source = serializers.CharField()


def owner_payload(service: Service) -> dict:
    team = service.owner
    return {
        "team_id": team.pk if team else None, "slug": team.slug if team else None, "name": team.name if team else None,
        "confidence": service.owner_confidence, "status": service.ownership_status, "source": service.owner_source,
    }


class LastDeploySerializer(serializers.Serializer):
    """What a service last deployed (catalog.reconcile.last_deploy): GitHub's word first, else AWS's."""

    at = serializers.DateTimeField(allow_null=True, help_text="When it was deployed (UTC).")
    by = serializers.CharField(allow_null=True, help_text="GitHub login of who deployed it, when GitHub says.")
    sha = serializers.CharField(allow_null=True, help_text="The commit deployed, when GitHub says.")
    ref = serializers.CharField(allow_null=True, help_text="The branch or tag deployed, when GitHub says.")
    image_tag = serializers.CharField(allow_null=True, help_text="The image tag an ECS service runs.")
    environment = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=SOURCES)
    url = serializers.CharField(allow_null=True, help_text="GitHub's page or the deploy's log, when known.")
    revision = serializers.CharField(allow_null=True, help_text="The ECS task definition family:revision.")
    resource = serializers.CharField(allow_null=True, help_text="The ARN of the AWS resource that says so.")


class ServiceSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = ["id", "name", "display_name", "description", "entry_type", "component_type", "service_type",
                  "lifecycle", "tier", "tech_stack", "environments", "repo", "owner", "confidence", "health",
                  "updated_at"]

    def get_owner(self, obj) -> OwnerField:
        return owner_payload(obj)


class ServiceDetailSerializer(ServiceSerializer):
    repository = serializers.SerializerMethodField()
    infrastructure = serializers.SerializerMethodField()
    runner_up = serializers.SerializerMethodField()
    last_deploy = LastDeploySerializer(read_only=True, allow_null=True)
    relationships = serializers.SerializerMethodField(help_text=(
        "its resources and repository (nodes) and how they connect (edges), for a small graph"))

    class Meta(ServiceSerializer.Meta):
        fields = ServiceSerializer.Meta.fields + [
            "aliases", "accounts", "regions", "sources", "evidence", "repository", "infrastructure", "runner_up",
            "owner_candidates", "locked_fields", "missed_scans", "last_seen_at", "created_at", "last_deploy",
            "relationships"]

    def _resources(self, obj) -> list:
        """The service's resources, read once for both fields that show them."""
        if getattr(obj, "_resource_rows", None) is None:
            obj._resource_rows = list(obj.resources.all())
        return obj._resource_rows

    def get_repository(self, obj) -> dict | None:
        if not obj.repo:
            return None
        return {"full_name": obj.repo, "url": obj.repo_url, "default_branch": obj.repo_default_branch,
                "confidence": obj.repo_confidence, "rule": obj.repo_rule}

    def get_infrastructure(self, obj) -> dict:
        return {"aws_resources": ResourceSerializer(self._resources(obj), many=True).data}

    @extend_schema_field(RelationshipsSerializer)
    def get_relationships(self, obj) -> dict:
        return relationships(obj, self._resources(obj))

    def get_runner_up(self, obj) -> dict | None:
        if not obj.runner_up_id:
            return None
        return {"slug": obj.runner_up.slug, "score": obj.runner_up_score}


class DiscoveryEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DiscoveryEvent
        fields = ["id", "run", "service", "service_name", "event_type", "field", "old_value", "new_value",
                  "confidence", "reason", "created_at"]
