"""One scanner per kind group: read an AWS account/region and yield ``discovery.facts.Batch``.

Failure rule: a call that decides *which resources exist* (list/describe) failing raises
ScanFailure for the whole kind (the run becomes partial, so nothing gets marked deleted); a call
that only *enriches* resources (tags, images, integrations, stack resources, event sources)
failing becomes a warning on the batch and the scan goes on. A resource that vanished between
the list and the per-item call is skipped silently.

One module per service family; this one holds the registry (kind group -> scanner) and ``scan``.
"""
from __future__ import annotations

from typing import Callable, Iterator

from discovery.facts import Batch

from ..errors import ScanFailure, failure_from
from ..retry import CallStats, RetryPolicy
from .apigateway import scan_http_apis, scan_rest_apis
from .arns import (
    alarm_arn, ecr_repository_arn, ecr_repository_from_image, ecs_cluster_arn, ecs_service_arn, http_api_arn,
    lambda_arn, lambda_arn_from, partition, rds_cluster_arn, rds_instance_arn, resource_arn, rest_api_arn, sqs_arn,
    sqs_arn_from_url,
)
from .cloudformation import scan_stacks
from .cloudwatch import scan_alarms
from .compute import scan_ecs, scan_lambda
from .ecr import scan_ecr
from .incremental import MARKERS, Known
from .kinds import KINDS, REQUIRED_ACTIONS, KindGroup
from .rds import scan_rds
from .run import ClientSource, Records, ScanRun, batches_of, client_getter
from .sqs import scan_sqs
from .tagging import scan_tags

__all__ = [
    "KINDS", "MARKERS", "REQUIRED_ACTIONS", "SCANNERS", "ClientSource", "KindGroup", "Known", "alarm_arn",
    "ecr_repository_arn", "ecr_repository_from_image", "ecs_cluster_arn", "ecs_service_arn", "http_api_arn",
    "lambda_arn", "lambda_arn_from", "partition", "rds_cluster_arn", "rds_instance_arn", "resource_arn", "rest_api_arn",
    "scan", "scan_tags", "sqs_arn", "sqs_arn_from_url",
]

# Keys are the kind groups of KINDS.
SCANNERS: dict[str, Callable[[ScanRun], Records]] = {
    "cloudformation_stack": scan_stacks,
    "ecs": scan_ecs,
    "lambda_function": scan_lambda,
    "apigateway_rest_api": scan_rest_apis,
    "apigateway_http_api": scan_http_apis,
    "rds": scan_rds,
    "sqs_queue": scan_sqs,
    "ecr_repository": scan_ecr,
    "cloudwatch_alarm": scan_alarms,
}


def scan(kind: str, session_factory_or_clients: ClientSource, account: str, region: str, *,
         endpoint_url: str | None = None, batch_size: int = 100, stats: CallStats | None = None,
         retry_policy: RetryPolicy | None = None, known: Known | None = None) -> Iterator[Batch]:
    """Scan one kind group (a key of KINDS) in one account/region; yields Batches of <= batch_size facts.

    ``session_factory_or_clients``: a boto3.Session, a zero-argument callable returning one (called
    on first ``next()``, e.g. ``lambda: assume_role_session(...)``), a ``Clients``, or a mapping
    {service name: client} (tests). ``stats`` accumulates request counts across calls; the generator
    also returns it. Raises ScanFailure when the kind can't be scanned (batches already yielded stand).
    ``known``: an incremental scan, which marks what has not changed since as seen (``Batch.touched``)
    instead of reading its detail again; None reads everything.
    """
    if kind not in SCANNERS:
        raise ValueError(f"unknown AWS kind group {kind!r}; expected one of {sorted(SCANNERS)}")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return _generate(kind, session_factory_or_clients, account, region, endpoint_url, batch_size,
                     stats if stats is not None else CallStats(), retry_policy, known)


def _generate(kind: str, source: ClientSource, account: str, region: str, endpoint_url: str | None,
              batch_size: int, stats: CallStats, policy: RetryPolicy | None, known: Known | None) -> Iterator[Batch]:
    try:
        run = ScanRun(client_getter(source, region, endpoint_url), account, region, stats, policy, known)
        yield from batches_of(run, SCANNERS[kind](run), batch_size)
    except ScanFailure:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # a response missing what we need
        raise failure_from(exc, operation=kind, region=region) from None
    return stats
