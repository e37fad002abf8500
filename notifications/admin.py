"""Admin pages for webhook subscriptions and their deliveries (admins only: accounts.policy.ADMIN_SITE).
Thin: saving, rotating and retrying go through notifications.subscriptions and notifications.delivery."""
from django import forms
from django.contrib import admin, messages

from notifications import delivery, events, subscriptions, targets, tasks
from notifications.models import Delivery, DeliveryAttempt, Subscription
from portal.admin import ReadOnlyAdminMixin


class SubscriptionForm(forms.ModelForm):
    """The URL passes the same check as the API's (notifications.targets); the secret is Roster's, never typed."""

    events = forms.MultipleChoiceField(choices=[(e, e) for e in events.ALL], widget=forms.CheckboxSelectMultiple,
                                       initial=events.ALL)

    class Meta:
        model = Subscription
        fields = ["workspace", "name", "url", "events", "active"]

    def clean_url(self):
        try:
            return targets.check(self.cleaned_data.get("url"))
        except targets.TargetRefused as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_events(self):
        try:
            return events.clean_event_list(self.cleaned_data.get("events"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def _show_secret(model_admin, request, sub, secret: str) -> None:
    model_admin.message_user(request, f"Signing secret of {sub.name} (shown this once, store it with the "
                                      f"receiver): {secret}", messages.WARNING)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "workspace", "url", "active", "disabled_at", "consecutive_failures")
    list_filter = ("active", "workspace")
    search_fields = ("name", "url")
    readonly_fields = ("disabled_at", "disabled_reason", "consecutive_failures", "failing_since", "created_by",
                       "created_at", "updated_at")
    actions = ["rotate_secret", "ping"]

    def save_model(self, request, obj, form, change):
        actor = request.user.get_username()
        if not change:
            _show_secret(self, request, obj, subscriptions.create(obj, actor=actor, reason="admin"))
            return
        stored = Subscription.objects.get(pk=obj.pk)
        subscriptions.update(stored, {k: form.cleaned_data[k] for k in form.changed_data
                                      if k in subscriptions.EDITABLE}, actor=actor, reason="admin")

    def delete_model(self, request, obj):
        subscriptions.delete(obj, actor=request.user.get_username(), reason="admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def has_rotate_permission(self, request):
        return request.user.has_perm("notifications.rotate_subscription")

    @admin.action(description="Rotate the signing secret", permissions=["rotate"])
    def rotate_secret(self, request, queryset):
        for sub in queryset:
            _show_secret(self, request, sub, subscriptions.rotate_secret(sub, actor=request.user.get_username(),
                                                                         reason="admin"))

    @admin.action(description="Send a test ping", permissions=["change"])
    def ping(self, request, queryset):
        sent = [subscriptions.ping(sub) for sub in queryset.filter(active=True)]
        tasks.deliver_on_commit([d.pk for d in sent])
        self.message_user(request, f"queued {len(sent)} ping(s); see the deliveries for their outcome")


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "started_at", "duration_ms", "status_code", "succeeded", "error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):  # attempts are part of the delivery they belong to
        return request.user.has_perm("notifications.view_delivery")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "event_type", "subscription", "status", "attempts", "last_status_code",
                    "next_attempt_at")
    list_filter = ("status", "event_type", "subscription")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry"]

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.retry_delivery")

    @admin.action(description="Send again now", permissions=["retry"])
    def retry(self, request, queryset):
        queued = []
        for found in queryset.select_related("subscription"):
            try:
                queued.append(delivery.retry(found, actor=request.user.get_username()).pk)
            except delivery.RetryRefused as exc:
                self.message_user(request, f"{found.pk}: {exc}", messages.WARNING)
        tasks.deliver_on_commit(queued)
        self.message_user(request, f"queued {len(queued)} for another attempt")
