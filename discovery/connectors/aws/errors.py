"""Turn boto/botocore exceptions into ``ScanFailure``: a reason code, a safe message and a fix.

Messages end up in the UI and the database, so they are built from the AWS error code and
message only (never the raw body, headers or request id) and scrubbed of anything credential-like.
"""
from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from portal.redact import replace_spans

ACCESS_DENIED = "access_denied"
ASSUME_ROLE_REFUSED = "assume_role_refused"
INVALID_CREDENTIALS = "invalid_credentials"
EXPIRED_CREDENTIALS = "expired_credentials"
ENDPOINT_UNREACHABLE = "endpoint_unreachable"
THROTTLED = "throttled"
REGION_NOT_ENABLED = "region_not_enabled"
UNEXPECTED_RESPONSE = "unexpected_response"

THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "ProvisionedThroughputExceededException", "SlowDown",
    "RequestThrottled", "RequestThrottledException", "ServiceUnavailable", "ServiceUnavailableException",
})
THROTTLE_STATUS = frozenset({429, 503})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "UnauthorizedAccess", "Forbidden", "ForbiddenException",
})
INVALID_CREDENTIAL_CODES = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "AuthFailure",
    "IncompleteSignature", "InvalidAccessKeyId", "MissingAuthenticationToken",
})
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
# What a disabled opt-in region answers: OptInRequired outright, or a credential error because the
# account's credentials don't exist there.
OPT_IN_CODES = frozenset({"OptInRequired", "SubscriptionRequiredException"})
# Resources that vanished between the list call and the per-item call.
NOT_FOUND_CODES = frozenset({
    "ResourceNotFoundException", "NotFoundException", "ClusterNotFoundException",
    "ServiceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
    "RepositoryNotFoundException", "DBInstanceNotFound", "DBInstanceNotFoundFault",
    "DBClusterNotFoundFault", "StackNotFoundException",
})
# Regions that must be enabled per account (AWS "opt-in" regions).
OPT_IN_REGIONS = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1",
    "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
})

MAX_MESSAGE = 300
CFN_TEMPLATE_HINT = "(see the CloudFormation template)"


class ScanFailure(Exception):
    """A kind (or one item) could not be scanned. ``retryable``: a later run may succeed unchanged."""

    def __init__(self, reason_code: str, message: str, item: str = "", remediation: str = "",
                 retryable: bool = False, *, error_code: str = "", operation: str = ""):
        super().__init__(reason_code, message)
        self.reason_code = reason_code
        self.message = sanitize(message)
        self.item = item
        self.remediation = remediation
        self.retryable = retryable
        self.error_code = error_code    # the AWS error code, for callers that branch on it
        self.operation = operation      # "service:Operation" that failed

    def __str__(self) -> str:
        return f"{self.reason_code}: {self.message}"

    def as_warning(self) -> dict[str, Any]:
        """The shape of ``Batch.warnings`` entries."""
        return {"reason_code": self.reason_code, "message": self.message, "item": self.item}

    def as_dict(self) -> dict[str, Any]:
        return {"reason_code": self.reason_code, "message": self.message, "item": self.item,
                "remediation": self.remediation, "retryable": self.retryable}


# Every pattern here must stay linear on hostile text (AWS echoes caller-controlled names into its
# messages): no two unbounded quantifiers that can match the same characters, and starts pinned to
# token boundaries so a long word is not re-scanned from each of its characters. All of them are
# matched against the same text and the union of what they mark is replaced, so one replacement
# can't hide a secret from another pattern ("Authorization: Bearer x", "token secret_key:x").
_SCRUBBERS = [
    # access key ids (AKIA long-term, ASIA temporary, and the other IAM unique-id prefixes)
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{12,}\b"), "[redacted-key]"),
    (re.compile(r"(?i)\bbearer\s+\S+"), "Bearer [redacted]"),
    (re.compile(r"(?i)\b(?:basic|token)\s+[A-Za-z0-9+/=._-]{16,}"), "[redacted]"),
    (re.compile(r"(?i)\brequest[\s-]?id\s*[:=]?\s*[\w-]+"), ""),
    # secret access keys are 40 chars of base64; session tokens are longer
    (re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40,}(?![A-Za-z0-9/+=])"), "[redacted]"),
]
# key=value / key: value pairs whose key says secret (see _pair_spans). The key is a whole [\w-]
# token (the lookbehind pins its start) and whether it "says secret" is decided afterwards: the old
# single pattern, [\w-]*(?:secret|...)[\w-]*, backtracked cubically over a long word full of
# "secret". The value is only peeked at, so a pair that is not secret doesn't swallow the next one.
_PAIR = re.compile(r"(?<![\w-])([\w-]+)\"?\s*[=:]\s*\"?(?=[^\s,;&\"'])")
_VALUE = re.compile(r"[^\s,;&\"']+")
_SECRET_KEY = re.compile(r"(?i)secret|token|password|passwd|signature|credential|authorization|session")
_BODY_START = re.compile(r"(?i)<\?xml|<html|<!doctype|<\w+Response\b|<Error\b|\{\s*\"")
# Only this much of a message is scrubbed: the result is cut to MAX_MESSAGE anyway, and scrubbing
# (even linear) a multi-megabyte message is wasted work in a worker.
MAX_SCRUBBED = 4096


def _bounded(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, cut at whitespace so no token is left half there: a
    secret cut short could slip under the length the scrubbers look for."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"), head.rfind("\r"))
    return head[:cut] if cut > 0 else ""


def _pair_spans(text: str) -> list[tuple[int, int, str]]:
    """The value of each ``key=value`` / ``key: value`` whose key names a secret, in one pass: after a
    secret value the scan goes on past it, after any other key right behind the key."""
    spans, pos = [], 0
    while (m := _PAIR.search(text, pos)) is not None:
        if _SECRET_KEY.search(m.group(1)):
            value = _VALUE.match(text, m.end())
            spans.append((m.end(), value.end(), "[redacted]"))
            pos = value.end()
        else:
            pos = m.end(1)
    return spans


def _scrub(text: str) -> str:
    spans = _pair_spans(text)
    for pattern, replacement in _SCRUBBERS:
        spans += [(*m.span(), replacement) for m in pattern.finditer(text)]
    return replace_spans(text, spans)


def sanitize(message: str) -> str:
    """Strip credentials, request ids and raw bodies; bound the length."""
    raw = str(message or "")
    truncated = len(raw) > MAX_SCRUBBED
    text = " ".join(_bounded(raw, MAX_SCRUBBED).split())
    body = _BODY_START.search(text)
    if body:
        text = text[:body.start()].rstrip() + " [response body omitted]"
    elif truncated:
        text += " …"
    text = _scrub(text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ;,")
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE - 1].rstrip() + "…"
    return text


def iam_action(operation: str) -> str:
    """IAM action for a "service:Operation" label (API Gateway reads are all apigateway:GET)."""
    service, _, name = operation.partition(":")
    if service in ("apigateway", "apigatewayv2"):
        return "apigateway:GET"
    return f"{service}:{name}" if name else operation


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "") or "")
    return ""


def http_status(exc: BaseException) -> int:
    if isinstance(exc, ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


def is_throttle(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and (error_code(exc) in THROTTLE_CODES or http_status(exc) in THROTTLE_STATUS)


def is_not_found(exc: BaseException) -> bool:
    code = exc.error_code if isinstance(exc, ScanFailure) else error_code(exc)
    return code in NOT_FOUND_CODES


def _region_hint(message: str) -> bool:
    text = message.lower()
    return "region" in text and any(w in text for w in ("not enabled", "disabled", "opt", "not subscribed",
                                                        "not available", "not supported"))


def failure_from(exc: BaseException, *, operation: str = "", region: str = "", item: str = "",
                 attempts: int = 1) -> ScanFailure:
    """Map any exception raised while calling ``operation`` in ``region`` to a ScanFailure."""
    if isinstance(exc, ScanFailure):
        if item and not exc.item:
            exc.item = item
        return exc
    where = f"{operation} in {region}" if region else operation
    if isinstance(exc, ClientError):
        return _from_client_error(exc, operation, region, item, attempts, where)
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
                        ConnectionClosedError, ProxyConnectionError)):
        return ScanFailure(
            ENDPOINT_UNREACHABLE, f"Could not reach the AWS endpoint for {where} ({type(exc).__name__})",
            item, f"Check network egress from Roster to AWS in {region or 'this region'} "
                  "(proxy, firewall, VPC endpoints, DNS)", True, operation=operation)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)):
        return ScanFailure(INVALID_CREDENTIALS, f"No usable AWS credentials for {where}", item,
                           "Configure the AWS credentials Roster itself runs with", False, operation=operation)
    if isinstance(exc, ResponseParserError):
        return ScanFailure(UNEXPECTED_RESPONSE, f"Could not parse the response of {where}", item,
                           "Retry the scan; report it if it persists", True, operation=operation)
    return ScanFailure(
        UNEXPECTED_RESPONSE, f"Unexpected response from {where}: {type(exc).__name__}: {exc}", item,
        "Retry the scan; report it with the operation name if it persists", False, operation=operation)


def _from_client_error(exc: ClientError, operation: str, region: str, item: str, attempts: int,
                       where: str) -> ScanFailure:
    code = error_code(exc)
    aws_message = str(exc.response.get("Error", {}).get("Message", "") or "")
    # "message (Code)", never "Code: message", which would read as a key/value pair to the scrubber.
    detail = f"{aws_message} ({code})" if aws_message else code
    kw = {"error_code": code, "operation": operation}
    if is_throttle(exc):
        return ScanFailure(THROTTLED,
                           f"{where} was still throttled after {attempts} attempts ({code or http_status(exc)})",
                           item, "The next run retries; scan less often or raise the service quota if this repeats",
                           True, **kw)
    if code in OPT_IN_CODES or (
            code in INVALID_CREDENTIAL_CODES and (region in OPT_IN_REGIONS or _region_hint(aws_message))):
        return ScanFailure(REGION_NOT_ENABLED, f"Region {region or '?'} is not enabled for this account: {detail}",
                           item, f"Enable {region or 'the region'} in the AWS account (Account > AWS Regions) "
                                 "or remove it from this connection's regions", False, **kw)
    if code in ACCESS_DENIED_CODES or code.startswith("AccessDenied"):
        if operation == "sts:AssumeRole":
            return ScanFailure(ASSUME_ROLE_REFUSED, f"AssumeRole was refused: {detail}", item,
                               "Check the role's trust policy: it must trust Roster's principal and its "
                               "sts:ExternalId condition must equal the external id shown in Roster", False, **kw)
        action = iam_action(operation)
        return ScanFailure(ACCESS_DENIED, f"Access denied to {where}: {detail}", item,
                           f"Add {action} to the Roster role's policy {CFN_TEMPLATE_HINT}", False, **kw)
    if code in EXPIRED_CODES:
        return ScanFailure(EXPIRED_CREDENTIALS, f"Temporary credentials expired during {where}", item,
                           "The next run assumes the role again; raise the role's MaxSessionDuration if "
                           "scans take longer than the session", True, **kw)
    if code in INVALID_CREDENTIAL_CODES:
        return ScanFailure(INVALID_CREDENTIALS, f"AWS rejected the credentials for {where} ({code})", item,
                           "Check the AWS credentials Roster runs with (access key, secret, clock skew)",
                           False, **kw)
    return ScanFailure(UNEXPECTED_RESPONSE, f"{where} failed: {detail}", item,
                       "Retry the scan; report it with the operation name if it persists", False, **kw)
