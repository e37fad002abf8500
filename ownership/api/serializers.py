from rest_framework import serializers


class CorrectionRequestSerializer(serializers.Serializer):
    """Any subset; each field given becomes one stored correction."""

    team_id = serializers.UUIDField(required=False, allow_null=True, help_text="new owner team id (or use owner)")
    owner = serializers.CharField(required=False, allow_null=True, help_text="new owner team slug")
    repo = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="org/name or null")
    name = serializers.CharField(required=False)
    lifecycle = serializers.CharField(required=False)
    tier = serializers.CharField(required=False)
    not_a_service = serializers.BooleanField(required=False)
    merge_into = serializers.CharField(required=False, help_text="id or name of the service to merge this one into")
    split = serializers.DictField(required=False, help_text='{"name": ..., "resources": [ARN, ...]}')
    correction_reason = serializers.CharField(required=False, allow_blank=True, default="")


class WeightsResetSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="why the weights go back to their defaults (audited)")


class SignalCountsSerializer(serializers.Serializer):
    raised = serializers.IntegerField(help_text="corrections where this signal pointed at the team a person chose")
    lowered = serializers.IntegerField(help_text="corrections where this signal had chosen the owner a person replaced")


class WeightsSerializer(serializers.Serializer):
    """The tenant's signal weights (ownership.weights)."""

    weights = serializers.DictField(child=serializers.FloatField(), help_text="signal -> effective weight")
    defaults = serializers.DictField(child=serializers.FloatField(), help_text="signal -> default weight")
    counts = serializers.DictField(child=SignalCountsSerializer(), help_text="signal -> corrections that moved it")
    corrections = serializers.IntegerField(help_text="corrections that moved at least one weight")
    bounds = serializers.ListField(child=serializers.FloatField(), help_text="[low, high], times the default")
    step = serializers.FloatField(help_text="share of its default one net correction moves a weight by")
    reset_at = serializers.DateTimeField(allow_null=True, help_text="the latest reset; earlier corrections do not count")
