from django.db.models import Count, Q
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.facets import FacetedPagination, facet_counts, wants_facets
from catalog.api.filters import DiscoveryEventFilterSet, ServiceFilterSet
from catalog.choices import Health, OwnershipStatus
from catalog.api.serializers import (
    DiscoveryEventSerializer, ServiceDetailSerializer, ServiceSerializer, TeamSerializer,
)
from catalog.models import DiscoveryEvent, Lifecycle, Service, ServiceResource, Team, Tier

# ServiceFilterSet's parameters, for the team's services (a Team view: the filter backend documents the
# list of services itself).
SERVICE_FILTERS = [
    OpenApiParameter("team", str, description="owner team slug"),
    OpenApiParameter("lifecycle", str, enum=Lifecycle.values),
    OpenApiParameter("tier", str, enum=Tier.values),
    OpenApiParameter("language", str, description="a language of the tech stack"),
    OpenApiParameter("confidence_min", float), OpenApiParameter("confidence_max", float),
    OpenApiParameter("ownership_status", str, enum=OwnershipStatus.values),
    OpenApiParameter("health", str, enum=Health.values),
    OpenApiParameter("environment", str, description="one of its environments"),
    OpenApiParameter("source", str, description="a discovering source"),
    OpenApiParameter("include_eol", bool, description="eol services are left out unless asked for"),
]


def filter_services(qs, request):
    """``qs`` filtered by the request's ServiceFilterSet parameters; a bad value is a 400."""
    filterset = ServiceFilterSet(request.query_params, queryset=qs, request=request)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset.qs


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The catalog, read-only here; ``ownership.api`` serves it with corrections (PATCH)."""

    http_method_names = ["get", "head", "options"]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ServiceFilterSet
    pagination_class = FacetedPagination

    def get_queryset(self):
        return Service.objects.filter(hidden=False).select_related("owner", "runner_up")

    @extend_schema(parameters=[OpenApiParameter("facets", bool, description=(
        "also count the services per value of each filter (team, lifecycle, tier, language, ownership status, "
        "health, environment, source), every other filter applied"))])
    def list(self, request, *args, **kwargs):
        facets = wants_facets(request.query_params)
        response = super().list(request, *args, **kwargs)
        if facets:  # after the list: its filters are valid by now
            response.data["facets"] = facet_counts(self.get_queryset(), request.query_params, request)
        return response

    def filter_queryset(self, queryset):
        # The list only: a service's page, its corrections and its events find end-of-life services too.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        return ServiceDetailSerializer if self.action == "retrieve" else ServiceSerializer

    @extend_schema(responses={200: DiscoveryEventSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        page = self.paginate_queryset(DiscoveryEvent.objects.filter(service_id=self.get_object().pk))
        return self.get_paginated_response(DiscoveryEventSerializer(page, many=True).data)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer

    def get_queryset(self):
        return Team.objects.select_related("parent").annotate(
            service_count=Count("services", filter=Q(services__hidden=False)))

    @extend_schema(parameters=SERVICE_FILTERS, responses={200: ServiceSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def services(self, request, pk=None):
        team = self.get_object()
        qs = filter_services(Service.objects.filter(owner=team, hidden=False).select_related("owner"), request)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ServiceSerializer(page, many=True).data)


class ResourceServiceView(APIView):
    """Which service owns this ARN?"""

    @extend_schema(parameters=[OpenApiParameter("arn", OpenApiTypes.STR, OpenApiParameter.PATH)],
                   responses={200: ServiceDetailSerializer})
    def get(self, request, arn: str):
        if len(arn) > 512 or not arn.isprintable():  # no ARN is longer, and a NUL byte would fail the query
            return Response({"detail": "no service claims this resource"}, status=404)
        resource = ServiceResource.objects.filter(external_id=arn).select_related("service").first()
        if resource is None or resource.service.hidden:
            return Response({"detail": "no service claims this resource"}, status=404)
        return Response(ServiceDetailSerializer(resource.service).data)


class DiscoveryEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DiscoveryEventSerializer
    queryset = DiscoveryEvent.objects.all()
    filter_backends = [DjangoFilterBackend]
    filterset_class = DiscoveryEventFilterSet
