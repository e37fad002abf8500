from rest_framework import serializers

from freshness.models import GithubWebhook, InboundDelivery, Schedule


class ScheduleSerializer(serializers.ModelSerializer):
    connection_name = serializers.CharField(source="connection.name", read_only=True)
    provider = serializers.CharField(source="connection.provider", read_only=True)

    class Meta:
        model = Schedule
        fields = ["id", "connection", "connection_name", "provider", "incremental_every_hours", "full_every_hours",
                  "paused", "next_incremental_at", "next_full_at", "last_incremental_at", "last_full_at",
                  "last_run", "last_outcome", "updated_at"]
        read_only_fields = [f for f in fields if f not in ("incremental_every_hours", "full_every_hours", "paused")]

    def validate(self, attrs):
        inc = attrs.get("incremental_every_hours", getattr(self.instance, "incremental_every_hours", 6))
        full = attrs.get("full_every_hours", getattr(self.instance, "full_every_hours", 24))
        if full < inc:
            raise serializers.ValidationError({"full_every_hours": "a full read cannot come more often than an "
                                                                   "incremental one"})
        return attrs


class GithubWebhookSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Payload URL to give GitHub (content type application/json).")
    secret = serializers.SerializerMethodField(help_text="Only in the answer that created or rotated it.")

    class Meta:
        model = GithubWebhook
        fields = ["id", "connection", "url", "secret", "created_at", "rotated_at", "last_delivery_at"]
        read_only_fields = ["id", "created_at", "rotated_at", "last_delivery_at"]

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        path = f"/webhooks/github/{obj.connection_id}/"
        return request.build_absolute_uri(path) if request else path

    def get_secret(self, obj) -> str | None:
        return self.context.get("secret")


class InboundDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundDelivery
        fields = ["id", "connection", "delivery_id", "event", "action", "status", "detail", "plan", "run",
                  "attempts", "received_at", "applied_at"]
