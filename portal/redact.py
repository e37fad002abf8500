"""Mask credential-shaped substrings: used for logs, run failures and anything shown to people.

Log lines can be arbitrarily long and partly attacker-controlled (tenant data ends up in messages),
so every pattern is linear: no two unbounded quantifiers over the same characters, and the private
key block is found with plain searches instead of a lazy ``.*?`` that rescans the rest of the text
from every ``BEGIN`` line. All patterns are matched against the same text and the union of what
they mark is masked, so one mask can't hide a secret from another pattern ("token password=x").
``redact`` never truncates, so a secret near the end of a long line is still masked; only
``sanitize_message`` (whose result is short anyway) reads a bounded prefix.
"""
import re

# (pattern, group to mask: 0 is the whole match, 3 the value of a key/value pair)
_PATTERNS = [
    (re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b"), 0),                 # AWS access key ids
    (re.compile(r"(?i)(aws_secret_access_key|secret[_-]?access[_-]?key|session[_-]?token|x-amz-security-token)"
                r"(\s*[=:]\s*|\"\s*:\s*\")([^\s\"',;]+)"), 3),
    (re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._\-]{8,}"), 0),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{16,}\b"), 0),                            # GitHub tokens
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"), 0),
    (re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}"), 0),                          # Slack tokens
    (re.compile(r"(?i)(password|passwd|secret|private_key|client_secret)(\s*[=:]\s*|\"\s*:\s*\")([^\s\"',;]+)"), 3),
]
# Bounded key-type runs ("RSA", "ENCRYPTED", "OPENSSH" ...) keep each marker match constant-time.
_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----")
_KEY_END = re.compile(r"-----END [A-Z ]{0,40}PRIVATE KEY-----")
REDACTED = "[redacted]"
# sanitize_message keeps at most this much of its input (its result is ``limit`` characters).
SANITIZE_INPUT_LIMIT = 64 * 1024


def replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end, replacement) span replaced; overlapping spans are merged into
    one, replaced by the first non-empty replacement among them."""
    out, pos = [], 0
    spans.sort()
    i = 0
    while i < len(spans):
        start, end, replacement = spans[i]
        i += 1
        while i < len(spans) and spans[i][0] < end:
            end = max(end, spans[i][1])
            replacement = replacement or spans[i][2]
            i += 1
        out += (text[pos:start], replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _private_key_spans(text: str) -> list[tuple[int, int, str]]:
    """Each BEGIN..END private key block; a BEGIN without an END (a cut-off log line) runs to the
    end of the text, since what follows it is key material."""
    spans: list[tuple[int, int, str]] = []
    if "PRIVATE KEY-----" not in text:
        return spans
    pos = 0
    while (begin := _KEY_BEGIN.search(text, pos)) is not None:
        end = _KEY_END.search(text, begin.end())
        spans.append((begin.start(), end.end() if end else len(text), REDACTED))
        if end is None:
            break
        pos = end.end()
    return spans


def redact(text: str, extra_secrets: tuple[str, ...] = ()) -> str:
    if not text:
        return text
    for secret in extra_secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    spans = _private_key_spans(text)
    for pattern, group in _PATTERNS:
        spans += [(m.start(group), m.end(group), REDACTED) for m in pattern.finditer(text)]
    return replace_spans(text, spans) if spans else text


def _prefix(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at whitespace so no half token (a secret cut below the
    length a pattern needs) is left at the end."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"), head.rfind("\r"))
    return head[:cut] + " …" if cut > 0 else "…"


def sanitize_message(text: str, extra_secrets: tuple[str, ...] = (), limit: int = 300) -> str:
    text = str(text or "")
    for secret in extra_secrets:  # before the cut, so a known secret is never split by it
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    # A private key cut off by the prefix still redacts to the end (see _private_key_spans).
    cleaned = redact(_prefix(text, max(SANITIZE_INPUT_LIMIT, limit * 4)))
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
