"""Mask credential-shaped substrings: used for logs, run failures and anything shown to people."""
import re

_PATTERNS = [
    re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b"),                  # AWS access key ids
    re.compile(r"(?i)(aws_secret_access_key|secret[_-]?access[_-]?key|session[_-]?token|x-amz-security-token)"
               r"(\s*[=:]\s*|\"\s*:\s*\")[^\s\"',;]+"),
    re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._\-]{8,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{16,}\b"),                             # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"(?i)(password|passwd|secret|private_key|client_secret)(\s*[=:]\s*|\"\s*:\s*\")[^\s\"',;]+"),
]


def redact(text: str, extra_secrets: tuple[str, ...] = ()) -> str:
    if not text:
        return text
    for secret in extra_secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) + m.group(2) + "[redacted]") if m.lastindex and m.lastindex >= 2
                           else "[redacted]", text)
    return text


def sanitize_message(text: str, extra_secrets: tuple[str, ...] = (), limit: int = 300) -> str:
    cleaned = redact(str(text or ""), extra_secrets)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
