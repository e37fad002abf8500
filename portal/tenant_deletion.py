"""Delete a tenant's data (seed 001 §5.5): its schema (catalog, facts, connections and their encrypted
secrets, users, tokens, audit trail), its search documents in either backend, and its Redis keys."""
from __future__ import annotations

import logging

from django.db import connection
from django_tenants.utils import schema_context

from portal.models import Tenant
from portal.redis_client import client
from portal.signals import tenant_deleting

log = logging.getLogger(__name__)


def redis_patterns(schema: str) -> list[str]:
    """Every key family that names the schema: Django's cache (tenant-prefixed keys), search's answer cache
    and generation, the token-cache generation."""
    return [f"{schema}:*", f"search:{schema}:*", f"auth:{schema}:*"]


def delete_tenant(tenant: Tenant, *, actor: str, reason: str = "") -> dict:
    schema = tenant.schema_name
    if schema == "public":
        raise ValueError("the public schema is not a tenant")
    tenant_deleting.send(sender=Tenant, schema=schema)  # search drops its index, before anything is gone
    removed_keys = 0
    redis = client()
    for pattern in redis_patterns(schema):
        batch = []
        for key in redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                removed_keys += redis.delete(*batch)
                batch = []
        if batch:
            removed_keys += redis.delete(*batch)
    connection.set_schema_to_public()
    with schema_context("public"):
        name = tenant.name
        tenant.delete(force_drop=True)  # drops the schema and, by cascade, its domains
    from portal.middleware import forget_tenants

    forget_tenants()
    # The tenant's own audit trail went with its schema: the platform log keeps who deleted it and why.
    log.warning("tenant %s (schema %s) deleted by %s: %s; %d Redis keys removed", name, schema, actor, reason,
                removed_keys)
    return {"tenant": name, "schema": schema, "redis_keys": removed_keys}
