"""Run one AWS job of a discovery: one kind group in one account and region, with the role assumed
(with the connection's ExternalId) for this job only. Temporary credentials live in memory only.

An incremental job (``AwsScanState.known`` set: an incremental run after a successful one of the same
selection) still lists everything, but marks what has not changed since as seen instead of reading its
detail again (``scanners.incremental``).

Plain code: the executor hands it an ``AwsScanState`` (``discovery.scan_state``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from discovery import endpoints
from discovery.connectors.aws.errors import ScanFailure
from discovery.connectors.aws.scanners import Known, scan
from discovery.connectors.aws.session import Clients, assume_role_session
from discovery.connectors.stats import CallStats
from discovery.facts import Batch

# discovery.planning kind groups -> the scanner kinds that make them up
SCANNER_KINDS = {
    "cloudformation": ("cloudformation_stack",),
    "ecs": ("ecs",),
    "lambda": ("lambda_function",),
    "apigateway": ("apigateway_rest_api", "apigateway_http_api"),
    "rds": ("rds",),
    "sqs": ("sqs_queue",),
    "ecr": ("ecr_repository",),
    "cloudwatch": ("cloudwatch_alarm",),
}


@dataclass(frozen=True)
class AwsScanState:
    """Everything one AWS job needs: the connection's config and secret, and where and what to scan."""

    config: dict
    secret: dict
    # Ours, never the tenant's (confused-deputy protection): the connection's model field, not anything in config.
    external_id: str
    connection_name: str  # the item of a refused endpoint
    scanner: str          # a key of SCANNER_KINDS
    account: str
    region: str
    batch_size: int
    # What the last successful run of this selection stored, for an incremental read; None: read everything.
    known: Known | None = None
    # The tenant's shared token bucket for this account (discovery.ratelimit); None: requests are not paced.
    limiter: Any = None


class AwsJobScanner:
    def __init__(self, state: AwsScanState):
        self.state = state
        self.config = state.config
        self.external_id = state.external_id
        try:
            # The operator's endpoint (or real AWS); a tenant endpoint_url, even one written through the admin
            # or a shell, is refused before anything is signed or sent.
            self.endpoint_url = endpoints.aws_endpoint(self.config)
        except endpoints.EndpointRefused as exc:
            raise ScanFailure(exc.reason_code, exc.message, state.connection_name, exc.remediation) from None
        secret = state.secret
        self.base = ({"aws_access_key_id": secret["access_key_id"],
                      "aws_secret_access_key": secret["secret_access_key"]}
                     if secret.get("access_key_id") and secret.get("secret_access_key") else None)
        self.call_stats = CallStats(limiter=state.limiter)

    def role_arn(self) -> str:
        role = self.config["role_arn"]
        account = self.state.account
        # One role name across accounts: the connection's role ARN names the role, the job names the account.
        return role if f":{account}:" in role else f"arn:aws:iam::{account}:role/{role.rsplit('/', 1)[-1]}"

    def batches(self) -> Iterator[Batch]:
        state = self.state
        session = assume_role_session(self.role_arn(), self.external_id, region=state.region,
                                      endpoint_url=self.endpoint_url, base_credentials=self.base)
        clients = Clients(session, state.region, self.endpoint_url)
        for kind in SCANNER_KINDS[state.scanner]:
            yield from scan(kind, clients, state.account, state.region, endpoint_url=self.endpoint_url,
                            batch_size=state.batch_size, stats=self.call_stats, known=state.known)

    def stats(self) -> dict:
        data = self.call_stats.as_dict()
        return {"retries": data.get("retries", 0), "throttled": data.get("throttled", 0),
                "wait_seconds": data.get("wait_seconds", 0.0),
                "extra": {"per_operation": data.get("per_operation", {}),
                          "mode": "full" if self.state.known is None else "incremental",
                          "unchanged": data.get("unchanged", 0)}}

    def learned(self) -> dict:
        return {}  # nothing to keep between AWS jobs
