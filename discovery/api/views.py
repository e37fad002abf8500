from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from discovery import runs, templates, workflow
from discovery.api.serializers import (
    ConnectionSerializer, DiscoverRequestSerializer, FactSerializer, RunDetailSerializer, RunSerializer,
)
from discovery.models import Connection, Fact, Run
from portal.workspaces.models import Workspace


def current_workspace(request) -> Workspace:
    slug = request.query_params.get("workspace")
    return get_object_or_404(Workspace, slug=slug) if slug else Workspace.default()


def _selection(data: dict) -> dict:
    return {key: data[key] for key in ("accounts", "regions", "kinds", "repos") if data.get(key)}


def _discover_response(result: dict) -> Response:
    body = {
        "runs": RunSerializer(result["runs"], many=True).data,
        "reconcile_run": RunSerializer(result["reconcile_run"]).data if result["reconcile_run"] else None,
        "already_active": RunSerializer(result["already_active"], many=True).data,
    }
    code = status.HTTP_202_ACCEPTED if result["runs"] or result["reconcile_run"] else status.HTTP_409_CONFLICT
    return Response(body, status=code)


class ConnectionViewSet(viewsets.ModelViewSet):
    serializer_class = ConnectionSerializer

    def get_queryset(self):
        return Connection.objects.filter(workspace=current_workspace(self.request))

    def perform_create(self, serializer):
        serializer.save(workspace=current_workspace(self.request))

    @extend_schema(request=DiscoverRequestSerializer, responses={202: RunSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def discover(self, request, pk=None):
        """Run discovery of this connection now (then reconcile the workspace)."""
        conn = self.get_object()
        payload = DiscoverRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            result = workflow.discover_workspace(conn.workspace, connection_ids=[conn.pk],
                                                 selection=_selection(payload.validated_data), trigger="api",
                                                 requested_by=request.user.get_username())
        return _discover_response(result)

    @extend_schema(responses={200: RunSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        """Run history of this connection, newest first."""
        conn = self.get_object()
        page = self.paginate_queryset(conn.runs.all())
        return self.get_paginated_response(RunSerializer(page, many=True).data)

    @extend_schema(responses={(200, "text/yaml"): str})
    @action(detail=True, methods=["get"], url_path="cloudformation-template")
    def cloudformation_template(self, request, pk=None):
        """The read-only IAM role template for this AWS connection, prefilled with its ExternalId."""
        conn = self.get_object()
        if conn.provider != "aws":
            return Response({"detail": "only AWS connections have a CloudFormation template"}, status=400)
        return HttpResponse(templates.cloudformation_template(conn), content_type="text/yaml")


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        qs = Run.objects.filter(workspace=current_workspace(self.request)).select_related("connection")
        for key in ("status", "kind", "connection"):
            if self.request.query_params.get(key):
                qs = qs.filter(**{key: self.request.query_params[key]})
        return qs

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    @extend_schema(request=None, responses={200: RunSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = self.get_object()
        if not runs.cancel_run(run, actor=request.user.get_username()):
            return Response({"detail": f"run is {run.status}; only queued or running runs can be cancelled"},
                            status=409)
        run.refresh_from_db()
        return Response(RunSerializer(run).data)


class DiscoveryViewSet(viewsets.ViewSet):
    """Workspace-wide "Discover now": every connection's scan, then reconcile, infer and index."""

    @extend_schema(request=DiscoverRequestSerializer, responses={202: RunSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def run(self, request):
        payload = DiscoverRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            result = workflow.discover_workspace(current_workspace(request),
                                                 connection_ids=payload.validated_data.get("connections"),
                                                 selection=_selection(payload.validated_data), trigger="api",
                                                 requested_by=request.user.get_username())
        return _discover_response(result)


class FactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FactSerializer

    def get_queryset(self):
        qs = Fact.objects.filter(workspace=current_workspace(self.request)).order_by("kind", "name")
        for key in ("kind", "connection", "account", "region"):
            if self.request.query_params.get(key):
                qs = qs.filter(**{key: self.request.query_params[key]})
        return qs
