"""Query filters of the discovery API (django-filter): a bad value is a 400 naming the parameter, never a 500."""
from django_filters import rest_framework as filters

from discovery.models import Fact, Run, RunStatus


class RunFilterSet(filters.FilterSet):
    status = filters.ChoiceFilter(choices=RunStatus.choices)
    kind = filters.ChoiceFilter(choices=Run.Kind.choices)
    connection = filters.UUIDFilter(field_name="connection", help_text="connection id")

    class Meta:
        model = Run
        fields = ["status", "kind", "connection"]


class FactFilterSet(filters.FilterSet):
    kind = filters.CharFilter(max_length=64, help_text="fact kind")
    connection = filters.UUIDFilter(field_name="connection", help_text="connection id")
    account = filters.CharFilter(max_length=64)
    region = filters.CharFilter(max_length=32)

    class Meta:
        model = Fact
        fields = ["kind", "connection", "account", "region"]
