from rest_framework import serializers

from discovery import connection_config
from discovery.choices import RunPriority, ScanMode
from discovery.models import Connection, Fact, Job, Run


class ConnectionSerializer(serializers.ModelSerializer):
    """Secrets are write-only: accepted on create/update, never returned. The ExternalId is Roster's, read-only."""

    secret = serializers.DictField(write_only=True, required=False, help_text=(
        "GitHub: {\"token\": ...} or {\"private_key\": PEM}; AWS (optional base identity): "
        "{\"access_key_id\", \"secret_access_key\"}. Encrypted at rest, never returned."))
    has_secret = serializers.BooleanField(read_only=True)
    cloudformation_template_url = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = ["id", "provider", "name", "config", "external_id", "enabled", "has_secret", "secret", "created_at",
                  "updated_at", "cloudformation_template_url"]
        read_only_fields = ["id", "external_id", "created_at", "updated_at"]

    def get_cloudformation_template_url(self, obj) -> str | None:
        return f"/api/v1/connections/{obj.pk}/cloudformation-template/" if obj.provider == "aws" else None

    def validate(self, attrs):
        instance = self.instance
        if instance is not None and "provider" in attrs and attrs["provider"] != instance.provider:
            raise serializers.ValidationError({"provider": "the provider cannot change; create a new connection"})
        provider = instance.provider if instance is not None else attrs.get("provider")
        if instance is None or "config" in attrs:
            try:
                attrs["config"] = connection_config.clean(provider, attrs.get("config") or {})
            except connection_config.ConfigError as exc:
                raise serializers.ValidationError({"config": exc.messages}) from None
        if instance is not None and provider == "github" and "config" in attrs and not attrs.get("secret"):
            # Whoever can edit a connection cannot see its token: they may not send it somewhere else either.
            (old_root, old_org), (root, org) = (connection_config.github_target(instance.config),
                                                connection_config.github_target(attrs["config"]))
            if root != old_root:
                raise serializers.ValidationError({"secret": "changing base_url requires the secret again"})
            if org != old_org:
                raise serializers.ValidationError({"secret": "changing org requires the secret again"})
        return attrs

    def create(self, validated_data):
        secret = validated_data.pop("secret", None)
        conn = Connection(**validated_data)
        conn.set_secret(secret)
        conn.save()
        return conn

    def update(self, instance, validated_data):
        secret = validated_data.pop("secret", None)
        validated_data.pop("provider", None)  # immutable (validate refused a change)
        for key, value in validated_data.items():
            setattr(instance, key, value)
        if secret is not None:
            instance.set_secret(secret)
        instance.save()
        return instance


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "key", "scanner", "account", "region", "status", "attempts", "facts", "links", "api_calls",
                  "stats", "failure", "warnings", "started_at", "finished_at"]


class DeadLetterSerializer(JobSerializer):
    """A job dead-lettered by the watchdog: its worker stopped reporting on every attempt."""

    run = serializers.UUIDField(source="run_id", read_only=True)
    connection = serializers.UUIDField(source="run.connection_id", read_only=True, allow_null=True)

    class Meta(JobSerializer.Meta):
        fields = ["run", "connection", *JobSerializer.Meta.fields]


class RunSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)  # null until it has finished

    class Meta:
        model = Run
        fields = ["id", "kind", "connection", "status", "trigger", "requested_by", "group_id", "selection",
                  "selection_hash", "full_scan", "scan_mode", "priority", "total", "processed", "succeeded", "failed", "skipped",
                  "stats", "failures", "warnings", "created_at", "started_at", "finished_at", "duration_seconds"]


class RunDetailSerializer(RunSerializer):
    jobs = JobSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = RunSerializer.Meta.fields + ["jobs"]


class DiscoverRequestSerializer(serializers.Serializer):
    connections = serializers.ListField(child=serializers.UUIDField(), required=False,
                                        help_text="Connection ids; all enabled connections when omitted.")
    accounts = serializers.ListField(child=serializers.CharField(), required=False)
    regions = serializers.ListField(child=serializers.CharField(), required=False)
    kinds = serializers.ListField(child=serializers.CharField(), required=False)
    repos = serializers.ListField(child=serializers.CharField(), required=False)
    mode = serializers.ChoiceField(choices=ScanMode.choices, required=False, help_text=(
        "full: read everything; incremental: skip what has not changed since the last read (never retires "
        "anything); auto (the default): GitHub reads incrementally when a full read is recent, AWS reads everything."))
    priority = serializers.ChoiceField(choices=RunPriority.choices, required=False, help_text=(
        "high: this discovery's jobs go before every waiting normal job (one high priority discovery per tenant "
        "at a time); normal (the default)."))
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False,
                                   help_text="Why (kept in the audit trail).")


class ControlRequestSerializer(serializers.Serializer):
    """Cancel and retry: why (kept in the audit trail) and, for a retry, its priority."""
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False)
    priority = serializers.ChoiceField(choices=RunPriority.choices, required=False)


class BackfillRequestSerializer(DiscoverRequestSerializer):
    """A backfill reads in full: no mode, and no other connections."""
    connections = None
    mode = None


class FactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fact
        fields = ["id", "connection", "kind", "external_id", "name", "account", "region", "attributes", "tags",
                  "provenance", "first_seen", "last_seen", "last_seen_run"]
