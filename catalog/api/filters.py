"""Query filters of the catalog API (django-filter): a bad value is a 400 naming the parameter, never a 500."""
from django_filters import rest_framework as filters

from catalog.choices import Health, OwnershipStatus
from catalog.models import DiscoveryEvent, Lifecycle, Service, Tier


class ServiceFilterSet(filters.FilterSet):
    """End-of-life services are left out unless ``lifecycle=eol`` (or another lifecycle) or ``include_eol``."""

    team = filters.CharFilter(field_name="owner__slug", max_length=100, help_text="owner team slug")
    lifecycle = filters.ChoiceFilter(choices=Lifecycle.choices)
    tier = filters.ChoiceFilter(choices=Tier.choices)
    # icontains on the JSON text of the list: "python" matches ["Python", "Go"]
    language = filters.CharFilter(field_name="tech_stack", lookup_expr="icontains", max_length=100,
                                  help_text="a language of the tech stack")
    confidence_min = filters.NumberFilter(field_name="confidence", lookup_expr="gte")
    confidence_max = filters.NumberFilter(field_name="confidence", lookup_expr="lte")
    ownership_status = filters.ChoiceFilter(choices=OwnershipStatus.choices)
    health = filters.ChoiceFilter(choices=Health.choices, help_text="from the service's alarms")
    # jsonb containment (@>): one exact element of the list, never a substring ("prod" is not "preprod")
    environment = filters.CharFilter(method="filter_contains", max_length=100, help_text="one of its environments")
    source = filters.CharFilter(method="filter_contains", max_length=100,
                                help_text="a discovering source (aws.lambda.function, github_repo, ...)")
    include_eol = filters.BooleanFilter(method="filter_include_eol",
                                        help_text="eol services are left out unless asked for")
    # ?ordering=team or -confidence, the whole catalog sorted (not one page); a field not listed is a 400
    ordering = filters.OrderingFilter(fields=(
        ("name", "name"), ("owner__slug", "team"), ("ownership_status", "status"), ("confidence", "confidence"),
        ("lifecycle", "lifecycle"), ("tier", "tier"), ("repo", "repo"), ("last_seen_at", "last_seen")))

    class Meta:
        model = Service
        fields = ["team", "lifecycle", "tier", "language", "confidence_min", "confidence_max", "ownership_status",
                  "health", "environment", "source", "include_eol", "ordering"]

    # filter name -> the JSON list it looks in
    LISTS = {"environment": "environments", "source": "sources"}

    def filter_contains(self, queryset, name, value: str):
        return queryset.filter(**{f"{self.LISTS[name]}__contains": [value]}) if value else queryset

    def filter_include_eol(self, queryset, name, value: bool):
        return queryset  # applied in filter_queryset: it depends on lifecycle too

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not data.get("lifecycle") and not data.get("include_eol"):
            queryset = queryset.exclude(lifecycle=Lifecycle.EOL)
        if data.get("ordering"):  # a stable order across pages: ties by name
            queryset = queryset.order_by(*queryset.query.order_by, "name")
        return queryset


class DiscoveryEventFilterSet(filters.FilterSet):
    event_type = filters.ChoiceFilter(choices=DiscoveryEvent.Type.choices)
    run = filters.UUIDFilter(field_name="run")
    service = filters.UUIDFilter(field_name="service")

    class Meta:
        model = DiscoveryEvent
        fields = ["event_type", "run", "service"]
