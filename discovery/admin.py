from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from discovery import audit, connection_config, runs, templates, workflow
from discovery.choices import RunPriority
from discovery.models import Connection, Fact, FactLink, Job, Run
from portal.admin import ReadOnlyAdminMixin


class ConnectionForm(forms.ModelForm):
    """Secrets are entered here and stored encrypted; the form never shows them back. Config passes the same
    policy as the API (discovery.connection_config); the ExternalId is generated and never editable."""

    secret_token = forms.CharField(required=False, widget=forms.PasswordInput, help_text="GitHub token (leave blank to keep)")
    secret_private_key = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                         help_text="GitHub App private key PEM (leave blank to keep)")
    secret_access_key_id = forms.CharField(required=False, help_text="AWS base identity access key id (optional)")
    secret_secret_access_key = forms.CharField(required=False, widget=forms.PasswordInput,
                                               help_text="AWS base identity secret key (optional)")

    class Meta:
        model = Connection
        fields = ["workspace", "provider", "name", "config", "enabled"]

    def clean_config(self):
        config = self.cleaned_data.get("config")
        if isinstance(config, dict):
            # Keys that are Roster's to decide: dropped, whatever was typed into the JSON.
            config = {k: v for k, v in config.items() if k not in connection_config.RESERVED}
        return config

    def clean(self):
        cleaned = super().clean()
        provider = self.instance.provider if self.instance.pk else cleaned.get("provider")
        if "config" not in cleaned or not provider:
            return cleaned
        try:
            cleaned["config"] = connection_config.clean(provider, cleaned["config"] or {})
        except connection_config.ConfigError as exc:
            self.add_error("config", exc.messages)
            return cleaned
        new_secret = cleaned.get("secret_token") or cleaned.get("secret_private_key")
        retargeted = (connection_config.github_target(self.instance.config)
                      != connection_config.github_target(cleaned["config"]))
        if self.instance.pk and provider == "github" and retargeted and not new_secret:
            self.add_error("secret_token", "changing base_url or org requires the secret again")
        return cleaned

    def save(self, commit=True):
        conn = super().save(commit=False)
        secret = {k: self.cleaned_data[f"secret_{k}"] for k in ("token", "private_key", "access_key_id",
                                                                "secret_access_key") if self.cleaned_data.get(f"secret_{k}")}
        if secret:
            conn.set_secret({**(conn.get_secret() if conn.has_secret else {}), **secret})
        if commit:
            conn.save()
        return conn


class RunInline(admin.TabularInline):
    model = Run
    fields = ("created_at", "status", "trigger", "succeeded", "failed", "total", "finished_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    ordering = ("-created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at")


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = ("name", "provider", "workspace", "enabled", "has_secret", "last_run")
    list_filter = ("provider", "enabled")
    inlines = [RunInline]
    actions = ["run_now"]
    readonly_fields = ("external_id", "cloudformation_template")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:  # the ExternalId is generated when the connection is saved
            return ("cloudformation_template",)
        # A connection stays what it was created as: its config and secret only make sense for that provider.
        return ("provider", *super().get_readonly_fields(request, obj))

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(Connection.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit.connection_saved(obj, before, actor=request.user.get_username(), reason="admin")

    def delete_model(self, request, obj):
        audit.connection_deleted(obj, actor=request.user.get_username(), reason="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_queryset(self, request):
        # The newest run's status and time in the same query as the connections (no query per row).
        newest = Run.objects.filter(connection=OuterRef("pk")).order_by("-created_at")
        return super().get_queryset(request).annotate(last_run_status=Subquery(newest.values("status")[:1]),
                                                      last_run_at=Subquery(newest.values("created_at")[:1]))

    @admin.display(description="last run")
    def last_run(self, obj):
        if not getattr(obj, "last_run_at", None):
            return "-"
        return f"{obj.last_run_status} {obj.last_run_at:%Y-%m-%d %H:%M}"

    @admin.display(description="CloudFormation template")
    def cloudformation_template(self, obj):
        if not obj.pk or obj.provider != "aws":
            return "-"
        url = reverse("admin:discovery_connection_template", args=[obj.pk])
        return format_html('<a href="{}">Download the read-only role template</a><pre style="max-height:20em;'
                           'overflow:auto">{}</pre>', url, templates.cloudformation_template(obj))

    def get_urls(self):
        return [path("<uuid:pk>/template/", self.admin_site.admin_view(self.template_view),
                     name="discovery_connection_template"), *super().get_urls()]

    def template_view(self, request, pk):
        if not request.user.has_perm("discovery.change_connection"):
            raise PermissionDenied("The role template is for admins.")
        return HttpResponse(templates.cloudformation_template(get_object_or_404(Connection, pk=pk)),
                            content_type="text/yaml")

    def has_discover_permission(self, request):
        return request.user.has_perm("discovery.discover_connection")

    @admin.action(description="Run discovery now", permissions=["discover"])
    def run_now(self, request, queryset):
        by_workspace = {}
        for conn in queryset:
            by_workspace.setdefault(conn.workspace, []).append(conn.pk)
        for workspace, ids in by_workspace.items():
            with transaction.atomic():
                result = workflow.discover_workspace(workspace, connection_ids=ids, trigger="admin",
                                                     requested_by=request.user.get_username())
            self.message_user(request, f"queued {len(result['runs'])} run(s)", messages.SUCCESS)
            for run in result["already_active"]:
                self.message_user(request, f"{run.connection} already has an active run", messages.WARNING)


class JobInline(admin.TabularInline):
    model = Job
    fields = ("key", "status", "attempts", "facts", "api_calls", "failure", "heartbeat_at", "finished_at")
    readonly_fields = fields
    extra = 0
    max_num = 0


class DeadLetterFilter(admin.SimpleListFilter):
    """Runs with jobs the watchdog gave up on (their worker died on every attempt), not retried yet."""

    title = "dead letters"
    parameter_name = "dead_letters"

    def lookups(self, request, model_admin):
        return [("yes", "has dead-lettered jobs")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=runs.dead_letters().values("run_id"))
        return queryset


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "connection", "status", "trigger", "succeeded", "failed", "total")
    list_filter = ("status", DeadLetterFilter, "kind", "trigger", "connection")
    readonly_fields = [f.name for f in Run._meta.fields]
    inlines = [JobInline]
    actions = ["cancel", "retry_failed", "rerun_high_priority"]

    def has_add_permission(self, request):
        return False

    def has_cancel_permission(self, request):
        return request.user.has_perm("discovery.cancel_run")

    # Admin actions take no reason of their own: the audit events say "admin" (the API and manage.py take one).
    @admin.action(description="Cancel (running jobs stop at their next batch)", permissions=["cancel"])
    def cancel(self, request, queryset):
        n = sum(runs.cancel_run(run, actor=request.user.get_username(), reason="admin") for run in queryset)
        self.message_user(request, f"cancelled {n} run(s)")

    def has_retry_permission(self, request):
        return request.user.has_perm("discovery.retry_run")

    @admin.action(description="Retry failed jobs (dead letters too)", permissions=["retry"])
    def retry_failed(self, request, queryset):
        retried = 0
        for run in queryset.filter(kind=Run.Kind.SCAN):
            with transaction.atomic():
                retried += workflow.retry_failed(run, trigger="admin", requested_by=request.user.get_username(),
                                                 reason="admin") is not None
        self.message_user(request, f"retried the failed jobs of {retried} run(s)",
                          messages.SUCCESS if retried else messages.WARNING)

    @admin.action(description="Read the same selection again in full, at high priority", permissions=["retry"])
    def rerun_high_priority(self, request, queryset):
        queued = 0
        for run in queryset.filter(kind=Run.Kind.SCAN, connection__isnull=False).select_related("connection"):
            try:
                with transaction.atomic():
                    result = workflow.backfill(run.connection, selection=run.selection, trigger="admin",
                                               requested_by=request.user.get_username(), reason="admin",
                                               priority=RunPriority.HIGH)
            except workflow.PriorityBusy as exc:
                self.message_user(request, str(exc), messages.WARNING)
                break
            queued += len(result["runs"])
        self.message_user(request, f"queued {queued} run(s) at high priority",
                          messages.SUCCESS if queued else messages.WARNING)


@admin.register(Fact)
class FactAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "name", "account", "region", "last_seen", "connection")
    list_filter = ("kind", "connection", "region")
    search_fields = ("name", "external_id")
    readonly_fields = [f.name for f in Fact._meta.fields]


@admin.register(FactLink)
class FactLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("source_id", "relation", "target_id", "last_seen")
    list_filter = ("relation",)
    search_fields = ("source_id", "target_id")
    readonly_fields = [f.name for f in FactLink._meta.fields]
