from rest_framework import serializers

from notifications import events, targets
from notifications.models import Delivery, DeliveryAttempt, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    """The secret is never returned, except once: in the answer to the create and rotate-secret calls."""

    url = serializers.CharField(max_length=targets.MAX_URL_LENGTH, help_text=(
        "Where Roster POSTs events: https, a public host, no credentials (http and loopback only in local mode)."))
    events = serializers.ListField(child=serializers.ChoiceField(choices=events.ALL), allow_empty=False,
                                   required=False, help_text="Event types to send (default: all of them).")
    deliveries_url = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = ["id", "name", "url", "events", "active", "disabled_at", "disabled_reason", "consecutive_failures",
                  "failing_since", "created_by", "created_at", "updated_at", "deliveries_url"]
        read_only_fields = ["id", "disabled_at", "disabled_reason", "consecutive_failures", "failing_since",
                            "created_by", "created_at", "updated_at"]

    def get_deliveries_url(self, obj) -> str:
        return f"/api/v1/webhooks/subscriptions/{obj.pk}/deliveries/"

    def validate_url(self, value):
        try:
            return targets.check(value)
        except targets.TargetRefused as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_events(self, value):
        try:
            return events.clean_event_list(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_name(self, value):
        taken = Subscription.objects.filter(workspace=self.context["workspace"], name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("a subscription of this workspace already has this name")
        return value


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text=(
        "Signs every delivery (X-Roster-Signature). Shown this once: store it with the receiver."))

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True, help_text="The new secret, shown this once.")


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error", "succeeded"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "subscription", "event_id", "event_type", "status", "attempts", "next_attempt_at",
                  "retry_until", "last_status_code", "last_error", "created_at", "delivered_at"]


class DeliveryDetailSerializer(DeliverySerializer):
    """With the body sent (its ``payload``) and every attempt, newest first."""

    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload", "attempt_log"]
