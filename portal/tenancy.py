"""Resolve and create tenants: every entry point that is not HTTP (commands, tests, the demo) goes through here."""
from __future__ import annotations

from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from portal.models import Domain, Tenant


def schema_for(name: str) -> str:
    return "t_" + name.replace("-", "_")


def get_tenant(name: str) -> Tenant:
    with schema_context("public"):
        tenant = Tenant.objects.filter(name=name).first()
    if tenant is None:
        raise CommandError(f"no tenant named {name!r} (tenants: {', '.join(tenant_names()) or 'none'})")
    return tenant


def tenant_names() -> list[str]:
    with schema_context("public"):
        return list(Tenant.objects.exclude(schema_name="public").order_by("name").values_list("name", flat=True))


@contextmanager
def tenant_scope(name: str):
    """Run the block inside the named tenant's schema."""
    tenant = get_tenant(name)
    with tenant_context(tenant):
        yield tenant


def ensure_public_tenant() -> Tenant:
    with schema_context("public"):
        tenant, _ = Tenant.objects.get_or_create(schema_name="public", defaults={"name": "public"})
        return tenant


def create_tenant(name: str, *, reset: bool = False, domain_suffix: str = "localhost") -> Tenant:
    """Create the tenant (schema, domain <name>.localhost, default workspace); with reset, drop it first."""
    ensure_public_tenant()
    with schema_context("public"):
        existing = Tenant.objects.filter(name=name).first()
        if existing and reset:
            existing.delete(force_drop=True)
            existing = None
        if existing is None:
            existing = Tenant(name=name, schema_name=schema_for(name))
            existing.save(verbosity=0)
            Domain.objects.get_or_create(domain=f"{name}.{domain_suffix}", defaults={"tenant": existing,
                                                                                  "is_primary": True})
    with tenant_context(existing):
        from portal.workspaces.models import Workspace

        Workspace.default()
    connection.set_schema_to_public()
    return existing
