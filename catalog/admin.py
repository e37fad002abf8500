from django.contrib import admin

from catalog import staleness
from catalog.models import DiscoveryEvent, RetirementHold, Service, ServiceResource, Team
from portal.admin import ReadOnlyAdminMixin


class ResourceInline(admin.TabularInline):
    model = ServiceResource
    fields = ("kind", "name", "account", "region", "rule", "confidence", "external_id")
    readonly_fields = fields
    extra = 0
    max_num = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "ownership_status", "owner_confidence", "repo", "lifecycle", "tier",
                    "confidence", "health")
    list_filter = ("lifecycle", "tier", "ownership_status", "entry_type", "owner", "health", "hidden")
    search_fields = ("name", "aliases", "repo")
    ordering = ("confidence", "name")  # lowest confidence first: the review queue
    inlines = [ResourceInline]
    readonly_fields = [f.name for f in Service._meta.fields]

    def has_add_permission(self, request):
        return False



@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "parent", "source")
    search_fields = ("slug", "name")
    # Routing fields change through the API (PATCH /api/v1/teams/<id>/routing/): audited, with who confirmed them.
    readonly_fields = ("slack_channel", "pagerduty_schedule_id", "opsgenie_team_id", "contact_email",
                       "routing_sources")


@admin.register(DiscoveryEvent)
class DiscoveryEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "service_name", "event_type", "field", "old_value", "new_value", "confidence")
    list_filter = ("event_type",)
    search_fields = ("service_name",)
    readonly_fields = [f.name for f in DiscoveryEvent._meta.fields]


@admin.register(RetirementHold)
class RetirementHoldAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "total_services", "count", "decided_by")
    readonly_fields = [f.name for f in RetirementHold._meta.fields]
    actions = ["approve", "reject"]

    def has_approve_permission(self, request):
        return request.user.has_perm("catalog.approve_retirementhold")

    @admin.display(description="services to retire")
    def count(self, obj):
        return len(obj.services)

    @admin.action(description="Approve the held retirements", permissions=["approve"])
    def approve(self, request, queryset):
        n = sum(staleness.approve(h, user=request.user.get_username()) for h in queryset.filter(status="pending"))
        self.message_user(request, f"retired {n} service(s)")

    @admin.action(description="Reject (keep the services)", permissions=["approve"])
    def reject(self, request, queryset):
        for hold in queryset.filter(status="pending"):
            staleness.reject(hold, user=request.user.get_username())
        self.message_user(request, "kept")
