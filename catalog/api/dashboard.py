"""Read-only numbers for the console's director view: services per owner team by ownership status."""
from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Lifecycle, Service, Team

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
