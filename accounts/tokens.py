"""Issue, recognise and revoke API tokens. A key is ``rst_`` + 40 random characters; we keep its SHA-256."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from audit.events import record

PREFIX = "rst_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(user, *, name: str = "", read_only: bool = False, expires_in_days: float | None = None,
          actor: str = "system") -> tuple[ApiToken, str]:
    """A new token for ``user``: returns the row and the key, which is never stored or shown again."""
    key = PREFIX + secrets.token_urlsafe(30)
    expires = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:12], digest=digest(key), read_only=read_only,
                                    expires_at=expires, created_by=actor)
    record("token.created", actor=actor, obj=token, username=user.get_username(), name=name, read_only=read_only,
           expires_at=expires.isoformat() if expires else None)
    return token, key


def revoke(token: ApiToken, *, actor: str, reason: str = "") -> bool:
    """Revoke (kept for the audit trail, never deleted). False when it was already revoked."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            record("token.revoked", actor=actor, obj=token, username=token.user.get_username(), reason=reason)
    if updated:
        from accounts.authentication import forget_tokens

        forget_tokens(everywhere=True)
    return bool(updated)
