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
