"""API token authentication, with a successful lookup remembered briefly in the process.

Without the cache every API request pays a database round trip and an ORM query before the view runs;
for a keystroke search that is a sixth of the latency budget. A successful lookup is reused for
``AUTH_CACHE_SECONDS`` (default 10, 0 turns the cache off), but never past a revocation:

* every change to a token, user or profile bumps a per-tenant generation number in Redis once its
  transaction commits, and an entry is used only while the generation it was read under is current,
  so a revoked token is refused at once by every process (one Redis GET per request);
* the generation is read *before* the database lookup, so a revocation that lands meanwhile cannot be
  cached back to life;
* failures are never cached; entries hold field values, so every request gets its own User.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import ApiToken, Profile
from accounts.roles import Role, role_of
from accounts.tokens import digest
from portal.redis_client import client

MAX_ENTRIES = 10_000
_entries: dict[tuple[str, str], tuple] = {}


def _values(instance) -> tuple:
    return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)


def _rebuild(model, values: tuple):
    return model.from_db("default", [f.attname for f in model._meta.concrete_fields], values)


def _generation_key(schema: str) -> str:
    return f"auth:{schema}:generation"


def _generation():
    try:
        return client().get(_generation_key(connection.schema_name)) or b"0"
    except Exception:  # noqa: BLE001 - Redis down: no cache for this request, the database decides
        return None


class RosterTokenAuthentication(TokenAuthentication):
    """``Authorization: Token rst_...`` (or ``Bearer``). Expired, revoked and inactive users' tokens are refused."""

    def authenticate(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0].lower() not in ("token", "bearer"):
            return None
        if len(parts) != 2 or len(parts[1]) > 200:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        return self.authenticate_credentials(parts[1])

    def authenticate_credentials(self, key):
        ttl = settings.AUTH_CACHE_SECONDS
        token_digest = digest(key)
        generation = _generation() if ttl > 0 else None
        entry_key = (connection.schema_name, token_digest)
        now = time.monotonic()
        entry = _entries.get(entry_key) if generation is not None else None
        if entry is not None and now - entry[0] < ttl and entry[1] == generation:
            _, _, user_values, token_values, role = entry
            token = _rebuild(ApiToken, token_values)
            if token.expires_at is None or token.expires_at > timezone.now():
                user = _rebuild(get_user_model(), user_values)
                user._roster_role = role
                token.user = user
                return user, token
        token = ApiToken.objects.select_related("user").filter(digest=token_digest).first()
        if token is None or not token.is_live:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        stamp = timezone.now()
        if token.last_used_at is None or (stamp - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=stamp)
        role = role_of(token.user)
        if generation is not None:
            if len(_entries) >= MAX_ENTRIES:
                _drop_expired(now, ttl)
            _entries[entry_key] = (now, generation, _values(token.user), _values(token), role)
        return token.user, token


def _drop_expired(now: float, ttl: float) -> None:
    for entry_key, entry in list(_entries.items()):
        if now - entry[0] >= ttl:
            _entries.pop(entry_key, None)
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()


def forget_tokens(everywhere: bool = False, **_kwargs) -> None:
    """Drop this process's entries; ``everywhere``: also every process's, once the transaction commits."""
    _entries.clear()
    if everywhere and connection.schema_name:
        schema = connection.schema_name

        def bump():
            try:
                client().incr(_generation_key(schema))
            except Exception:  # noqa: BLE001 - Redis down: entries still expire within AUTH_CACHE_SECONDS
                pass

        transaction.on_commit(bump)


def _changed(**_kwargs) -> None:
    forget_tokens(everywhere=True)


def connect_signals() -> None:
    for model in (ApiToken, Profile, get_user_model()):
        post_save.connect(_changed, sender=model, dispatch_uid=f"forget-tokens-save-{model._meta.label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"forget-tokens-delete-{model._meta.label}")


__all__ = ["RosterTokenAuthentication", "forget_tokens", "Role"]
