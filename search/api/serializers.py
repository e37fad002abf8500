"""Search API parameters and response shape (the response serializers document the OpenAPI schema)."""
from rest_framework import serializers

from catalog.models import Lifecycle, Tier
from search.backends.base import FACETS, MAX_QUERY_CHARS

HEALTH = ("healthy", "degraded", "down", "unknown")
_CHOICES = {"lifecycle": tuple(Lifecycle.values), "tier": tuple(Tier.values), "health": HEALTH}


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_QUERY_CHARS,
                              trim_whitespace=False,
                              help_text="What was typed: words match as prefixes, typos are tolerated.")
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)
    team = serializers.CharField(required=False, help_text="Owner team slug(s), comma-separated (any of).")
    lifecycle = serializers.CharField(required=False, help_text="Comma-separated: " + ", ".join(Lifecycle.values))
    tier = serializers.CharField(required=False, help_text="Comma-separated: " + ", ".join(Tier.values))
    language = serializers.CharField(required=False, help_text="Language(s) of the tech stack, comma-separated.")
    health = serializers.CharField(required=False, help_text="Comma-separated: " + ", ".join(HEALTH))
    include_eol = serializers.BooleanField(required=False, default=False,
                                           help_text="Include end-of-life services (also implied by lifecycle=eol).")

    def validate(self, attrs):
        filters = {}
        for name in FACETS:
            values = tuple(v.strip().lower() for v in (attrs.get(name) or "").split(",") if v.strip())
            allowed = _CHOICES.get(name)
            bad = [v for v in values if allowed and v not in allowed]
            if bad:
                raise serializers.ValidationError(
                    {name: f"unknown value(s) {', '.join(bad)}; one of {', '.join(allowed)}"})
            if values:
                filters[name] = values
        attrs["filters"] = filters
        return attrs


def plain_params(query_params) -> dict | None:
    """The validated data of a plain keystroke request (q and an in-range limit, nothing else) without
    building a serializer, which costs more than the rest of the view; None for anything else."""
    if not set(query_params) <= {"q", "limit"}:
        return None
    q = query_params.get("q", "")
    limit = query_params.get("limit", "10")
    field = SearchParamsSerializer._declared_fields["limit"]
    if len(q) > MAX_QUERY_CHARS or not limit.isascii() or not limit.isdigit() or not (
            field.min_value <= int(limit) <= field.max_value):
        return None  # the serializer says what is wrong
    return {"q": q, "limit": int(limit), "filters": {}, "include_eol": False}


class MatchSpanSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Character offset in the field.")
    length = serializers.IntegerField()
    indices = serializers.ListField(child=serializers.IntegerField(), required=False,
                                    help_text="For list fields: the index of the matching item.")


class _HitSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Catalog id (service or team UUID, repository org/name).")
    type = serializers.ChoiceField(choices=["service", "team", "repository"])
    name = serializers.CharField()
    _matchesPosition = serializers.DictField(
        child=MatchSpanSerializer(many=True),
        help_text='Highlight positions per field, e.g. {"name": [{"start": 0, "length": 7}]}.')


class ServiceHitSerializer(_HitSerializer):
    display_name = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    entry_type = serializers.CharField()
    service_type = serializers.CharField()
    lifecycle = serializers.CharField()
    tier = serializers.CharField()
    team_name = serializers.CharField()
    team_slug = serializers.CharField()
    owner_confidence = serializers.FloatField()
    tech_stack = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    repo = serializers.CharField()
    repo_name = serializers.CharField()
    repo_url = serializers.CharField()
    health_status = serializers.CharField()
    aws_services = serializers.ListField(child=serializers.CharField())
    aws_regions = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    confidence_score = serializers.FloatField()
    updated_at = serializers.IntegerField(allow_null=True, help_text="Unix seconds.")


class TeamHitSerializer(_HitSerializer):
    display_name = serializers.CharField()
    description = serializers.CharField()
    github_org = serializers.CharField()
    members_count = serializers.IntegerField()
    services_count = serializers.IntegerField()
    updated_at = serializers.IntegerField(allow_null=True)


class RepositoryHitSerializer(_HitSerializer):
    repo_name = serializers.CharField()
    repo_url = serializers.CharField()
    description = serializers.CharField()
    services = serializers.ListField(child=serializers.CharField())
    team_name = serializers.CharField()
    team_slug = serializers.CharField()
    tech_stack = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.IntegerField(allow_null=True)


class FacetsSerializer(serializers.Serializer):
    lifecycle = serializers.DictField(child=serializers.IntegerField())
    tier = serializers.DictField(child=serializers.IntegerField())
    team = serializers.DictField(child=serializers.IntegerField())
    language = serializers.DictField(child=serializers.IntegerField())
    health = serializers.DictField(child=serializers.IntegerField())


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    hits = ServiceHitSerializer(many=True, help_text="Services, best first.")
    teams = TeamHitSerializer(many=True, help_text="Best matching teams (up to 5).")
    repositories = RepositoryHitSerializer(many=True, help_text="Best matching repositories (up to 5).")
    facets = FacetsSerializer(help_text="Counts of the matching services (filters applied) per value.")
    estimatedTotalHits = serializers.IntegerField()
    limit = serializers.IntegerField()
    backend = serializers.ChoiceField(choices=["postgres", "meilisearch"])
    cached = serializers.BooleanField()
    processingTimeMs = serializers.FloatField(help_text="Server-side time, cache lookup included.")
