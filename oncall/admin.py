"""Admin pages: on-call connections (admins add and change them; the key is write-only) and the schedules sync
read (read-only). Thin: audit events in oncall.connections, reads in oncall.tasks."""
from django import forms
from django.contrib import admin
from django.utils.html import format_html_join

from oncall import connections, tasks
from oncall.models import OnCallConnection, OnCallSchedule
from portal.admin import ReadOnlyAdminMixin


class OnCallConnectionForm(forms.ModelForm):
    """The key is typed here and stored encrypted; the form never shows it back. No URL can be typed: the host is
    the vendor's (oncall.endpoints), Opsgenie's region picks which of its two."""

    api_key = forms.CharField(required=False, strip=True, max_length=500,
                              widget=forms.PasswordInput(render_value=False),
                              help_text="PagerDuty REST API key (read-only) or Opsgenie API key with read access. "
                                        "Leave blank to keep the current key.")

    class Meta:
        model = OnCallConnection
        fields = ["workspace", "provider", "name", "region", "enabled"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("api_key"):
            self.add_error("api_key", "a new connection needs its API key")
        return cleaned

    def save(self, commit=True):
        conn = super().save(commit=False)
        if self.cleaned_data.get("api_key"):
            conn.set_key(self.cleaned_data["api_key"])
        if commit:
            conn.save()
        return conn


@admin.register(OnCallConnection)
class OnCallConnectionAdmin(admin.ModelAdmin):
    form = OnCallConnectionForm
    list_display = ("name", "provider", "region", "enabled", "has_key", "last_status", "last_synced_at")
    list_filter = ("provider", "enabled", "last_status")
    readonly_fields = ("last_status", "last_synced_at", "last_failure", "last_stats")
    actions = ["read_now"]

    def get_readonly_fields(self, request, obj=None):
        # A connection stays the vendor it was created for: its key only makes sense there.
        return ("provider", *self.readonly_fields) if obj else self.readonly_fields

    @admin.display(boolean=True, description="key")
    def has_key(self, obj):
        return obj.has_key

    def save_model(self, request, obj, form, change):
        before = connections.snapshot(OnCallConnection.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        connections.saved(obj, before, actor=request.user.get_username(), reason="admin")
        if obj.enabled:
            tasks.sync_on_commit([obj.pk])

    def delete_model(self, request, obj):
        connections.deleted(obj, actor=request.user.get_username(), reason="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def has_sync_permission(self, request):
        return request.user.has_perm("oncall.sync_oncallconnection")

    @admin.action(description="Read now (schedules and who is on call)", permissions=["sync"])
    def read_now(self, request, queryset):
        ids = list(queryset.filter(enabled=True).values_list("pk", flat=True))
        tasks.sync_on_commit(ids)
        self.message_user(request, f"queued {len(ids)} read(s); the connection shows the outcome")


@admin.register(OnCallSchedule)
class OnCallScheduleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "provider", "connection", "on_call_now", "current_until", "on_call_next", "synced_at")
    list_filter = ("provider", "connection")
    search_fields = ("name", "owner_team_name")
    readonly_fields = [f.name for f in OnCallSchedule._meta.fields]

    @staticmethod
    def _people(people):
        return format_html_join(", ", "{}", ((p.get("name") or p.get("email") or "?",) for p in people or [])) or "-"

    @admin.display(description="on call now")
    def on_call_now(self, obj):
        return self._people(obj.current)

    @admin.display(description="next")
    def on_call_next(self, obj):
        return self._people(obj.upcoming)
