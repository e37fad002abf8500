from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import (
    CorrectionRequestSerializer, DiscoveryEventSerializer, ServiceDetailSerializer, ServiceSerializer, TeamSerializer,
)
from catalog.models import DiscoveryEvent, Service, ServiceResource, Team
from ownership.corrections import CorrectionError, correct

SERVICE_FILTERS = [
    OpenApiParameter("team", str, description="owner team slug"),
    OpenApiParameter("lifecycle", str), OpenApiParameter("tier", str),
    OpenApiParameter("language", str, description="a language of the tech stack"),
    OpenApiParameter("confidence_min", float), OpenApiParameter("confidence_max", float),
    OpenApiParameter("ownership_status", str, description="owned | ambiguous | unowned"),
    OpenApiParameter("include_eol", bool, description="eol services are left out unless asked for"),
]


def filter_services(qs, params):
    if params.get("team"):
        qs = qs.filter(owner__slug=params["team"])
    if params.get("lifecycle"):
        qs = qs.filter(lifecycle=params["lifecycle"])
    elif params.get("include_eol") not in ("1", "true", "True"):
        qs = qs.exclude(lifecycle="eol")
    if params.get("tier"):
        qs = qs.filter(tier=params["tier"])
    if params.get("language"):
        qs = qs.filter(tech_stack__icontains=params["language"])
    if params.get("ownership_status"):
        qs = qs.filter(ownership_status=params["ownership_status"])
    if params.get("confidence_min"):
        qs = qs.filter(confidence__gte=float(params["confidence_min"]))
    if params.get("confidence_max"):
        qs = qs.filter(confidence__lte=float(params["confidence_max"]))
    return qs


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The catalog. PATCH applies corrections: stored, applied at once, never overwritten by discovery."""

    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        qs = Service.objects.filter(hidden=False).select_related("owner", "runner_up")
        if self.action == "list":
            qs = filter_services(qs, self.request.query_params)
        return qs

    def get_serializer_class(self):
        return ServiceDetailSerializer if self.action in ("retrieve", "partial_update") else ServiceSerializer

    @extend_schema(parameters=SERVICE_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CorrectionRequestSerializer, responses={200: ServiceDetailSerializer})
    def partial_update(self, request, pk=None):
        service = self.get_object()
        payload = CorrectionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        reason = data.pop("correction_reason", "")
        if "team_id" in data:
            team_id = data.pop("team_id")
            data["owner"] = get_object_or_404(Team, pk=team_id).slug if team_id else None
        field_map = {"merge_into": "merge", "split": "split"}
        user = request.user.get_username()
        results = []
        try:
            for key, value in data.items():
                results.append(correct(service, field_map.get(key, key), value, user=user, reason=reason))
                service = results[-1]["service"] if key not in ("split",) else service
        except CorrectionError as exc:
            return Response({"detail": str(exc)}, status=400)
        if not results:
            return Response({"detail": "nothing to correct"}, status=400)
        service = Service.objects.select_related("owner", "runner_up").get(pk=service.pk)
        body = ServiceDetailSerializer(service).data
        body["corrections"] = [{"id": r["correction"].pk, "field": r["correction"].field,
                                "propagated": r["propagated"]} for r in results]
        body["improved_similar_services"] = sum(r["propagated"] for r in results)
        return Response(body)

    @extend_schema(responses={200: DiscoveryEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        page = self.paginate_queryset(DiscoveryEvent.objects.filter(service_id=self.get_object().pk))
        return self.get_paginated_response(DiscoveryEventSerializer(page, many=True).data)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer

    def get_queryset(self):
        return Team.objects.annotate(service_count=Count("services", filter=Q(services__hidden=False)))

    @extend_schema(parameters=SERVICE_FILTERS, responses={200: ServiceSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def services(self, request, pk=None):
        team = self.get_object()
        qs = filter_services(Service.objects.filter(owner=team, hidden=False).select_related("owner"),
                             request.query_params)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ServiceSerializer(page, many=True).data)


class ResourceServiceView(APIView):
    """Which service owns this ARN?"""

    @extend_schema(parameters=[OpenApiParameter("arn", OpenApiTypes.STR, OpenApiParameter.PATH)],
                   responses={200: ServiceDetailSerializer})
    def get(self, request, arn: str):
        resource = ServiceResource.objects.filter(external_id=arn).select_related("service").first()
        if resource is None or resource.service.hidden:
            return Response({"detail": "no service claims this resource"}, status=404)
        return Response(ServiceDetailSerializer(resource.service).data)


class DiscoveryEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DiscoveryEventSerializer

    def get_queryset(self):
        qs = DiscoveryEvent.objects.all()
        for key in ("event_type", "run", "service"):
            if self.request.query_params.get(key):
                qs = qs.filter(**{key: self.request.query_params[key]})
        return qs
