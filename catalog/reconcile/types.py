"""What reconcile reads (fact and link views) and what it returns (drafts, their resource claims, the result)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FactView:
    id: int | str
    kind: str
    external_id: str
    name: str
    account: str
    region: str
    attributes: dict
    tags: dict
    connection_id: Any = None


@dataclass(frozen=True)
class LinkView:
    source_id: str
    relation: str
    target_id: str
    attributes: dict


@dataclass(frozen=True)
class ResourceClaim:
    external_id: str
    kind: str
    name: str
    account: str
    region: str
    rule: str
    confidence: float


@dataclass
class ServiceDraft:
    key: str
    name: str
    display_name: str = ""
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    entry_type: str = "service"          # service | component
    component_type: str = ""             # library, website, docs, infrastructure, tool, service
    service_type: str = ""               # api, worker, cron, service
    lifecycle: str = "production"
    tier: str = "standard"
    system: str = ""
    environments: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    tech_stack: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)   # repository topics and catalog tags
    repo: str | None = None
    repo_url: str = ""
    repo_default_branch: str = ""
    repo_confidence: float = 0.0
    repo_rule: str = ""
    resources: list[ResourceClaim] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    confidence: float = 0.0
    evidence: list[dict[str, Any]] = field(default_factory=list)
    health: str = "unknown"
    owner_tags: list[str] = field(default_factory=list)   # raw owner-tag values seen on its resources
    # what reconcile saw about the owner, for the ownership step to score (``ownership.inference``)
    owner_evidence: dict[str, Any] = field(default_factory=dict)
    last_deploy: dict[str, Any] | None = None   # ``last_deploy.FIELDS``, or None when nothing says
    existing_id: Any = None
    fingerprint: str = ""

    def compute_fingerprint(self) -> str:
        """Hash of everything the catalog stores for this entry (not its id or the hash itself)."""
        data = {k: v for k, v in vars(self).items() if k not in ("fingerprint", "existing_id", "resources")}
        data["resources"] = [tuple(vars(r).values()) for r in self.resources]
        raw = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        self.fingerprint = hashlib.sha256(raw.encode()).hexdigest()
        return self.fingerprint


@dataclass
class ReconcileResult:
    services: list[ServiceDraft]
    excluded: list[dict[str, Any]]       # {"external_id", "kind", "name", "reason"}
    stats: dict[str, Any] = field(default_factory=dict)
    directory: dict[str, Any] = field(default_factory=dict)   # the team directory's arguments, as data
