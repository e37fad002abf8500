"""The routing API: whom to page for a service, an ARN or a team (viewers), and editors' confirmations and
corrections of a team's routing fields. Thin: answers from oncall.routing through oncall.cache, changes through
oncall.routing_fields."""
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Service, ServiceResource, Team
from oncall import cache, routing, routing_fields
from oncall.api.serializers import (
    ResourceRoutingSerializer, RoutingSerializer, TeamRoutingAnswerSerializer, TeamRoutingRequestSerializer,
)

NOT_FOUND = {"service": "no such service", "resource": "no service claims this resource", "team": "no such team"}
MAX_ARN = 512  # ServiceResource.external_id's length


def _could_be_arn(arn: str) -> bool:
    """What no stored external id can be (too long, control characters, NUL) is not looked up at all."""
    return len(arn) <= MAX_ARN and arn.isprintable()


def _answer(kind: str, ident: str, compute):
    """The answer's JSON as cached (no renderer: JSON only, served as stored), or a 404."""
    body, hit = cache.answer(kind, ident, compute)
    if body is None:
        return Response({"detail": NOT_FOUND[kind]}, status=404)
    response = HttpResponse(body, content_type="application/json")
    response["X-Roster-Cache"] = "hit" if hit else "miss"
    return response


class ServiceRoutingView(APIView):
    """Whom to page for this service: owner team, Slack channel, who is on call now and the next handover."""

    @extend_schema(responses={200: RoutingSerializer})
    def get(self, request, pk):
        def compute():
            service = Service.objects.filter(pk=pk, hidden=False).select_related("owner").first()
            return routing.for_service(service) if service else None

        return _answer("service", str(pk), compute)


class ResourceRoutingView(APIView):
    """Whom to page for this AWS resource (an ARN, as catalog's resources/{arn}/service takes it)."""

    @extend_schema(parameters=[OpenApiParameter("arn", OpenApiTypes.STR, OpenApiParameter.PATH)],
                   responses={200: ResourceRoutingSerializer})
    def get(self, request, arn: str):
        def compute():
            if not _could_be_arn(arn):
                return None
            resource = (ServiceResource.objects.filter(external_id=arn).select_related("service__owner").first())
            if resource is None or resource.service.hidden:
                return None
            return {**routing.for_service(resource.service),
                    "resource": {"arn": resource.external_id, "type": resource.kind, "name": resource.name}}

        return _answer("resource", arn, compute)


class TeamRoutingView(APIView):
    """A team's routing answer (GET); editors confirm or correct its routing fields (PATCH, audited)."""

    @extend_schema(responses={200: RoutingSerializer})
    def get(self, request, pk):
        def compute():
            team = Team.objects.filter(pk=pk).first()
            return routing.for_team(team) if team else None

        return _answer("team", str(pk), compute)

    @extend_schema(request=TeamRoutingRequestSerializer, responses={200: TeamRoutingAnswerSerializer})
    def patch(self, request, pk):
        team = get_object_or_404(Team, pk=pk)
        payload = TeamRoutingRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        confirm, reason = data.pop("confirm", []), data.pop("reason", "")
        try:
            team = routing_fields.change(team, data, confirm=confirm, user=request.user.get_username(),
                                         reason=reason)
        except routing_fields.RoutingError as exc:
            return Response(exc.errors, status=400)
        return Response({**routing.for_team(team), "routing_sources": team.routing_sources})
