"""Corrections through the API: PATCH on a service. The catalog's read-only ServiceViewSet, with the write
that belongs to ownership (stored corrections, applied at once, never overwritten by discovery)."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from catalog.api.serializers import ServiceDetailSerializer
from catalog.api.views import ServiceViewSet
from catalog.models import Service, Team
from ownership.api.serializers import CorrectionRequestSerializer
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
