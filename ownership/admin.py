from django.contrib import admin

from ownership.models import Correction


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "service_name", "field", "old_value", "new_value", "user", "propagated_count")
    list_filter = ("field", "user")
    search_fields = ("service_name", "reason")
    readonly_fields = [f.name for f in Correction._meta.fields]

    def has_add_permission(self, request):
        return False
