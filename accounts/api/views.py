"""Users and their roles, API tokens, the audit trail, and the tenant's own deletion: admin operations."""
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tokens
from accounts.api.filters import AuditEventFilterSet
from accounts.api.serializers import (
    AuditEventSerializer, TokenCreatedSerializer, TokenCreateSerializer, TokenSerializer, UserSerializer,
    UserUpdateSerializer,
)
from accounts.models import ApiToken, Profile
from accounts.roles import set_role
from audit.events import record
from audit.models import AuditEvent


REASON = serializers.CharField(max_length=500, allow_blank=True, required=False)  # no NUL: jsonb refuses it


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        """Who you are here: your role and teams."""
        return Response(UserSerializer(request.user).data)


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return get_user_model().objects.select_related("roster_profile").order_by("username")

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer})
    def partial_update(self, request, pk=None):
        """Change a user's role, teams or active flag (audited, with the reason)."""
        user = self.get_object()
        payload = UserUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        actor, reason = request.user.get_username(), data.get("reason", "")
        if user.pk == request.user.pk and (data.get("role") not in (None, "admin") or data.get("is_active") is False):
            return Response({"detail": "you cannot demote or deactivate yourself"}, status=400)
        with transaction.atomic():
            if "role" in data:
                set_role(user, data["role"], actor=actor, reason=reason)
            if "teams" in data:
                profile, _ = Profile.objects.get_or_create(user=user)
                profile.teams = sorted(set(data["teams"]))
                profile.save(update_fields=["teams", "updated_at"])
                record("user.teams_changed", actor=actor, obj=user, teams=profile.teams, reason=reason)
            if "is_active" in data and data["is_active"] != user.is_active:
                user.is_active = data["is_active"]
                user.save(update_fields=["is_active"])
                record("user.activated" if user.is_active else "user.deactivated", actor=actor, obj=user,
                       reason=reason)
        user = self.get_queryset().get(pk=user.pk)
        return Response(UserSerializer(user).data)


class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer

    def get_queryset(self):
        return ApiToken.objects.select_related("user")

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer})
    def create(self, request):
        """Issue a token for a user; the key is in this answer only."""
        payload = TokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = get_user_model().objects.filter(username=data["username"], is_active=True).first()
        if user is None:
            raise serializers.ValidationError({"username": "no active user of that name"})
        token, key = tokens.issue(user, name=data.get("name", ""), read_only=data["read_only"],
                                  expires_in_days=data.get("expires_in_days"), actor=request.user.get_username())
        body = TokenCreatedSerializer(token).data
        body["key"] = key
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Revoke (the record stays, for the audit trail)."""
        try:
            reason = REASON.run_validation(request.query_params.get("reason", ""))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"reason": exc.detail}) from None
        tokens.revoke(self.get_object(), actor=request.user.get_username(), reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.all()
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilterSet


class TenantDeleteRequestSerializer(serializers.Serializer):
    confirm = serializers.CharField(help_text="the tenant's name, typed again")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class TenantDeleteView(APIView):
    @extend_schema(request=TenantDeleteRequestSerializer, responses={200: None})
    def post(self, request):
        """Delete everything of this tenant: schema, search documents, cached data, secrets. Irreversible."""
        from portal.tenant_deletion import delete_tenant

        payload = TenantDeleteRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tenant = connection.tenant
        if payload.validated_data["confirm"] != tenant.name:
            return Response({"detail": "confirm must be the tenant's name"}, status=400)
        result = delete_tenant(tenant, actor=request.user.get_username(),
                               reason=payload.validated_data.get("reason", ""))
        return Response({"detail": f"tenant {result['tenant']} and all its data are deleted"})
