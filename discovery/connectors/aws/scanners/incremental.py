"""What an incremental AWS scan knows from the last successful run of its selection, and how it decides that a
resource has not changed since: the list call's own fields against what that run stored.

A resource judged unchanged is marked seen (``run.seen``) without its detail calls, and its stored fact and
links stay exactly as that run wrote them. ``discovery.scan_state`` builds ``Known`` from stored facts, asking
for the attributes named in ``MARKERS``; the connector stays plain code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from discovery.facts import (
    APIGW_HTTP_API, APIGW_REST_API, CFN_STACK, ECR_REPOSITORY, ECS_SERVICE, LAMBDA_FUNCTION, SQS_QUEUE,
)


@dataclass(frozen=True)
class Marker:
    compare: tuple[str, ...]     # stored attributes that move whenever the resource's detail does
    complete: str | None = None  # an attribute only a complete read stores (a failed detail call leaves it out)


# Fact kinds read incrementally. The others (ECS clusters, RDS, alarms) come whole from their list calls.
MARKERS: dict[str, Marker] = {
    # Every stack operation that can change resources, tags or description moves LastUpdatedTime (and status).
    CFN_STACK: Marker(("status", "created_at", "updated_at"), "resources"),
    # ListFunctions returns the whole configuration; a code or configuration update moves LastModified.
    LAMBDA_FUNCTION: Marker(("runtime", "handler", "description", "last_modified", "memory_size", "package_type",
                             "event_sources"), "event_sources"),
    # A task definition revision is immutable: the images read for one ARN hold for as long as it exists.
    ECS_SERVICE: Marker(("task_definition", "images"), "images"),
    # Nothing in these list calls tells a change; known resources keep their stored tags / integrations.
    SQS_QUEUE: Marker(("url",)),
    ECR_REPOSITORY: Marker(("created_at",)),
    APIGW_REST_API: Marker(("api_id",)),
    APIGW_HTTP_API: Marker(("api_id",)),
}


@dataclass(frozen=True)
class Known:
    """Per fact kind: external id -> the stored values of its MARKERS attributes."""

    facts: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)

    def of(self, kind: str) -> Mapping[str, Mapping[str, Any]]:
        return self.facts.get(kind) or {}

    def unchanged(self, kind: str, external_id: str, current: Mapping[str, Any]) -> bool:
        """True when the run that stored ``external_id`` saw exactly ``current`` in the compared attributes."""
        stored = self.of(kind).get(external_id)
        return stored is not None and all(stored.get(key) == current.get(key) for key in MARKERS[kind].compare)

    def task_images(self) -> dict[str, list[str]]:
        """Images per task definition ARN, as read by an earlier run."""
        return {stored["task_definition"]: list(stored["images"]) for stored in self.of(ECS_SERVICE).values()
                if stored.get("task_definition") and isinstance(stored.get("images"), list)}

    def queue_arns(self) -> dict[str, str]:
        """Queue URL -> ARN (the external id the earlier run stored)."""
        return {stored["url"]: arn for arn, stored in self.of(SQS_QUEUE).items() if stored.get("url")}
