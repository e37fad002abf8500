"""Every AWS call of a scan goes through ``call``: throttling is retried with exponential backoff and
full jitter, everything else fails at once as a ``ScanFailure``. botocore's own retries are off
(see ``session.CLIENT_CONFIG``) so the counts here are the real number of requests.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator

import botocore.session
import jmespath
from botocore.exceptions import ClientError, DataNotFoundError
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from discovery.connectors.stats import CallStats

from .errors import UNEXPECTED_RESPONSE, ScanFailure, failure_from, is_throttle


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8          # total tries of one request, the first included
    base: float = 0.2          # first backoff window, seconds
    cap: float = 10.0          # largest backoff window, seconds
    sleep: Callable[[float], None] = time.sleep


DEFAULT_POLICY = RetryPolicy()

# Label prefixes that differ from the client's service name (IAM uses "tag:", not the SDK name).
_LABEL_PREFIX = {"resourcegroupstaggingapi": "tag"}


def operation_label(client: Any, operation_name: str) -> str:
    """"ecs:DescribeServices" for ``(ecs client, "describe_services")``: provenance and IAM hints."""
    service = client.meta.service_model.service_name
    api = client.meta.method_to_api_mapping.get(operation_name, operation_name)
    return f"{_LABEL_PREFIX.get(service, service)}:{api}"


def call(stats: CallStats, client: Any, operation_name: str, *, retry_policy: RetryPolicy | None = None,
         **kwargs: Any) -> dict[str, Any]:
    """Call ``client.<operation_name>(**kwargs)``, retrying throttling; raise ScanFailure otherwise."""
    policy = retry_policy or DEFAULT_POLICY
    label = operation_label(client, operation_name)
    method = getattr(client, operation_name)
    host = f"{client.meta.service_model.service_name}.{client.meta.region_name or 'global'}"
    attempts = 0

    def attempt() -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        stats.pace(host)
        stats.count_call(label)
        try:
            return method(**kwargs)
        except ClientError as exc:
            if is_throttle(exc):
                stats.add(throttled=1)
                stats.slowed_down(host)
            raise

    def before_sleep(state: Any) -> None:
        stats.add(retries=1, wait_seconds=state.next_action.sleep)

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_random_exponential(multiplier=policy.base, max=policy.cap),
        retry=retry_if_exception(is_throttle),
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a ScanFailure
        # "from None": the original exception may carry request details we don't want in logs.
        raise failure_from(exc, operation=label, region=client.meta.region_name or "",
                           attempts=attempts) from None


@lru_cache(maxsize=1)
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@lru_cache(maxsize=None)
def _pagination_config(service: str, api_version: str, api_name: str) -> dict[str, Any] | None:
    try:
        model = _botocore_session().get_paginator_model(service, api_version)
    except DataNotFoundError:
        return None
    try:
        return model.get_paginator(api_name)
    except ValueError:
        return None


# (input token, output token) pairs tried, in order, when an operation has no botocore paginator.
_MANUAL_TOKENS = (
    ("NextToken", "NextToken"), ("nextToken", "nextToken"), ("Marker", "NextMarker"),
    ("Marker", "Marker"), ("position", "position"), ("PaginationToken", "PaginationToken"),
)


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _token_config(client: Any, api_name: str) -> tuple[list[str], list[str], str | None, str | None]:
    model = client.meta.service_model
    cfg = _pagination_config(model.service_name, model.api_version, api_name)
    if cfg:
        return (_as_list(cfg["input_token"]), _as_list(cfg["output_token"]),
                cfg.get("more_results"), cfg.get("limit_key"))
    op = model.operation_model(api_name)
    inputs = op.input_shape.members if op.input_shape else {}
    outputs = op.output_shape.members if op.output_shape else {}
    for token_in, token_out in _MANUAL_TOKENS:
        if token_in in inputs and token_out in outputs:
            return [token_in], [token_out], None, None
    return [], [], None, None


def paginate(stats: CallStats, client: Any, operation_name: str, result_key: str, *,
             retry_policy: RetryPolicy | None = None, page_size: int | None = None,
             **kwargs: Any) -> Iterator[Any]:
    """Yield every item under ``result_key`` across all pages; each page is one retried ``call``."""
    for items in paginate_pages(stats, client, operation_name, result_key, retry_policy=retry_policy,
                                page_size=page_size, **kwargs):
        yield from items


def paginate_pages(stats: CallStats, client: Any, operation_name: str, result_key: str, *,
                   retry_policy: RetryPolicy | None = None, page_size: int | None = None,
                   **kwargs: Any) -> Iterator[list]:
    """Yield the items of each page as a list (so a scanner can enrich a page at a time and stream).

    Uses the operation's botocore pagination model (tokens, more-results flag, limit key), or a plain
    NextToken/Marker/position loop when botocore has none, or a single call when it isn't paged.
    """
    api_name = client.meta.method_to_api_mapping[operation_name]
    tokens_in, tokens_out, more_results, limit_key = _token_config(client, api_name)
    params = dict(kwargs)
    if page_size and limit_key:
        params[limit_key] = page_size
    seen: set[tuple] = set()
    while True:
        page = call(stats, client, operation_name, retry_policy=retry_policy, **params)
        items = page.get(result_key, [])  # AWS leaves the key out when there is nothing
        if not isinstance(items, list):
            raise ScanFailure(UNEXPECTED_RESPONSE, f"{operation_label(client, operation_name)} returned "
                              f"{type(items).__name__} for {result_key}", "",
                              "Retry the scan; report it if it persists", False,
                              operation=operation_label(client, operation_name))
        yield items
        if not tokens_in or (more_results and not jmespath.search(more_results, page)):
            return
        next_tokens = [jmespath.search(expr, page) for expr in tokens_out]
        marker = tuple(str(t) for t in next_tokens)
        if not any(next_tokens) or marker in seen:  # the second check guards against a looping token
            return
        seen.add(marker)
        for name, value in zip(tokens_in, next_tokens):
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
