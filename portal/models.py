"""Public-schema models: tenants and their domains."""
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    """One customer company. Its data lives in its own PostgreSQL schema (``schema_name``)."""

    name = models.SlugField(max_length=63, unique=True, help_text="Slug used on the command line, e.g. sample-company")
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = True

    def __str__(self):
        return self.name


class Domain(DomainMixin):
    pass
