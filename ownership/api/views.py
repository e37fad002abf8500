"""Corrections through the API: PATCH on a service. The catalog's read-only ServiceViewSet, with the write
that belongs to ownership (stored corrections, applied at once, never overwritten by discovery)."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import ServiceDetailSerializer
from catalog.api.views import ServiceViewSet
from catalog.models import Service, Team
from ownership import accuracy_trend, weights
from ownership.api.serializers import CorrectionRequestSerializer, WeightsResetSerializer, WeightsSerializer
from ownership.corrections import CorrectionError, correct

# API field -> the correction's field (ownership.corrections' vocabulary)
FIELDS = {"merge_into": "merge", "split": "split"}


class CorrectableServiceViewSet(ServiceViewSet):
    """The catalog. PATCH applies corrections: stored, applied at once, never overwritten by discovery."""

    http_method_names = ["get", "patch", "head", "options"]

    def get_serializer_class(self):
        return ServiceDetailSerializer if self.action == "partial_update" else super().get_serializer_class()

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
        user = request.user.get_username()
        results = []
        try:
            for key, value in data.items():
                results.append(correct(service, FIELDS.get(key, key), value, user=user, reason=reason))
                service = results[-1]["service"] if key != "split" else service
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


WEEK = inline_serializer("AccuracyWeek", fields={
    "week": serializers.DateField(help_text="Monday of the week services were first discovered"),
    "discovered": serializers.IntegerField(), "corrected": serializers.IntegerField(),
    "accuracy": serializers.FloatField(allow_null=True, help_text="null: nothing discovered that week"),
    "open": serializers.BooleanField(help_text="younger than the 7-day window: can still go down"),
})
SOURCE = inline_serializer("AccuracySource", fields={
    "source": serializers.CharField(), "discovered": serializers.IntegerField(),
    "corrected": serializers.IntegerField(), "accuracy": serializers.FloatField(allow_null=True),
})
TREND = inline_serializer("AccuracyTrend", fields={
    "window_days": serializers.IntegerField(), "weeks": serializers.ListField(child=WEEK),
    "sources": serializers.ListField(child=SOURCE),
})


class AccuracyTrendView(APIView):
    """Share of services not corrected within 7 days of their discovery, by week and by discovering source."""

    @extend_schema(responses={200: TREND},
                   parameters=[OpenApiParameter("weeks", int, description="how many weeks back (1-52, default 12)")])
    def get(self, request):
        try:
            weeks = int(request.query_params.get("weeks", 12))
        except ValueError:
            weeks = 0
        if not 1 <= weeks <= 52:
            return Response({"weeks": ["a whole number from 1 to 52"]}, status=400)
        return Response(accuracy_trend.trend(weeks))


class WeightsView(APIView):
    """The tenant's signal weights: effective, defaults, and how many corrections raised or lowered each."""


    @extend_schema(responses={200: WeightsSerializer})
    def get(self, request):
        return Response(weights.current().as_dict())


class WeightsResetView(APIView):
    """Set the tenant's signal weights back to their defaults (audited: who and why). Corrections stay."""


    @extend_schema(request=WeightsResetSerializer, responses={200: WeightsSerializer})
    def post(self, request):
        payload = WeightsResetSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        adapted = weights.reset(user=request.user.get_username(), reason=payload.validated_data["reason"])
        return Response(adapted.as_dict())
