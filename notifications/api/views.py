"""The webhooks API (admins only, accounts.policy): subscriptions, their deliveries, retries and pings.
Thin: the rules live in notifications.subscriptions and notifications.delivery."""
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from discovery.api.views import current_workspace
from notifications import delivery, events, subscriptions, tasks
from notifications.api.serializers import (
    DeliveryDetailSerializer, DeliverySerializer, SecretSerializer, SubscriptionCreatedSerializer,
    SubscriptionSerializer,
)
from notifications.models import Delivery, Subscription

REASON = OpenApiParameter("reason", str, description="Why (kept with the change in the audit trail).")
_REASON_FIELD = serializers.CharField(max_length=500, allow_blank=True, required=False)
STATUSES, EVENT_TYPES = [s.value for s in Delivery.Status], [*events.ALL, events.PING]
DELIVERY_FILTERS = [
    OpenApiParameter("status", str, enum=STATUSES, description="Only deliveries in this status."),
    OpenApiParameter("event_type", str, enum=EVENT_TYPES, description="Only this event's deliveries."),
]
CONFLICT = OpenApiResponse(description="not possible now (the message says why)")


def _reason(request) -> str:
    value = request.query_params.get("reason")
    if not value and isinstance(request.data, Mapping):
        value = request.data.get("reason")
    if value in (None, ""):
        return ""
    try:
        return _REASON_FIELD.run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({"reason": exc.detail}) from None


def _name_taken() -> serializers.ValidationError:
    return serializers.ValidationError({"name": ["a subscription of this workspace already has this name"]})


@extend_schema_view(create=extend_schema(parameters=[REASON], responses={201: SubscriptionCreatedSerializer}),
                    update=extend_schema(parameters=[REASON]), partial_update=extend_schema(parameters=[REASON]),
                    destroy=extend_schema(parameters=[REASON]))
class SubscriptionViewSet(viewsets.ModelViewSet):
    """Webhook subscriptions of the workspace (``?workspace=<slug>``, else the default one)."""

    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()  # the model, for the API schema; get_queryset picks the workspace

    def get_queryset(self):
        return Subscription.objects.filter(workspace=current_workspace(self.request))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "workspace": current_workspace(self.request)}

    def _actor(self) -> str:
        return self.request.user.get_username()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, reason = serializer.validated_data, _reason(request)
        sub = Subscription(workspace=current_workspace(request), name=data["name"], url=data["url"],
                           events=data.get("events"), active=data.get("active", True))
        try:
            secret = subscriptions.create(sub, actor=self._actor(), reason=reason)
        except IntegrityError:  # the same name, saved by someone else just now
            raise _name_taken() from None
        return Response({**SubscriptionSerializer(sub).data, "secret": secret}, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        reason = _reason(self.request)
        try:
            subscriptions.update(serializer.instance, serializer.validated_data, actor=self._actor(), reason=reason)
        except IntegrityError:
            raise _name_taken() from None

    def perform_destroy(self, instance):
        subscriptions.delete(instance, actor=self._actor(), reason=_reason(self.request))

    @extend_schema(request=None, parameters=[REASON], responses={200: SecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret, shown this once; the old one stops working now."""
        sub = self.get_object()
        return Response({"secret": subscriptions.rotate_secret(sub, actor=self._actor(), reason=_reason(request))})

    @extend_schema(parameters=DELIVERY_FILTERS, responses={200: DeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """This subscription's deliveries, newest first."""
        sub = self.get_object()
        found = sub.deliveries.all()
        for name, choices in (("status", STATUSES), ("event_type", EVENT_TYPES)):
            value = request.query_params.get(name)
            if value is not None:
                if value not in choices:
                    raise serializers.ValidationError({name: [f"one of: {', '.join(choices)}"]})
                found = found.filter(**{name: value})
        page = self.paginate_queryset(found)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a ``ping`` event now (logged and retried like any delivery)."""
        sub = self.get_object()
        if not sub.active:
            return Response({"detail": "the subscription is turned off; turn it on (active) first"}, status=409)
        with transaction.atomic():
            ping = subscriptions.ping(sub)
            tasks.deliver_on_commit([ping.pk])
        return Response(DeliverySerializer(ping).data, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One delivery, with its body and attempts; retried by hand."""

    serializer_class = DeliveryDetailSerializer
    queryset = Delivery.objects.none()  # the model, for the API schema; get_queryset picks the workspace

    def get_queryset(self):
        return (Delivery.objects.filter(subscription__workspace=current_workspace(self.request))
                .select_related("subscription").prefetch_related("attempt_log"))

    @extend_schema(request=None, responses={202: DeliverySerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send this delivery again now, with a fresh retry window (a succeeded one too)."""
        found = self.get_object()
        try:
            with transaction.atomic():
                again = delivery.retry(found, actor=request.user.get_username())
                tasks.deliver_on_commit([again.pk])
        except delivery.RetryRefused as exc:
            return Response({"detail": str(exc)}, status=409)
        return Response(DeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
