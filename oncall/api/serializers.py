"""The routing API's request and answer shapes (documentation for the OpenAPI schema; the answers are
oncall.routing's dicts as they are)."""
from rest_framework import serializers

from oncall.routing_fields import FIELDS


class TeamRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()


class OnCallPersonSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    provider = serializers.CharField(help_text="pagerduty or opsgenie")
    schedule = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True, help_text="the end of their shift (the next handover)")


class NextOnCallSerializer(OnCallPersonSerializer):
    from_ = serializers.DateTimeField(help_text="when their shift starts")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class EscalationPolicySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    provider = serializers.CharField()
    levels = serializers.ListField(child=serializers.DictField())


class CandidateSerializer(serializers.Serializer):
    team = TeamRefSerializer()
    score = serializers.FloatField(allow_null=True)
    slack_channel = serializers.CharField(allow_null=True)
    contact_email = serializers.CharField(allow_null=True)


class ServiceRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ResourceRefSerializer(serializers.Serializer):
    arn = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()


class RoutingSerializer(serializers.Serializer):
    """Whom to page (oncall.routing): the owner team, how to reach it, who is on call now and next."""

    service = ServiceRefSerializer(allow_null=True)
    team = TeamRefSerializer(allow_null=True)
    ownership_status = serializers.CharField(allow_null=True, help_text="owned | ambiguous | unowned; null for a team")
    owner_confidence = serializers.FloatField(allow_null=True)
    slack_channel = serializers.CharField(allow_null=True)
    contact_email = serializers.CharField(allow_null=True)
    oncall = OnCallPersonSerializer(many=True)
    next_handover_at = serializers.DateTimeField(allow_null=True)
    next_oncall = NextOnCallSerializer(many=True)
    escalation_policy = EscalationPolicySerializer(allow_null=True)
    candidates = CandidateSerializer(many=True, help_text="ambiguous or unowned services: the teams that may own it")
    as_of = serializers.DateTimeField(allow_null=True, help_text="when the on-call data was read")


class ResourceRoutingSerializer(RoutingSerializer):
    resource = ResourceRefSerializer()


class TeamRoutingAnswerSerializer(RoutingSerializer):
    routing_sources = serializers.DictField(help_text="per field: suggested, confirmed or corrected, by whom, when")


class TeamRoutingRequestSerializer(serializers.Serializer):
    """Set or confirm a team's routing fields. A value equal to the current one confirms it; another corrects it
    (an empty string clears it, and it stays clear: suggestions never fill a field a person set)."""

    slack_channel = serializers.CharField(required=False, allow_blank=True, max_length=100, trim_whitespace=True)
    pagerduty_schedule_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    opsgenie_team_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    contact_email = serializers.CharField(required=False, allow_blank=True, max_length=300)
    confirm = serializers.ListField(child=serializers.ChoiceField(choices=FIELDS), required=False, max_length=4,
                                    help_text="fields whose current (suggested) value is right")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
