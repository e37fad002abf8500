from django.apps import apps
from django.contrib import admin, messages
from django.db import transaction

from audit import events
from freshness import receiving, schedules
from freshness.models import GithubWebhook, InboundDelivery, Schedule
from portal.admin import ReadOnlyAdminMixin


# django-celery-beat's tables sit in the public schema, shared by every tenant: Roster does not use its
# database scheduler (freshness.schedules says why), and no tenant's admin may edit what beat runs for all.
for _model in apps.get_app_config("django_celery_beat").get_models():
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("connection", "incremental_every_hours", "full_every_hours", "paused", "next_incremental_at",
                    "next_full_at", "last_outcome")
    list_filter = ("paused",)
    fields = ("connection", "incremental_every_hours", "full_every_hours", "paused", "next_incremental_at",
              "next_full_at", "last_incremental_at", "last_full_at", "last_run", "last_outcome")
    readonly_fields = ("connection", "next_incremental_at", "next_full_at", "last_incremental_at", "last_full_at",
                       "last_run", "last_outcome")

    def has_add_permission(self, request):
        return False  # every connection gets one (freshness.schedules.ensure_schedules)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        schedules.ensure_schedules()
        return super().get_queryset(request).select_related("connection")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            schedules.reschedule(obj)
            super().save_model(request, obj, form, change)
            events.record("schedule.changed", actor=request.user.get_username(), obj=obj,
                          workspace_id=obj.connection.workspace_id, connection=str(obj.connection_id),
                          incremental_every_hours=obj.incremental_every_hours,
                          full_every_hours=obj.full_every_hours, paused=obj.paused)


@admin.register(GithubWebhook)
class GithubWebhookAdmin(admin.ModelAdmin):
    list_display = ("connection", "created_at", "rotated_at", "last_delivery_at")
    readonly_fields = ("connection", "created_at", "rotated_at", "last_delivery_at")
    actions = ["rotate"]

    def has_add_permission(self, request):
        return False  # created from the API (the answer shows the secret once)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Rotate the secret (shown once)", permissions=["rotate"])
    def rotate(self, request, queryset):
        for hook in queryset.select_related("connection"):
            with transaction.atomic():
                secret = receiving.configure(hook.connection)
                events.record("github_webhook.rotated", actor=request.user.get_username(), obj=hook,
                              workspace_id=hook.connection.workspace_id, connection=str(hook.connection_id))
            self.message_user(request, f"{hook.connection}: new secret {secret} (shown once; paste it into "
                                       f"GitHub's webhook settings)", messages.WARNING)

    def has_rotate_permission(self, request):
        return request.user.has_perm("freshness.rotate_githubwebhook")


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "connection", "event", "action", "status", "detail")
    list_filter = ("status", "event", "connection")
    readonly_fields = [f.name for f in InboundDelivery._meta.fields]
