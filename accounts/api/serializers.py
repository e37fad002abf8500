from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import ApiToken
from accounts.roles import Role, role_of
from audit.models import AuditEvent


class UserSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()
    github_login = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_active", "role", "teams", "github_login",
                  "last_login", "date_joined"]
        read_only_fields = fields

    def get_role(self, user) -> str | None:
        return role_of(user)

    def _profile(self, user):
        return getattr(user, "roster_profile", None)

    def get_teams(self, user) -> list[str]:
        profile = self._profile(user)
        return list(profile.teams) if profile else []

    def get_github_login(self, user) -> str:
        profile = self._profile(user)
        return profile.github_login if profile else ""


class UserUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    teams = serializers.ListField(child=serializers.SlugField(max_length=100), required=False, max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class TokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "username", "name", "prefix", "read_only", "created_by", "created_at", "expires_at",
                  "last_used_at", "revoked_at", "is_live"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="an existing user of this tenant")
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    read_only = serializers.BooleanField(default=False)
    expires_in_days = serializers.FloatField(required=False, min_value=0.01, max_value=3650)


class TokenCreatedSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="shown once: store it now")

    class Meta(TokenSerializer.Meta):
        fields = TokenSerializer.Meta.fields + ["key"]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "action", "actor", "object_type", "object_id", "workspace_id", "data", "created_at"]
