"""Query filters of the audit trail API (django-filter): a bad value is a 400 naming the parameter, never a 500."""
from django_filters import rest_framework as filters

from audit.models import AuditEvent


class AuditEventFilterSet(filters.FilterSet):
    action = filters.CharFilter(max_length=150, help_text="e.g. connection.updated, token.revoked")
    actor = filters.CharFilter(max_length=150, help_text="username, or system / worker")
    object_type = filters.CharFilter(max_length=150, help_text="e.g. connection, user, apitoken")
    object_id = filters.CharFilter(max_length=150)

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "object_type", "object_id"]
