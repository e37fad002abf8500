"""Bridge from a job to its connector: builds the scanner for a connection from a plain scan state
(``discovery.scan_state``) and describes failures."""
from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded

from discovery import scan_state
from portal.redact import sanitize_message


def scanner_for(connection, job, secret: dict):
    """A scanner with ``batches()``, ``stats()`` and ``learned()`` (for ``scan_state.keep``)."""
    if connection.provider == "aws":
        from discovery.connectors.aws.job import AwsJobScanner

        return AwsJobScanner(scan_state.aws_state(connection, job, secret))
    from discovery.connectors.github.job import GithubJobScanner

    return GithubJobScanner(scan_state.github_state(connection, job, secret))


def describe_failure(exc: Exception, *, item: str, secrets: tuple[str, ...] = ()) -> dict:
    """A stable reason code, a sanitized message, the item and a remediation, whatever the exception."""
    code = getattr(exc, "reason_code", None)
    if code:
        return {
            "reason_code": code,
            "message": sanitize_message(getattr(exc, "message", None) or str(exc), secrets),
            "item": sanitize_message(getattr(exc, "item", None) or item, secrets, limit=200),
            "remediation": getattr(exc, "remediation", "") or "",
        }
    if isinstance(exc, SoftTimeLimitExceeded):
        return {
            "reason_code": "time_limit",
            "message": "the job ran past the worker's time limit and was stopped (what it found so far is kept)",
            "item": item,
            "remediation": "Narrow the selection (fewer regions, kinds or repositories per run), or raise "
                           "ROSTER_VISIBILITY_TIMEOUT, which the task time limits follow.",
        }
    return {
        "reason_code": "unexpected_response",
        "message": sanitize_message(f"{type(exc).__name__}: {exc}", secrets),
        "item": item,
        "remediation": "Retry the run; if it fails again, the upstream answered something Roster does not "
                       "understand: report it with the run id.",
    }
