import json
import re
from collections.abc import Mapping

from django.core.handlers.asgi import ASGIRequest
from django.db import connection as db
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema, extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from discovery import audit, connection_config, progress, runs, templates, workflow
from discovery.choices import RunPriority, ScanMode
from discovery.api.filters import FactFilterSet, RunFilterSet
from discovery.api.serializers import (
    BackfillRequestSerializer, ConnectionSerializer, ControlRequestSerializer, DeadLetterSerializer,
    DiscoverRequestSerializer, FactSerializer, RunDetailSerializer, RunSerializer,
)
from discovery.models import Connection, Fact, Run
from portal.workspaces.models import Workspace

WORKSPACE_SLUG = re.compile(r"[-\w]{1,100}")


def current_workspace(request) -> Workspace:
    slug = request.query_params.get("workspace")
    if not slug:
        return Workspace.default()
    if not WORKSPACE_SLUG.fullmatch(slug):  # not a slug (a NUL byte would even fail the query): no such workspace
        raise NotFound("no such workspace")
    return get_object_or_404(Workspace, slug=slug)


def _selection(data: dict) -> dict:
    return {key: data[key] for key in ("accounts", "regions", "kinds", "repos") if data.get(key)}


# What "discover" answers: 202 when something was queued, 409 when every selection was being scanned already.
DISCOVER_RESPONSE = inline_serializer("DiscoverResponse", fields={
    "runs": RunSerializer(many=True),
    "reconcile_run": RunSerializer(allow_null=True),
    "already_active": RunSerializer(many=True),
})
DISCOVER_RESPONSES = {202: DISCOVER_RESPONSE, 409: OpenApiResponse(DISCOVER_RESPONSE, description="already running")}
# A retry also answers 409 when the run has no dead-lettered job left: a message, not a discover answer.
RETRY_RESPONSES = {202: DISCOVER_RESPONSE, 409: OpenApiResponse(PolymorphicProxySerializer(
    component_name="RetryConflict", resource_type_field_name=None, serializers=[
        DISCOVER_RESPONSE, inline_serializer("NothingToRetry", fields={"detail": serializers.CharField()})]),
    description="already running, or nothing left to retry")}


def _queue(request, workspace, payload: dict, **options) -> Response:
    """Queue a discovery (``workflow.discover_workspace`` or another entry of workflow) from a validated request;
    409 when a high priority one is already active."""
    start = options.pop("start", workflow.discover_workspace)
    try:
        with transaction.atomic():
            result = start(workspace, selection=_selection(payload), trigger=options.pop("trigger", "api"),
                           requested_by=request.user.get_username(), reason=payload.get("reason", ""),
                           priority=payload.get("priority", RunPriority.NORMAL), **options)
    except workflow.PriorityBusy as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return _discover_response(result)


# One Server-Sent Event of a run's stream (each field optional, as SSE has them).
RUN_EVENT = inline_serializer("RunEvent", fields={
    "event": serializers.ChoiceField(choices=["run", "end"], required=False),
    "data": serializers.CharField(required=False, help_text=(
        "JSON: the run (event `run`), or {reason: finished|reconnect|gone, status} (event `end`)")),
    "id": serializers.CharField(required=False),
    "retry": serializers.IntegerField(required=False, help_text="milliseconds before the browser reconnects"),
})


class EventStreamRenderer(BaseRenderer):
    """Lets DRF accept ``Accept: text/event-stream`` (EventSource); the stream itself bypasses rendering, and an
    error (404, 403) is rendered as JSON."""
    media_type = "text/event-stream"
    format = "event-stream"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


def _run_snapshot(run_id):
    run = Run.objects.select_related("connection").prefetch_related("jobs").filter(pk=run_id).first()
    return None if run is None else RunDetailSerializer(run).data


def _discover_response(result: dict) -> Response:
    body = {
        "runs": RunSerializer(result["runs"], many=True).data,
        "reconcile_run": RunSerializer(result["reconcile_run"]).data if result["reconcile_run"] else None,
        "already_active": RunSerializer(result["already_active"], many=True).data,
    }
    code = status.HTTP_202_ACCEPTED if result["runs"] or result["reconcile_run"] else status.HTTP_409_CONFLICT
    return Response(body, status=code)


REASON = OpenApiParameter("reason", str, description=(
    "Why (kept with the change in the audit trail). A `reason` field of the request body works too."))
_REASON_FIELD = serializers.CharField(max_length=500, allow_blank=True, required=False)


@extend_schema_view(create=extend_schema(parameters=[REASON]), update=extend_schema(parameters=[REASON]),
                    partial_update=extend_schema(parameters=[REASON]), destroy=extend_schema(parameters=[REASON]))
class ConnectionViewSet(viewsets.ModelViewSet):
    """Creating, changing (its secret too) and deleting a connection is audited: discovery.audit."""

    serializer_class = ConnectionSerializer
    queryset = Connection.objects.none()  # the model, for the API schema; get_queryset picks the workspace

    def get_queryset(self):
        return Connection.objects.filter(workspace=current_workspace(self.request))

    def get_serializer(self, *args, **kwargs):
        data = kwargs.get("data")
        if isinstance(data, Mapping):
            problems = {key: [problem] for key in ("config", "secret")
                        if key in data and (problem := connection_config.storable_problem(data[key]))}
            if problems:
                raise serializers.ValidationError(problems)
            if "reason" in data:
                # The reason belongs to the audit trail, not to the connection: the serializer never sees it.
                data = data.copy()
                data.pop("reason")
                kwargs["data"] = data
        return super().get_serializer(*args, **kwargs)

    def audit_reason(self) -> str:
        """The ``reason`` query parameter, else the body's ``reason`` field; "" when neither is given."""
        value = self.request.query_params.get("reason")
        data = self.request.data
        if not value and isinstance(data, Mapping):
            value = data.get("reason")
        if value in (None, ""):
            return ""
        try:
            return _REASON_FIELD.run_validation(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"reason": exc.detail}) from None

    def _actor(self) -> str:
        return self.request.user.get_username()

    def perform_create(self, serializer):
        reason = self.audit_reason()
        with transaction.atomic():
            conn = serializer.save(workspace=current_workspace(self.request))
            audit.connection_saved(conn, None, actor=self._actor(), reason=reason)

    def perform_update(self, serializer):
        reason = self.audit_reason()
        before = audit.snapshot(serializer.instance)
        with transaction.atomic():
            conn = serializer.save()
            audit.connection_saved(conn, before, actor=self._actor(), reason=reason)

    def perform_destroy(self, instance):
        reason = self.audit_reason()
        with transaction.atomic():
            audit.connection_deleted(instance, actor=self._actor(), reason=reason)
            instance.delete()

    @extend_schema(request=DiscoverRequestSerializer, responses=DISCOVER_RESPONSES)
    @action(detail=True, methods=["post"])
    def discover(self, request, pk=None):
        """Run discovery of this connection now (then reconcile the workspace)."""
        conn = self.get_object()
        payload = DiscoverRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return _queue(request, conn.workspace, payload.validated_data, connection_ids=[conn.pk],
                      scan_mode=payload.validated_data.get("mode", ScanMode.AUTO))

    @extend_schema(request=BackfillRequestSerializer, responses=DISCOVER_RESPONSES)
    @action(detail=True, methods=["post"])
    def backfill(self, request, pk=None):
        """Read this connection's selection (all of it when none is given) again in full, whatever its schedule:
        after an outage, a fixed permission or an upgrade. Audited (``connection.backfill``) with who and why."""
        conn = self.get_object()
        payload = BackfillRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return _queue(request, conn, payload.validated_data, start=workflow.backfill)

    @extend_schema(responses={200: RunSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        """Run history of this connection, newest first."""
        conn = self.get_object()
        page = self.paginate_queryset(conn.runs.all())
        return self.get_paginated_response(RunSerializer(page, many=True).data)

    @extend_schema(responses={(200, "text/yaml"): OpenApiResponse(OpenApiTypes.OBJECT, description=(
        "a CloudFormation template (YAML)"))})
    @action(detail=True, methods=["get"], url_path="cloudformation-template")
    def cloudformation_template(self, request, pk=None):
        """The read-only IAM role template for this AWS connection, prefilled with its ExternalId."""
        conn = self.get_object()
        if conn.provider != "aws":
            return Response({"detail": "only AWS connections have a CloudFormation template"}, status=400)
        return HttpResponse(templates.cloudformation_template(conn), content_type="text/yaml")


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Run.objects.none()  # the model, for the API schema; get_queryset picks the workspace
    filter_backends = [DjangoFilterBackend]
    filterset_class = RunFilterSet

    def get_queryset(self):
        return Run.objects.filter(workspace=current_workspace(self.request)).select_related("connection")

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    @extend_schema(request=ControlRequestSerializer, responses={200: RunSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued or running run: its queued jobs never start, its running jobs stop at their next
        batch. Audited (``run.cancelled``) with who and why."""
        run = self.get_object()
        payload = ControlRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not runs.cancel_run(run, actor=request.user.get_username(), reason=payload.validated_data.get("reason", "")):
            return Response({"detail": f"run is {run.status}; only queued or running runs can be cancelled"},
                            status=409)
        run.refresh_from_db()
        return Response(RunSerializer(run).data)

    @extend_schema(responses={(200, "text/event-stream"): OpenApiResponse(RUN_EVENT, description=(
        "Server-Sent Events: `run` (the run as GET /runs/<id>/ answers it) now and at every change, then `end` "
        "when the run is over or after ROSTER_RUN_STREAM_SECONDS (reconnect)."))})
    @action(detail=True, methods=["get"], renderer_classes=[EventStreamRenderer, JSONRenderer], filterset_class=None)
    def events(self, request, pk=None):
        """The run's live progress, streamed while it runs (the console's Runs page). Answered on the event loop
        of the ASGI server: an open stream holds no web worker."""
        run = self.get_object()
        # Under a WSGI server a stream would hold a worker thread: there it sends the state once and ends, and
        # EventSource comes back after its retry delay (polling, in effect).
        if isinstance(request._request, ASGIRequest):
            body = progress.stream(db.schema_name, run.pk, _run_snapshot)
        else:
            body = progress.once(run.pk, _run_snapshot)
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # a proxy (nginx) must not hold the events back
        return response

    @extend_schema(responses={200: DeadLetterSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="dead-letters", filterset_class=None)
    def dead_letters(self, request):
        """Jobs the watchdog gave up on (their worker died on every attempt) and nobody retried yet."""
        jobs = runs.dead_letters().filter(run__workspace=current_workspace(request)).select_related(
            "run__connection")
        page = self.paginate_queryset(jobs)
        return self.get_paginated_response(DeadLetterSerializer(page, many=True).data)

    @extend_schema(request=ControlRequestSerializer, responses=RETRY_RESPONSES)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Scan again what this run's failed jobs covered, dead letters among them (a new run, then reconcile).
        Audited (``run.retried``) with who and why."""
        run = self.get_object()
        payload = ControlRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                result = workflow.retry_failed(run, trigger="retry", requested_by=request.user.get_username(),
                                               reason=payload.validated_data.get("reason", ""),
                                               priority=payload.validated_data.get("priority", RunPriority.NORMAL))
        except workflow.PriorityBusy as exc:
            return Response({"detail": str(exc)}, status=409)
        if result is None:
            return Response({"detail": "this run has no failed jobs left to retry"}, status=409)
        return _discover_response(result)


class DiscoveryViewSet(viewsets.ViewSet):
    """Workspace-wide "Discover now": every connection's scan, then reconcile, infer and index."""

    @extend_schema(request=DiscoverRequestSerializer, responses=DISCOVER_RESPONSES)
    @action(detail=False, methods=["post"])
    def run(self, request):
        payload = DiscoverRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return _queue(request, current_workspace(request), payload.validated_data,
                      connection_ids=payload.validated_data.get("connections"),
                      scan_mode=payload.validated_data.get("mode", ScanMode.AUTO))


class FactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FactSerializer
    queryset = Fact.objects.none()  # the model, for the API schema; get_queryset picks the workspace
    filter_backends = [DjangoFilterBackend]
    filterset_class = FactFilterSet

    def get_queryset(self):
        return Fact.objects.filter(workspace=current_workspace(self.request)).order_by("kind", "name")
