"""The three roles of a tenant and who holds which. Roles are ordered: each can do what the one below can.

viewer: browse and search. editor: corrections, discover now, run control, retirement holds.
admin: connections and their secrets, schedules, users, roles and tokens.
"""
from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


def at_least(role: str | None, required: str) -> bool:
    return role is not None and RANK.get(role, 0) >= RANK[required]


def role_of(user) -> str | None:
    """The user's role in the current tenant: superusers are admins; a user with no profile is a viewer."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_roster_role", None)
    if cached is None:
        from accounts.models import Profile

        cached = Profile.objects.filter(user_id=user.pk).values_list("role", flat=True).first() or Role.VIEWER
        user._roster_role = cached
    return cached


def set_role(user, role: str, *, actor: str = "system", reason: str = "") -> None:
    """Give ``user`` ``role`` (and admin-site access, which the role's permissions then narrow), audited."""
    from accounts.models import Profile
    from audit.events import record

    if role not in RANK:
        raise ValueError(f"unknown role {role!r}: choose viewer, editor or admin")
    profile, created = Profile.objects.get_or_create(user=user, defaults={"role": role})
    before = None if created else profile.role
    if before != role:
        profile.role = role
        profile.save(update_fields=["role", "updated_at"])
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user._roster_role = role
    if before != role:
        record("user.role_changed", actor=actor, obj=user, username=user.get_username(), old=before, new=role,
               reason=reason)
