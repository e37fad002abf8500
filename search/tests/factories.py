"""Catalog rows for search tests (plain helpers: a test reads exactly what it creates)."""
from catalog.models import Service, Team


def team(slug: str, name: str = "", **fields) -> Team:
    return Team.objects.create(slug=slug, name=name or slug.replace("-", " ").title() + " Team", **fields)


def service(name: str, *, owner: Team | None = None, **fields) -> Service:
    fields.setdefault("key", name)
    fields.setdefault("display_name", name.replace("-", " ").title())
    return Service.objects.create(name=name, owner=owner, **fields)
