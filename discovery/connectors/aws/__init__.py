"""AWS connector: assume the customer's Roster role and scan their resources into fact batches.

Typical use by the job runner::

    stats = CallStats()
    factory = lambda: assume_role_session(role_arn, external_id, region=region)
    for batch in scan("ecs", factory, account_id, region, stats=stats):
        store(batch)
"""
from discovery.connectors.stats import CallStats

from .errors import ScanFailure
from .retry import RetryPolicy
from .scanners import KINDS, REQUIRED_ACTIONS, scan, scan_tags
from .session import Clients, assume_role_session

__all__ = ["KINDS", "REQUIRED_ACTIONS", "CallStats", "Clients", "RetryPolicy", "ScanFailure",
           "assume_role_session", "scan", "scan_tags"]
