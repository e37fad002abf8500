from django.contrib import admin, messages

from accounts import tokens
from accounts.models import ApiToken, Profile


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "read_only", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("read_only",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "digest"]
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are shown once: issue them with the API or `manage.py api_token`

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the audit trail points at them

    def has_revoke_permission(self, request):
        return request.user.has_perm("accounts.revoke_apitoken")

    @admin.action(description="Revoke", permissions=["revoke"])
    def revoke(self, request, queryset):
        n = sum(tokens.revoke(t, actor=request.user.get_username(), reason="admin") for t in queryset)
        self.message_user(request, f"revoked {n} token(s)", messages.SUCCESS)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "github_login", "teams", "updated_at")
    list_filter = ("role",)
    search_fields = ("user__username", "github_login")
    readonly_fields = ("user", "github_login", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from accounts.roles import set_role

        set_role(obj.user, form.cleaned_data["role"], actor=request.user.get_username(), reason="admin")  # audited
        Profile.objects.filter(pk=obj.pk).update(teams=form.cleaned_data.get("teams", obj.teams))


def _hide_beat_tables() -> None:
    """django-celery-beat's tables are shared by every tenant (public schema): no tenant's admin edits them,
    and its "run task" action could send a task into another tenant's schema."""
    from django.contrib.admin.exceptions import NotRegistered
    from django_celery_beat import models as beat

    for model in (beat.PeriodicTask, beat.IntervalSchedule, beat.CrontabSchedule, beat.SolarSchedule,
                  beat.ClockedSchedule):
        try:
            admin.site.unregister(model)
        except NotRegistered:
            pass


_hide_beat_tables()
