from django.contrib import admin

from audit.models import AuditEvent
from portal.admin import ReadOnlyAdminMixin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "object_type", "object_id")
    list_filter = ("action",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
