"""Corrections in the admin: the correction log, and the catalog's service admin with a Correct page (the
editor role, ``catalog.correct_service``) that stores corrections through ``ownership.corrections``."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from catalog.admin import ServiceAdmin
from catalog.models import Service, ServiceResource, Team
from ownership.corrections import VALID_LIFECYCLES, VALID_TIERS, CorrectionError, correct
from ownership.models import Correction


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "service_name", "field", "old_value", "new_value", "user", "propagated_count")
    list_filter = ("field", "user")
    search_fields = ("service_name", "reason")
    readonly_fields = [f.name for f in Correction._meta.fields]

    def has_add_permission(self, request):
        return False


class CorrectionForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, to_field_name="slug")
    repo = forms.CharField(required=False, help_text="org/name")
    name = forms.CharField(required=False)
    lifecycle = forms.ChoiceField(choices=[("", "---")] + [(v, v) for v in VALID_LIFECYCLES], required=False)
    tier = forms.ChoiceField(choices=[("", "---")] + [(v, v) for v in VALID_TIERS], required=False)
    not_a_service = forms.BooleanField(required=False, help_text="hide it: it is not a service")
    merge_into = forms.ModelChoiceField(queryset=Service.objects.filter(hidden=False), required=False,
                                        to_field_name="name", help_text="merge this entry into another")
    split_name = forms.CharField(required=False, help_text="split: name of the new service")
    split_resources = forms.ModelMultipleChoiceField(queryset=ServiceResource.objects.none(), required=False,
                                                     to_field_name="external_id")
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, service=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["split_resources"].queryset = ServiceResource.objects.filter(service=service)
        self.fields["merge_into"].queryset = Service.objects.filter(hidden=False).exclude(pk=service.pk)

    def corrections(self, service) -> list[tuple[str, object]]:
        data = self.cleaned_data
        out = []
        if data["owner"] and data["owner"] != service.owner:
            out.append(("owner", data["owner"].slug))
        if data["repo"] and data["repo"] != service.repo:
            out.append(("repo", data["repo"]))
        if data["name"] and data["name"] != service.name:
            out.append(("name", data["name"]))
        if data["lifecycle"] and data["lifecycle"] != service.lifecycle:
            out.append(("lifecycle", data["lifecycle"]))
        if data["tier"] and data["tier"] != service.tier:
            out.append(("tier", data["tier"]))
        if data["not_a_service"]:
            out.append(("not_a_service", True))
        if data["split_name"] and data["split_resources"]:
            out.append(("split", {"name": data["split_name"],
                                  "resources": [r.external_id for r in data["split_resources"]]}))
        if data["merge_into"]:
            out.append(("merge", data["merge_into"].name))
        return out


class CorrectableServiceAdmin(ServiceAdmin):
    list_display = (*ServiceAdmin.list_display, "correct_link")

    @admin.display(description="")
    def correct_link(self, obj):
        return format_html('<a href="{}">Correct</a>', reverse("admin:catalog_service_correct", args=[obj.pk]))

    def get_urls(self):
        return [path("<uuid:pk>/correct/", self.admin_site.admin_view(self.correct_view),
                     name="catalog_service_correct"), *super().get_urls()]

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if request.user.has_perm("catalog.correct_service") else [c for c in shown if c != "correct_link"]

    def correct_view(self, request, pk):
        if not request.user.has_perm("catalog.correct_service"):
            raise PermissionDenied("Corrections need the editor role.")
        service = get_object_or_404(Service, pk=pk)
        form = CorrectionForm(request.POST or None, service=service,
                              initial={"owner": service.owner, "repo": service.repo, "lifecycle": service.lifecycle,
                                       "tier": service.tier})
        if request.method == "POST" and form.is_valid():
            try:
                improved = 0
                for field, value in form.corrections(service):
                    result = correct(service, field, value, user=request.user.get_username(),
                                     reason=form.cleaned_data["reason"])
                    improved += result["propagated"]
                    service = Service.objects.get(pk=service.pk)
            except CorrectionError as exc:
                form.add_error(None, str(exc))
            else:
                msg = "Correction saved; discovery will not overwrite it."
                if improved:
                    msg += f" Your correction improved {improved} similar service(s)."
                self.message_user(request, msg, messages.SUCCESS)
                return redirect("admin:catalog_service_change", service.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "service": service,
                   "form": form, "title": f"Correct {service.name}"}
        return render(request, "admin/ownership/correct.html", context)


# The catalog registers its read-only service admin; corrections are ownership's, so the Correct page is added here.
admin.site.unregister(Service)
admin.site.register(Service, CorrectableServiceAdmin)
