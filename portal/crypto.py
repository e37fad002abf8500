"""Encryption at rest for connection secrets (Fernet: AES-128-CBC + HMAC-SHA256)."""
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted (the encryption key changed)."""


def _fernet() -> Fernet:
    key = settings.ROSTER_ENCRYPTION_KEY
    if not key:
        raise ImproperlyConfigured("ROSTER_ENCRYPTION_KEY is not set; `make up` writes one to .run/env")
    return Fernet(key.encode())


def encrypt(plaintext: str) -> bytes:
    return _fernet().encrypt(plaintext.encode())


def decrypt(ciphertext: bytes) -> str:
    try:
        return _fernet().decrypt(bytes(ciphertext)).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("stored secret cannot be decrypted with the current ROSTER_ENCRYPTION_KEY") from exc
