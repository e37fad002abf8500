"""Sessions and clients for scanning a customer account through the role it created for Roster.

The temporary credentials live only inside the returned ``boto3.Session``; nothing here logs,
stores or returns them otherwise.
"""
from __future__ import annotations

import threading

from typing import Any, Mapping

import boto3
from botocore.config import Config

from .errors import failure_from
from .retry import CallStats, call

# No botocore retries (total_max_attempts=1 means the first try only; "max_attempts": 1 would still
# allow one retry): retry.call retries throttling itself and counts every request.
CLIENT_CONFIG = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=20,
    user_agent_extra="roster-discovery",
)


def client(session: boto3.Session, service: str, region: str, endpoint_url: str | None = None) -> Any:
    """A client with our timeouts and no SDK retries; ``endpoint_url`` (moto) applies to every service."""
    return session.client(service, region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG)


def assume_role(sts: Any, role_arn: str, external_id: str, *, region: str,
                session_name: str = "roster-discovery", duration: int = 3600) -> boto3.Session:
    """AssumeRole with ``sts`` (any STS client) and wrap the temporary credentials in a Session.

    Raises ScanFailure: assume_role_refused (trust policy / ExternalId), invalid_credentials,
    expired_credentials, region_not_enabled, endpoint_unreachable, throttled...
    """
    try:
        response = call(CallStats(), sts, "assume_role", RoleArn=role_arn, RoleSessionName=session_name,
                        ExternalId=external_id, DurationSeconds=duration)
        creds = response["Credentials"]
        return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                             aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds["SessionToken"], region_name=region)
    except Exception as exc:  # noqa: BLE001 - mapped to a reason code; "from None" keeps creds out of tracebacks
        raise failure_from(exc, operation="sts:AssumeRole", region=region, item=role_arn) from None


def assume_role_session(role_arn: str, external_id: str, *, region: str, endpoint_url: str | None = None,
                        base_credentials: boto3.Session | Mapping[str, str] | None = None,
                        session_name: str = "roster-discovery", duration: int = 3600) -> boto3.Session:
    """A Session holding temporary credentials for ``role_arn``, obtained with ``external_id``.

    ``base_credentials``: Roster's own identity, a boto3.Session or a mapping of boto3.Session
    keyword arguments (aws_access_key_id, aws_secret_access_key, aws_session_token); default: the
    standard credential chain. STS is called regionally in ``region`` (or at ``endpoint_url``).
    """
    if isinstance(base_credentials, boto3.Session):
        base = base_credentials
    else:
        base = boto3.Session(**dict(base_credentials or {}))
    sts = client(base, "sts", region, endpoint_url)
    return assume_role(sts, role_arn, external_id, region=region, session_name=session_name, duration=duration)


class Clients:
    """One client per service for a (session, region, endpoint), created on first use."""

    def __init__(self, session: boto3.Session, region: str, endpoint_url: str | None = None):
        self.session = session
        self.region = region
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()  # boto3 sessions are not thread-safe; the clients they make are

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = client(self.session, service, self.region, self.endpoint_url)
            return self._clients[service]
