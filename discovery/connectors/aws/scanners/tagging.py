"""Tags from the Resource Groups Tagging API, for kinds whose own API returns none."""
from __future__ import annotations

from typing import Any, Iterable

from ..retry import CallStats, RetryPolicy, paginate
from .run import ClientSource, client_getter, tags_dict


def tag_map(stats: CallStats, client: Any, policy: RetryPolicy | None,
            resource_types: list[str]) -> dict[str, dict[str, str]]:
    kwargs = {"ResourceTypeFilters": resource_types} if resource_types else {}
    return {m["ResourceARN"]: tags_dict(m.get("Tags"))
            for m in paginate(stats, client, "get_resources", "ResourceTagMappingList", retry_policy=policy,
                              page_size=100, **kwargs)}


def scan_tags(session_factory_or_clients: ClientSource, region: str, *, resource_types: Iterable[str] = (),
              endpoint_url: str | None = None, stats: CallStats | None = None,
              retry_policy: RetryPolicy | None = None) -> dict[str, dict[str, str]]:
    """{ARN: tags} for tagged resources in ``region`` via tag:GetResources (paginated), optionally
    filtered by "service[:type]" (e.g. "cloudwatch:alarm"), to merge into kinds lacking tags."""
    clients = client_getter(session_factory_or_clients, region, endpoint_url)
    return tag_map(stats if stats is not None else CallStats(), clients("resourcegroupstaggingapi"),
                   retry_policy, list(resource_types))
