"""Read-only numbers for the console's director view: services per owner team by ownership status, and
services by health (from their alarms) with the worst of them."""
from django.db.models import Case, Count, Value, When
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.choices import Health
from catalog.models import Lifecycle, Service, Team, Tier

STATUSES = ("owned", "ambiguous", "unowned")

TEAM_ROW = inline_serializer("OwnershipCoverageTeam", fields={
    "slug": serializers.CharField(allow_null=True, help_text="null: services with no owner team"),
    "name": serializers.CharField(),
    "total": serializers.IntegerField(),
    "owned": serializers.IntegerField(),
    "ambiguous": serializers.IntegerField(),
    "unowned": serializers.IntegerField(),
})
COVERAGE = inline_serializer("OwnershipCoverage", fields={
    "total": serializers.IntegerField(),
    "owned": serializers.IntegerField(),
    "ambiguous": serializers.IntegerField(),
    "unowned": serializers.IntegerField(),
    "teams": serializers.ListField(child=TEAM_ROW),
})


class OwnershipCoverageView(APIView):
    """Services (end-of-life left out, as in the catalog list) counted by owner team and ownership status."""

    @extend_schema(responses={200: COVERAGE})
    def get(self, request):
        rows = (Service.objects.filter(hidden=False).exclude(lifecycle=Lifecycle.EOL)
                .values("owner__slug", "ownership_status").annotate(n=Count("id")))
        names = dict(Team.objects.values_list("slug", "name"))
        teams: dict = {}
        totals = {"total": 0, **{s: 0 for s in STATUSES}}
        for row in rows:
            slug, status, n = row["owner__slug"], row["ownership_status"], row["n"]
            team = teams.setdefault(slug, {"slug": slug, "name": names.get(slug, "No owner") if slug else "No owner",
                                           "total": 0, **{s: 0 for s in STATUSES}})
            team["total"] += n
            totals["total"] += n
            if status in STATUSES:
                team[status] += n
                totals[status] += n
        ordered = sorted(teams.values(), key=lambda t: (-t["total"], t["name"]))
        return Response({**totals, "teams": ordered})


UNHEALTHY_ROW = inline_serializer("UnhealthyService", fields={
    "id": serializers.UUIDField(), "name": serializers.CharField(),
    "health": serializers.CharField(help_text="down or degraded"),
    "tier": serializers.CharField(), "lifecycle": serializers.CharField(),
    "team_slug": serializers.CharField(allow_null=True), "team_name": serializers.CharField(allow_null=True),
})
HEALTH = inline_serializer("HealthOverview", fields={
    "total": serializers.IntegerField(),
    **{h: serializers.IntegerField() for h in Health.values},
    "unhealthy": serializers.ListField(child=UNHEALTHY_ROW, help_text=(
        "the worst services first: down before degraded, critical tier first, then by name; at most 10")),
})
TOP = 10


class HealthOverviewView(APIView):
    """Services (end-of-life left out) counted by health, from their CloudWatch alarms; the worst ones listed."""

    @extend_schema(responses={200: HEALTH})
    def get(self, request):
        live = Service.objects.filter(hidden=False).exclude(lifecycle=Lifecycle.EOL)
        counts = dict(live.order_by().values_list("health").annotate(n=Count("id")))
        body = {h: counts.get(h, 0) for h in Health.values}
        body["total"] = sum(counts.values())
        worst = (live.filter(health__in=[Health.DOWN, Health.DEGRADED]).select_related("owner")
                 .order_by(_rank("health", [Health.DOWN, Health.DEGRADED]), _rank("tier", Tier.values), "name")[:TOP])
        body["unhealthy"] = [{"id": s.pk, "name": s.name, "health": s.health, "tier": s.tier, "lifecycle": s.lifecycle,
                              "team_slug": s.owner.slug if s.owner else None,
                              "team_name": s.owner.name if s.owner else None} for s in worst]
        return Response(body)


def _rank(field: str, order: list[str]) -> Case:
    """Sorts ``field`` in the order of ``order`` (values not listed last)."""
    return Case(*[When(**{field: v}, then=Value(i)) for i, v in enumerate(order)], default=Value(len(order)))
