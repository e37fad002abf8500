import uuid

from rest_framework import serializers

from discovery.models import Connection, Fact, Job, Run


class ConnectionSerializer(serializers.ModelSerializer):
    """Secrets are write-only: accepted on create/update, never returned."""

    secret = serializers.DictField(write_only=True, required=False, help_text=(
        "GitHub: {\"token\": ...} or {\"private_key\": PEM}; AWS (optional base identity): "
        "{\"access_key_id\", \"secret_access_key\"}. Encrypted at rest, never returned."))
    has_secret = serializers.BooleanField(read_only=True)
    cloudformation_template_url = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = ["id", "provider", "name", "config", "enabled", "has_secret", "secret", "created_at", "updated_at",
                  "cloudformation_template_url"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_cloudformation_template_url(self, obj) -> str | None:
        return f"/api/v1/connections/{obj.pk}/cloudformation-template/" if obj.provider == "aws" else None

    def validate(self, attrs):
        provider = attrs.get("provider") or getattr(self.instance, "provider", None)
        config = dict(attrs.get("config") or getattr(self.instance, "config", {}) or {})
        if provider == "aws":
            account = str(config.get("account_id", ""))
            if not (account.isdigit() and len(account) == 12):
                raise serializers.ValidationError({"config": "account_id must be a 12-digit AWS account id"})
            if not str(config.get("role_arn", "")).startswith("arn:aws"):
                raise serializers.ValidationError({"config": "role_arn must be an IAM role ARN"})
            config.setdefault("regions", ["us-east-1"])
            # The ExternalId is ours to generate (confused-deputy protection), never the caller's.
            config["external_id"] = (getattr(self.instance, "config", None) or {}).get("external_id") or str(uuid.uuid4())
        elif provider == "github":
            if not config.get("org"):
                raise serializers.ValidationError({"config": "org is required"})
        attrs["config"] = config
        return attrs

    def create(self, validated_data):
        secret = validated_data.pop("secret", None)
        conn = Connection(**validated_data)
        conn.set_secret(secret)
        conn.save()
        return conn

    def update(self, instance, validated_data):
        secret = validated_data.pop("secret", None)
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


class RunSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = Run
        fields = ["id", "kind", "connection", "status", "trigger", "requested_by", "group_id", "selection",
                  "selection_hash", "full_scan", "total", "processed", "succeeded", "failed", "skipped", "stats",
                  "failures", "warnings", "created_at", "started_at", "finished_at", "duration_seconds"]


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


class FactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fact
        fields = ["id", "connection", "kind", "external_id", "name", "account", "region", "attributes", "tags",
                  "provenance", "first_seen", "last_seen", "last_seen_run"]
