"""What every scanner shares: the state of one scan (clients, counters, warnings, per-scan caches), the
enrichment rule, the fan-out of per-item calls and the cutting of records into batches."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

import boto3

from discovery.facts import Batch, FactRecord, LinkRecord

from ..errors import ScanFailure, is_not_found
from ..retry import CallStats, RetryPolicy, call, paginate, paginate_pages
from ..session import Clients
from .arns import rest_api_arn
from .incremental import Known

T = TypeVar("T")
PARALLEL_CALLS = 8  # per job; a run has one job per kind group, so ~8 x 8 requests in flight per account


@dataclass(frozen=True)
class Seen:
    """A resource an incremental scan found unchanged: the store marks its stored fact (and the links from it)
    as seen by this run instead of writing them again."""

    external_id: str


Records = Iterator[FactRecord | LinkRecord | Seen]
ClientSource = boto3.Session | Clients | Mapping[str, Any] | Callable[[], boto3.Session]


def iso_time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value if value is None else str(value)


def tags_dict(raw: Any) -> dict[str, str]:
    """Tags as a dict from any AWS shape: {k: v}, [{"Key","Value"}] or [{"key","value"}]."""
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    for tag in raw or []:
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            out[str(key)] = str(tag.get("Value", tag.get("value", "")) or "")
    return out


def chunked(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def client_getter(source: ClientSource, region: str, endpoint_url: str | None) -> Callable[[str], Any]:
    if isinstance(source, Clients):
        return source
    if isinstance(source, boto3.Session):
        return Clients(source, region, endpoint_url)
    if isinstance(source, Mapping):
        return source.__getitem__
    if callable(source):
        return Clients(source(), region, endpoint_url)
    raise TypeError(f"expected a boto3.Session, a session factory, Clients or a mapping, got {type(source)!r}")


class ScanRun:
    """State of one scan: clients, counters, pending warnings, per-scan caches, and what an incremental scan
    knows (``known``; None: read everything)."""

    def __init__(self, clients: Callable[[str], Any], account: str, region: str, stats: CallStats,
                 policy: RetryPolicy | None, known: Known | None = None):
        self.clients = clients
        self.account = account
        self.region = region
        self.stats = stats
        self.policy = policy
        self.known = known
        self.warnings: list[dict[str, Any]] = []
        self._rest_api_ids: dict[str, list[str]] | None = None

    def call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        return call(self.stats, self.clients(service), operation, retry_policy=self.policy, **kwargs)

    def pages(self, service: str, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
        return paginate(self.stats, self.clients(service), operation, result_key, retry_policy=self.policy,
                        **kwargs)

    def page_lists(self, service: str, operation: str, result_key: str, **kwargs: Any) -> Iterator[list]:
        return paginate_pages(self.stats, self.clients(service), operation, result_key, retry_policy=self.policy,
                              **kwargs)

    def optional(self, item: str, fetch: Callable[[], T], default: T | None = None) -> T | None:
        """Run an enrichment call: a failure becomes a warning about ``item`` and ``default`` is used."""
        try:
            return fetch()
        except ScanFailure as failure:
            if not is_not_found(failure):
                failure.item = failure.item or item
                self.warnings.append(failure.as_warning())
            return default

    def fact(self, kind: str, arn: str, name: str, attributes: dict[str, Any], tags: dict[str, str],
             operation: str) -> FactRecord:
        return FactRecord(kind=kind, external_id=arn, name=name, account=self.account, region=self.region,
                          attributes=attributes, tags=tags, operation=operation)

    def unchanged(self, kind: str, external_id: str, current: Mapping[str, Any]) -> bool:
        """An incremental scan knows this resource as it is now (always False for a full scan)."""
        return self.known is not None and self.known.unchanged(kind, external_id, current)

    def seen(self, external_id: str) -> Seen:
        self.stats.add(unchanged=1)
        return Seen(external_id)

    def parallel(self, items: list[Any], fetch: Callable[[Any], T]) -> list[T]:
        """``[fetch(item) for item in items]`` with up to PARALLEL_CALLS in flight: per-item enrichment
        calls (tags, stack resources, task definitions) dominate a scan's wall time at real latencies."""
        if len(items) < 2 or PARALLEL_CALLS <= 1:
            return [fetch(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(PARALLEL_CALLS, len(items))) as pool:
            return list(pool.map(fetch, items))

    def rest_api_arn_by_name(self, name: str) -> str | None:
        """REST APIs are named, not id'd, in CloudWatch dimensions: one GetRestApis per scan."""
        if self._rest_api_ids is None:
            apis = self.optional("apigateway:GetRestApis",
                                 lambda: list(self.pages("apigateway", "get_rest_apis", "items", page_size=500)), [])
            self._rest_api_ids = {}
            for api in apis or []:
                self._rest_api_ids.setdefault(api.get("name", ""), []).append(api["id"])
        ids = self._rest_api_ids.get(name, [])
        return rest_api_arn(self.region, ids[0]) if len(ids) == 1 else None  # ambiguous names: no link


def batches_of(run: ScanRun, records: Iterable[FactRecord | LinkRecord | Seen], batch_size: int) -> Iterator[Batch]:
    """A batch closes as soon as it holds batch_size facts, so it carries exactly the calls made to
    produce them (a closing fact's links then travel in the next batch)."""
    batch, mark, yielded = Batch(), run.stats.api_calls, False

    def close() -> Batch:
        nonlocal batch, mark, yielded
        done, batch, yielded = batch, Batch(), True
        done.warnings, run.warnings = run.warnings, []
        done.api_calls, mark = run.stats.api_calls - mark, run.stats.api_calls
        return done

    for record in records:
        if isinstance(record, FactRecord):
            batch.facts.append(record)
            if len(batch.facts) >= batch_size:
                yield close()
        elif isinstance(record, Seen):
            batch.touched.append(record.external_id)
        else:
            batch.links.append(record)
    if batch.facts or batch.links or batch.touched or run.warnings or run.stats.api_calls > mark or not yielded:
        yield close()  # the remainder; for an empty region, the calls that found nothing
