"""How a delivery is signed, and how a receiver checks it (README: webhooks). Plain module, no Django.

The signature is ``sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`` with the subscription's secret;
the timestamp is the X-Roster-Timestamp header (Unix seconds), so a receiver that rejects timestamps older
than five minutes is not fooled by a replayed delivery."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def encode(payload: dict) -> bytes:
    """The body sent: the same bytes on every attempt (sorted keys), so receivers can de-duplicate by hash too."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(*, event_type: str, delivery_id: str, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Roster-Webhooks/1",
        "X-Roster-Event": event_type,
        "X-Roster-Delivery": str(delivery_id),
        "X-Roster-Timestamp": str(int(timestamp)),
        "X-Roster-Signature": signature(secret, timestamp, body),
    }


def verify(secret: str, body: bytes, timestamp: str | None, received: str | None, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the signature matches (compared in constant time) and the timestamp is recent."""
    try:
        sent_at = int(timestamp or "")
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), received or "")
