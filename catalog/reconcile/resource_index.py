"""The facts and links of one reconcile, looked up by id, kind, name and link, and by the stack they belong to."""
from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import Iterable

from catalog.reconcile.rules import COMPUTE_KINDS, DATA_KINDS
from catalog.reconcile.types import FactView, LinkView
from discovery.facts import (
    APIGW_HTTP_API, APIGW_REST_API, CFN_STACK, CONTAINS, ECR_REPOSITORY, ECS_SERVICE, LAMBDA_FUNCTION, RDS_CLUSTER,
    RDS_INSTANCE, SQS_QUEUE,
)

# kinds looked up by (lowercase) name
NAMED_KINDS = (CFN_STACK, ECS_SERVICE, LAMBDA_FUNCTION, ECR_REPOSITORY, RDS_INSTANCE, SQS_QUEUE,
               APIGW_REST_API, APIGW_HTTP_API, RDS_CLUSTER)


class ResourceIndex:
    def __init__(self, facts: Iterable[FactView], links: Iterable[LinkView]):
        self.by_id: dict[str, FactView] = {}
        self.by_kind: dict[str, list[FactView]] = defaultdict(list)
        for fact in facts:
            self.by_id[fact.external_id] = fact
        for fact in sorted(self.by_id.values(), key=lambda f: (f.kind, f.external_id)):
            self.by_kind[fact.kind].append(fact)
        self.out: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.into: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.link_attrs: dict[tuple[str, str, str], dict] = {}
        for link in sorted(links, key=lambda l: (l.source_id, l.relation, l.target_id)):
            key = (link.source_id, link.relation, link.target_id)
            if key in self.link_attrs:
                continue
            self.link_attrs[key] = link.attributes or {}
            self.out[(link.source_id, link.relation)].append(link.target_id)
            self.into[(link.target_id, link.relation)].append(link.source_id)
        self.by_name: dict[tuple[str, str], list[FactView]] = defaultdict(list)
        for kind in NAMED_KINDS:
            for fact in self.by_kind.get(kind, ()):
                self.by_name[(kind, fact.name.lower())].append(fact)

    def targets(self, source: str, relation: str) -> list[FactView]:
        return [self.by_id[t] for t in self.out.get((source, relation), ()) if t in self.by_id]

    def sources(self, target: str, relation: str) -> list[FactView]:
        return [self.by_id[s] for s in self.into.get((target, relation), ()) if s in self.by_id]

    # --- stacks ----------------------------------------------------------------------------------

    def stack_of(self, fact: FactView) -> FactView | None:
        """The stack a resource's ``aws:cloudformation:*`` tags say it belongs to."""
        tags = fact.tags or {}
        stack = self.by_id.get(str(tags.get("aws:cloudformation:stack-id") or ""))
        if stack is None and tags.get("aws:cloudformation:stack-name"):
            stack = next((s for s in self.by_name.get((CFN_STACK, str(tags["aws:cloudformation:stack-name"]).lower()), ())
                          if s.account == fact.account and s.region == fact.region), None)
        return stack if stack is not None and stack is not fact else None

    @cached_property
    def tagged_members(self) -> dict[str, list[str]]:
        """Stack id -> the compute and data resources whose tags name that stack."""
        members: dict[str, list[str]] = defaultdict(list)
        for kind in COMPUTE_KINDS + DATA_KINDS:
            for fact in self.by_kind.get(kind, ()):
                stack = self.stack_of(fact) if fact.tags else None
                if stack is not None:
                    members[stack.external_id].append(fact.external_id)
        return members

    def stack_members(self, stack: FactView, seen: set[str] | None = None) -> list[FactView]:
        """Everything a stack holds, its nested stacks and their resources included."""
        seen = set() if seen is None else seen
        seen.add(stack.external_id)
        ids = list(self.out.get((stack.external_id, CONTAINS), ()))
        for res in (stack.attributes or {}).get("resources") or []:
            if isinstance(res, dict) and res.get("arn"):
                ids.append(res["arn"])
        # resources whose tags name the stack although its resource listing missed them
        ids.extend(self.tagged_members.get(stack.external_id, ()))
        out: list[FactView] = []
        for ext in dict.fromkeys(ids):
            fact = self.by_id.get(ext)
            if fact is None or ext in seen:
                continue
            if fact.kind == CFN_STACK:  # nested stack: its resources belong to the parent's service
                out.append(fact)
                out.extend(self.stack_members(fact, seen))
            else:
                out.append(fact)
        return out
