"""Reconcile: facts from AWS and GitHub -> catalog entries (services and components) with evidence.

Pure and deterministic: the same facts give the same drafts, in the same order, with the same
fingerprints. The pipeline:

1. **Units** (one deployable seen in one place), by the architecture's identification rules:
   CloudFormation stack (0.95), ECS service (0.90), API Gateway with its Lambdas (0.85), Lambdas
   sharing a ``service``-like tag (0.80), standalone Lambdas grouped by name prefix (0.60).
2. **Services**: units sharing a name key are one service, across accounts, regions and
   stages (``payments-api-prod`` + ``PaymentsApiStaging`` + tag ``service: payments-api``).
3. **Attachments**: databases, queues, image repositories and alarms join the service that owns
   them through stack membership, event sources, images, alarm targets, tags or name prefix;
   they never become services themselves.
4. **Repositories**: explicit tag (0.95), deploy workflow target (0.90), ECR image (0.85),
   catalog-info name (0.85), normalized name (0.75), Lambda name prefix (0.70), then a
   Levenshtein <= 2 match between *leftovers only*, one to one. Weak links never take a
   repository another service already holds, so ``search-hub`` and ``search-service`` stay apart.
5. Repositories with no infrastructure become components (archived and forked ones are excluded).
6. Ownership (``ownership.scoring``), corrections (``ownership.propagation``) and identity across
   runs (``catalog.identity``).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from catalog import naming as N
from catalog.identity import match_existing
from discovery import facts as F
from ownership import scoring as S
from ownership.propagation import apply_corrections

# --- inputs and outputs ----------------------------------------------------------------------


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
    owner: str | None = None
    owner_confidence: float = 0.0
    ownership_status: str = "unowned"
    owner_source: str = ""
    runner_up: str | None = None
    runner_up_score: float = 0.0
    owner_candidates: list[dict[str, Any]] = field(default_factory=list)
    owner_tags: list[str] = field(default_factory=list)   # raw owner-tag values seen on its resources
    corrected_fields: list[str] = field(default_factory=list)
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


# --- rule confidences ------------------------------------------------------------------------------
EXISTENCE = {"stack": 0.95, "ecs": 0.90, "api": 0.85, "tag": 0.80, "lambda": 0.60, "repo": 0.60, "catalog": 0.85}
REPO_RULES = {"explicit_tag": 0.95, "deploy_workflow": 0.90, "ecr_image": 0.85, "catalog_info": 0.85,
              "name_match": 0.75, "lambda_name": 0.70}
STRONG_LINK = 0.85  # links at or above this may give one repository to several services (monorepos)

COMPUTE_KINDS = (F.ECS_SERVICE, F.LAMBDA_FUNCTION, F.APIGW_REST_API, F.APIGW_HTTP_API)
API_KINDS = (F.APIGW_REST_API, F.APIGW_HTTP_API)
DATA_KINDS = (F.RDS_INSTANCE, F.RDS_CLUSTER, F.SQS_QUEUE, F.ECR_REPOSITORY, F.CLOUDWATCH_ALARM)
# CloudFormation resource types that run code: a stack with one of them is a service even when we
# do not scan that type (Step Functions, App Runner, EC2 ...).
COMPUTE_CFN_TYPES = ("AWS::ECS::Service", "AWS::Lambda::Function", "AWS::Serverless::Function",
                     "AWS::StepFunctions::StateMachine", "AWS::AppRunner::Service", "AWS::Batch::JobDefinition",
                     "AWS::EC2::Instance", "AWS::AutoScaling::AutoScalingGroup", "AWS::ElasticBeanstalk::Environment",
                     "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::Glue::Job",
                     "AWS::KinesisAnalyticsV2::Application")
# Stacks that tools create for themselves.
TOOL_STACK_PREFIXES = ("cdktoolkit", "aws-sam-cli-managed")

SERVICE_TAG_KEYS = ("service", "servicename", "copilotservice", "app", "application", "appname", "component")
REPO_TAG_KEYS = ("githubrepo", "githubrepository", "repository", "repo", "source", "sourcerepo", "gitrepo",
                 "coderepo", "sourcecode", "gitrepository", "repourl", "git")
ENV_TAG_KEYS = ("env", "environment", "stage")

COMPONENT_WORDS = (
    ("library", ("lib", "library", "sdk", "client", "common", "shared", "utils", "util", "kit", "proto",
                 "protos", "schema", "schemas", "toolkit")),
    ("website", ("web", "website", "frontend", "ui", "site", "webapp", "portal", "dashboard", "spa", "console")),
    ("docs", ("docs", "doc", "documentation", "handbook", "wiki", "guide", "guides", "runbooks", "adr")),
    ("tool", ("cli", "tool", "tools", "script", "scripts", "bot", "action", "actions", "generator", "template")),
    ("infrastructure", ("terraform", "infra", "infrastructure", "helm", "charts", "k8s", "kubernetes", "ansible",
                        "cdk", "iac", "modules", "pulumi", "playbooks")),
)


@lru_cache(maxsize=4096)
def _norm_key(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


def _tag(tags: dict, keys: Iterable[str]) -> str | None:
    normalized = {_norm_key(k): v for k, v in (tags or {}).items() if not str(k).startswith("aws:")}
    for key in keys:
        value = normalized.get(key)
        if value and str(value).strip():
            return str(value).strip()
    return None


# --- indexes -------------------------------------------------------------------------------------------


class _Index:
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
        for kind in (F.CFN_STACK, F.ECS_SERVICE, F.LAMBDA_FUNCTION, F.ECR_REPOSITORY, F.RDS_INSTANCE, F.SQS_QUEUE,
                     F.APIGW_REST_API, F.APIGW_HTTP_API, F.RDS_CLUSTER):
            for fact in self.by_kind.get(kind, ()):
                self.by_name[(kind, fact.name.lower())].append(fact)

    def targets(self, source: str, relation: str) -> list[FactView]:
        return [self.by_id[t] for t in self.out.get((source, relation), ()) if t in self.by_id]

    def sources(self, target: str, relation: str) -> list[FactView]:
        return [self.by_id[s] for s in self.into.get((target, relation), ()) if s in self.by_id]


def _directory(ix: _Index) -> S.TeamDirectory:
    teams = []
    for fact in ix.by_kind.get(F.GH_TEAM, ()):
        attrs = fact.attributes or {}
        parent = attrs.get("parent")
        if not parent:
            parents = ix.targets(fact.external_id, F.CHILD_OF)
            parent = parents[0].name if parents else None
        teams.append({"slug": fact.name, "name": attrs.get("name") or fact.name, "parent": parent,
                      "members": list(attrs.get("members") or [])})
    members = [{"login": f.name, "email": (f.attributes or {}).get("email"), "name": (f.attributes or {}).get("name")}
               for f in ix.by_kind.get(F.GH_MEMBER, ())]
    memberships = []
    for team in ix.by_kind.get(F.GH_TEAM, ()):
        for src in ix.into.get((team.external_id, F.MEMBER_OF), ()):
            memberships.append((src.rsplit("/", 1)[-1], team.name))
    return S.TeamDirectory(teams, members, memberships)


# --- units and services -----------------------------------------------------------------------------


@dataclass(eq=False)
class _Unit:
    kind: str                      # stack | ecs | api | tag | lambda
    anchor: FactView
    members: dict[str, tuple[FactView, str, float]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    names: list[tuple[int, str]] = field(default_factory=list)  # (priority, canonical name); lower wins
    aliases: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def add(self, fact: FactView, rule: str, confidence: float) -> None:
        self.members.setdefault(fact.external_id, (fact, rule, confidence))


@dataclass(eq=False)
class _Group:
    units: list[_Unit]
    members: dict[str, tuple[FactView, str, float]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    names: list[tuple[int, str]] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    repo_edges: list[tuple[float, str, str, list[str], str]] = field(default_factory=list)  # conf, rule, repo id, facts, detail
    repo: str | None = None
    repo_rule: str = ""
    repo_confidence: float = 0.0

    @property
    def existence(self) -> float:
        return max(EXISTENCE[u.kind] for u in self.units)

    def add(self, fact: FactView, rule: str, confidence: float) -> None:
        self.members.setdefault(fact.external_id, (fact, rule, confidence))


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _service_tag_keys(tags: dict) -> tuple[set[str], str | None]:
    value = _tag(tags, SERVICE_TAG_KEYS)
    if not value:
        return set(), None
    return N.name_keys(value), N.canonical(value)


class _Reconciler:
    def __init__(self, facts, links):
        self.ix = _Index(facts, links)
        self.directory = _directory(self.ix)
        self.units: list[_Unit] = []
        self.claimed: dict[str, _Unit] = {}
        self.excluded: list[dict[str, Any]] = []
        self.repos: dict[str, FactView] = {}
        self.repo_keys: dict[str, set[str]] = {}
        self.repo_by_name: dict[str, str] = {}
        self.repo_by_key: dict[str, list[str]] = defaultdict(list)
        self.repo_declares: dict[str, dict[str, list[FactView]]] = {}
        # a company's name often prefixes its resource and repository names ("acme-billing-prod")
        self.orgs = frozenset(w for kind in (F.GH_ORG, F.GH_REPO) for f in self.ix.by_kind.get(kind, ())
                              for w in N.words(f.account or f.name))

    def name_entry(self, name: str, kind: str) -> tuple[set[str], str]:
        """Keys and canonical name of an AWS resource's name."""
        return (N.name_keys(name, kind=kind, drop_prefixes=self.orgs),
                N.canonical(name, kind=kind, drop_prefixes=self.orgs))

    # ---- step 0: repositories (needed early: their names are known service names)
    def load_repos(self) -> None:
        for repo in self.ix.by_kind.get(F.GH_REPO, ()):
            attrs = repo.attributes or {}
            if attrs.get("archived") or attrs.get("fork"):
                self.excluded.append({"external_id": repo.external_id, "kind": repo.kind, "name": repo.name,
                                      "reason": "archived" if attrs.get("archived") else "fork"})
                continue
            self.repos[repo.external_id] = repo
            declared: dict[str, list[FactView]] = defaultdict(list)
            for target in self.ix.targets(repo.external_id, F.DECLARES):
                declared[target.kind].append(target)
            self.repo_declares[repo.external_id] = declared
            keys = N.name_keys(repo.name, strip_env=False, drop_prefixes=self.orgs) | N.name_keys(repo.name)
            for entity in declared.get(F.GH_CATALOG_ENTITY, ()):
                if (entity.attributes or {}).get("entity_kind", "Component") in ("Component", "API", "Resource"):
                    keys |= N.name_keys(entity.name, strip_env=False)
            self.repo_keys[repo.external_id] = keys
            full = str(attrs.get("full_name") or f"{repo.account}/{repo.name}").lower()
            self.repo_by_name[full] = repo.external_id
            self.repo_by_name.setdefault(repo.name.lower(), repo.external_id)
            for key in keys:
                self.repo_by_key[key].append(repo.external_id)

    def repo_for_reference(self, value: str) -> str | None:
        """A repository named by a tag value: "org/name", a GitHub URL, or a bare name."""
        v = str(value).strip().lower()
        for prefix in ("https://", "http://", "git@", "ssh://git@"):
            if v.startswith(prefix):
                v = v[len(prefix):]
        v = v.replace("github.com:", "github.com/")
        if v.startswith("github.com/"):
            v = v[len("github.com/"):]
        v = v.removesuffix(".git").strip("/")
        parts = v.split("/")
        if len(parts) >= 2 and "/".join(parts[:2]) in self.repo_by_name:
            return self.repo_by_name["/".join(parts[:2])]
        return self.repo_by_name.get(parts[-1]) if parts and parts[-1] else None

    # ---- step 1: units
    def _claim(self, unit: _Unit, fact: FactView, rule: str, conf: float) -> None:
        if fact.external_id in self.claimed:
            return
        unit.add(fact, rule, conf)
        self.claimed[fact.external_id] = unit

    def stack_units(self) -> list[FactView]:
        """Stacks with something that runs become units; the rest are returned for attachment."""
        ix = self.ix
        self.tagged_members: dict[str, list[str]] = defaultdict(list)
        for kind in COMPUTE_KINDS + DATA_KINDS:
            for fact in ix.by_kind.get(kind, ()):
                stack = self.stack_of(fact) if fact.tags else None
                if stack is not None:
                    self.tagged_members[stack.external_id].append(fact.external_id)
        stacks = ix.by_kind.get(F.CFN_STACK, ())
        child_of_stack = {t for s in stacks for t in ix.out.get((s.external_id, F.CONTAINS), ()) if t in ix.by_id
                          and ix.by_id[t].kind == F.CFN_STACK}
        data_stacks = []
        for stack in stacks:
            if stack.external_id in child_of_stack:
                continue
            if stack.name.lower().startswith(TOOL_STACK_PREFIXES):
                self.excluded.append({"external_id": stack.external_id, "kind": stack.kind, "name": stack.name,
                                      "reason": "tool_stack"})
                continue
            members = self._stack_members(stack, set())
            types = {r.get("type") for r in (stack.attributes or {}).get("resources") or [] if isinstance(r, dict)}
            runs_code = any(m.kind in COMPUTE_KINDS for m in members) or bool(types & set(COMPUTE_CFN_TYPES))
            tag_keys, tag_name = _service_tag_keys(stack.tags)
            if not runs_code and not tag_name:
                data_stacks.append(stack)
                continue
            unit = _Unit("stack", stack)
            self._claim(unit, stack, "cloudformation_stack", EXISTENCE["stack"])
            keys, canon = self.name_entry(stack.name, F.CFN_STACK)
            unit.keys |= keys
            if canon:
                unit.names.append((2, canon))
            unit.aliases.append(stack.name)
            if tag_name:
                unit.keys |= tag_keys
                unit.names.append((1, tag_name))
            member_tags = Counter()
            for m in members:
                self._claim(unit, m, "stack_membership", EXISTENCE["stack"])
                if m.kind == F.ECS_SERVICE:
                    k, c = self.name_entry(m.name, m.kind)
                    unit.keys |= k
                    if c:
                        unit.names.append((3, c))
                    unit.aliases.append(m.name)
                if m.kind in COMPUTE_KINDS:
                    _, member_tag = _service_tag_keys(m.tags)
                    if member_tag:
                        member_tags[member_tag] += 1
            if not tag_name and member_tags:
                best = sorted(member_tags.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                unit.keys |= N.name_keys(best)
                unit.names.append((1, best))
            unit.evidence.append({"rule": "cloudformation_stack", "facts": [stack.external_id],
                                  "confidence": EXISTENCE["stack"], "detail": f"stack {stack.name}"})
            self.units.append(unit)
        return data_stacks

    def stack_of(self, fact: FactView) -> FactView | None:
        """The stack a resource's ``aws:cloudformation:*`` tags say it belongs to."""
        tags = fact.tags or {}
        stack = self.ix.by_id.get(str(tags.get("aws:cloudformation:stack-id") or ""))
        if stack is None and tags.get("aws:cloudformation:stack-name"):
            stack = next((s for s in self.ix.by_name.get((F.CFN_STACK, str(tags["aws:cloudformation:stack-name"]).lower()), ())
                          if s.account == fact.account and s.region == fact.region), None)
        return stack if stack is not None and stack is not fact else None

    def _stack_members(self, stack: FactView, seen: set[str]) -> list[FactView]:
        seen.add(stack.external_id)
        ids = list(self.ix.out.get((stack.external_id, F.CONTAINS), ()))
        for res in (stack.attributes or {}).get("resources") or []:
            if isinstance(res, dict) and res.get("arn"):
                ids.append(res["arn"])
        # resources whose tags name the stack although its resource listing missed them
        ids.extend(self.tagged_members.get(stack.external_id, ()))
        out: list[FactView] = []
        for ext in dict.fromkeys(ids):
            fact = self.ix.by_id.get(ext)
            if fact is None or ext in seen:
                continue
            if fact.kind == F.CFN_STACK:  # nested stack: its resources belong to the parent's service
                out.append(fact)
                out.extend(self._stack_members(fact, seen))
            else:
                out.append(fact)
        return out

    def ecs_units(self) -> None:
        for svc in self.ix.by_kind.get(F.ECS_SERVICE, ()):
            if svc.external_id in self.claimed:
                continue
            unit = _Unit("ecs", svc)
            self._claim(unit, svc, "ecs_service", EXISTENCE["ecs"])
            keys, canon = self.name_entry(svc.name, F.ECS_SERVICE)
            unit.keys |= keys
            unit.names.append((3, canon))
            unit.aliases.append(svc.name)
            tag_keys, tag_name = _service_tag_keys(svc.tags)
            if tag_name:
                unit.keys |= tag_keys
                unit.names.append((1, tag_name))
            unit.evidence.append({"rule": "ecs_service", "facts": [svc.external_id], "confidence": EXISTENCE["ecs"],
                                  "detail": f"ECS service {svc.name} in cluster {(svc.attributes or {}).get('cluster', '')}"})
            self.units.append(unit)

    def api_units(self) -> None:
        for kind in API_KINDS:
            for api in self.ix.by_kind.get(kind, ()):
                functions = self.ix.targets(api.external_id, F.INTEGRATES)
                owner = self.claimed.get(api.external_id)
                if owner is None:
                    # an API whose Lambdas already belong to a stack joins that stack's service
                    owners = Counter(id(self.claimed[f.external_id]) for f in functions if f.external_id in self.claimed)
                    if owners:
                        best = owners.most_common(1)[0][0]
                        owner = next(self.claimed[f.external_id] for f in functions
                                     if f.external_id in self.claimed and id(self.claimed[f.external_id]) == best)
                        self._claim(owner, api, "api_integration", EXISTENCE["api"])
                if owner is not None:
                    for fn in functions:
                        self._claim(owner, fn, "api_integration", EXISTENCE["api"])
                    continue
                unit = _Unit("api", api)
                self._claim(unit, api, "apigateway", EXISTENCE["api"])
                keys, canon = self.name_entry(api.name, kind)
                unit.keys |= keys
                if canon:
                    unit.names.append((3, canon))
                # the words its Lambdas share name the service better than the API does when they agree
                # with it ("tax-api" + Lambda "tax-api"; "billing-api" + "billing-reader", "billing-writer")
                shared = _common_prefix([N.service_words(f.name, kind=F.LAMBDA_FUNCTION) for f in functions])
                if shared and N.compact_words(shared) in keys:
                    unit.names.append((2, "-".join(shared)))
                unit.aliases.append(api.name)
                tag_keys, tag_name = _service_tag_keys(api.tags)
                fn_tags = Counter(t for t in (_service_tag_keys(f.tags)[1] for f in functions) if t)
                if not tag_name and fn_tags:
                    tag_name = sorted(fn_tags.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                    tag_keys = N.name_keys(tag_name)
                if tag_name:
                    unit.keys |= tag_keys
                    unit.names.append((1, tag_name))
                for fn in functions:
                    self._claim(unit, fn, "api_integration", EXISTENCE["api"])
                unit.evidence.append({"rule": "lambda_api_group", "facts": [api.external_id] + [f.external_id for f in functions],
                                      "confidence": EXISTENCE["api"],
                                      "detail": f"API {api.name} integrates {len(functions)} Lambda function(s)"})
                self.units.append(unit)

    def known_keys(self) -> set[str]:
        known: set[str] = set()
        for unit in self.units:
            known |= unit.keys
        for keys in self.repo_keys.values():
            known |= keys
        for kind in COMPUTE_KINDS + DATA_KINDS:
            for fact in self.ix.by_kind.get(kind, ()):
                known |= _service_tag_keys(fact.tags)[0]
        for target in self.ix.by_kind.get(F.GH_DEPLOY_TARGET, ()):
            if (target.attributes or {}).get("target_kind") in ("serverless_service", "cdk_stack", F.CFN_STACK):
                known |= N.name_keys(target.name)
        return known

    @staticmethod
    def prefix_key(tokens: tuple[str, ...], known: set[str]) -> tuple[str, tuple[str, ...]] | None:
        """Longest known service key that starts ``tokens`` (a word prefix, compared compact)."""
        for i in range(len(tokens), 0, -1):
            key = N.compact_words(tokens[:i])
            if key not in known:
                continue
            rest = tokens[i:]
            if i == len(tokens) or i >= 2 or (len(key) >= 8 and len(rest) == 1):
                return key, tokens[:i]
        return None

    def lambda_units(self, known: set[str]) -> None:
        loose = [fn for fn in self.ix.by_kind.get(F.LAMBDA_FUNCTION, ()) if fn.external_id not in self.claimed]
        tokens = {fn.external_id: N.service_words(fn.name, kind=F.LAMBDA_FUNCTION) for fn in loose}
        # "{service}-{function}" names: a last function word is cut only when two differently named
        # Lambdas share what is left ("orders-create" + "orders-list"); a lone "supplier-sftp-sync" keeps its name
        siblings: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        for toks in tokens.values():
            if len(toks) >= 2 and toks[-1] in N.FUNCTION_WORDS:
                siblings[toks[:-1]].add(toks)
        for fn in loose:
            toks = tokens[fn.external_id]
            tag_keys, tag_name = _service_tag_keys(fn.tags)
            found = self.prefix_key(toks, known)
            if found:
                key, words = found
            else:
                cut = toks[:-1] if len(toks) >= 2 and toks[-1] in N.FUNCTION_WORDS else None
                words = cut if cut and len(siblings[cut]) > 1 else toks
                key = N.compact_words(words)
            unit = _Unit("tag" if tag_name else "lambda", fn)
            conf = EXISTENCE[unit.kind]
            rule = "tagged_resource_group" if tag_name else "lambda_name_prefix"
            self._claim(unit, fn, rule, conf)
            if key:
                unit.keys.add(key)
                unit.names.append((4, "-".join(words)))
            if tag_name:
                unit.keys |= tag_keys
                unit.names.append((1, tag_name))
            unit.evidence.append({
                "rule": rule, "facts": [fn.external_id], "confidence": conf,
                "detail": f"Lambda {fn.name} grouped by " + (f"service tag {tag_name}" if tag_name else f"name prefix {'-'.join(words)}")})
            self.units.append(unit)

    # ---- step 2: services
    def merge_units(self) -> list[_Group]:
        uf = _UnionFind(len(self.units))
        first: dict[str, int] = {}
        for i, unit in enumerate(self.units):
            for key in sorted(unit.keys):
                if key in first:
                    uf.union(first[key], i)
                else:
                    first[key] = i
        buckets: dict[int, list[_Unit]] = defaultdict(list)
        for i, unit in enumerate(self.units):
            buckets[uf.find(i)].append(unit)
        groups = []
        for root in sorted(buckets):
            units = buckets[root]
            g = _Group(units)
            for u in units:
                for ext, claim in u.members.items():
                    g.members.setdefault(ext, claim)
                g.keys |= u.keys
                g.names.extend(u.names)
                g.aliases.extend(u.aliases)
                g.evidence.extend(u.evidence)
            groups.append(g)
        return groups

    # ---- step 3: attachments
    def attach(self, groups: list[_Group], data_stacks: list[FactView]) -> None:
        ix = self.ix
        owner: dict[str, _Group] = {}
        for g in groups:
            for ext in g.members:
                owner[ext] = g
        by_key: dict[str, list[_Group]] = defaultdict(list)
        for g in groups:
            for key in g.keys:
                by_key[key].append(g)

        def take(g: _Group, fact: FactView, rule: str, conf: float, detail: str, via: list[str]):
            if fact.external_id in owner:
                return
            g.add(fact, rule, conf)
            owner[fact.external_id] = g
            g.evidence.append({"rule": rule, "facts": [fact.external_id] + via, "confidence": conf, "detail": detail})

        by_prefix: dict[tuple[str, ...], set[int]] = defaultdict(set)
        for gi, g in enumerate(groups):
            for _, name in g.names:
                ws = tuple(N.singular(w) for w in name.split("-") if w)
                for i in range(1, len(ws) + 1):
                    by_prefix[ws[:i]].add(gi)
        team_of: dict[int, str | None] = {}

        def group_team(gi: int) -> str | None:
            if gi not in team_of:
                votes = S.tag_votes([f.tags for f, _, _ in groups[gi].members.values()], self.directory)
                team_of[gi] = max(sorted(votes), key=votes.get) if votes else None
            return team_of[gi]

        def by_name(fact: FactView) -> tuple[_Group, str] | None:
            keys, _ = _service_tag_keys(fact.tags)
            for key in sorted(keys):
                if len(by_key.get(key, ())) == 1:
                    return by_key[key][0], "tag"
            tokens = N.data_words(fact.name)
            for i in range(len(tokens), 0, -1):
                key = N.compact_words(tokens[:i])
                cands = by_key.get(key, ())
                rest = tokens[i:]
                if len(cands) == 1 and (i >= 2 or len(key) >= 8 or not rest) and all(
                        w in N.DATA_WORDS or w.isdigit() or w in N.FUNCTION_WORDS for w in rest):
                    return cands[0], "name_prefix"
            # "cart-db" next to the only service whose name starts with "cart", owned by the same team
            core = tuple(N.singular(w) for w in tokens if w not in N.DATA_WORDS and not w.isdigit())
            cands = by_prefix.get(core, set()) if core and len(N.compact_words(core)) >= 3 else set()
            if len(cands) == 1:
                gi = next(iter(cands))
                mine = S.tag_votes([fact.tags], self.directory)
                if not mine or not group_team(gi) or group_team(gi) in mine:
                    return groups[gi], "name_prefix"
            return None

        for stack in data_stacks:
            hit = next((by_key[k][0] for k in sorted(N.name_keys(stack.name)) if len(by_key.get(k, ())) == 1), None)
            if hit is None:
                self.excluded.append({"external_id": stack.external_id, "kind": stack.kind, "name": stack.name,
                                      "reason": "stack_without_compute"})
                continue
            take(hit, stack, "name_match", 0.75, f"stack {stack.name} holds data for this service", [])
            for m in self._stack_members(stack, set()):
                take(hit, m, "stack_membership", EXISTENCE["stack"], f"in stack {stack.name}", [stack.external_id])

        # structural links first: event sources, images, RDS cluster membership, alarm targets
        for q in ix.by_kind.get(F.SQS_QUEUE, ()):
            fns = [f for f in ix.targets(q.external_id, F.TRIGGERS) if f.external_id in owner]
            gs = list(dict.fromkeys(owner[f.external_id] for f in fns))
            if len(gs) == 1:
                take(gs[0], q, "event_source", 0.85, f"queue {q.name} triggers {fns[0].name}", [fns[0].external_id])
        for repo in ix.by_kind.get(F.ECR_REPOSITORY, ()):
            users = [s for s in ix.sources(repo.external_id, F.USES_IMAGE) if s.external_id in owner]
            gs = list(dict.fromkeys(owner[s.external_id] for s in users))
            if len(gs) == 1:
                take(gs[0], repo, "ecs_image", 0.90, f"{users[0].name} runs images from {repo.name}", [users[0].external_id])
        for cluster in ix.by_kind.get(F.RDS_CLUSTER, ()):
            hit = None if cluster.external_id in owner else by_name(cluster)
            if hit:
                take(hit[0], cluster, hit[1], 0.80 if hit[1] == "tag" else 0.60, f"{cluster.name} matched by {hit[1]}", [])
        members_of = {m: c for c in ix.by_kind.get(F.RDS_CLUSTER, ()) for m in (c.attributes or {}).get("members") or []}
        clusters = {c.name.lower(): c for c in ix.by_kind.get(F.RDS_CLUSTER, ())}
        for db in ix.by_kind.get(F.RDS_INSTANCE, ()):
            cluster = clusters.get(str((db.attributes or {}).get("cluster_identifier") or "").lower()) or members_of.get(db.name)
            if cluster is not None and cluster.external_id in owner:
                take(owner[cluster.external_id], db, "rds_cluster_member", 0.90,
                     f"{db.name} is a member of {cluster.name}", [cluster.external_id])
        for kind in (F.RDS_INSTANCE, F.SQS_QUEUE, F.ECR_REPOSITORY):
            for fact in ix.by_kind.get(kind, ()):
                hit = None if fact.external_id in owner else by_name(fact)
                if hit:
                    take(hit[0], fact, hit[1], 0.80 if hit[1] == "tag" else 0.60, f"{fact.name} matched by {hit[1]}", [])
        for alarm in ix.by_kind.get(F.CLOUDWATCH_ALARM, ()):
            targets = [t for t in ix.targets(alarm.external_id, F.WATCHES) if t.external_id in owner]
            if targets:
                take(owner[targets[0].external_id], alarm, "alarm_target", 0.90,
                     f"alarm {alarm.name} watches {targets[0].name}", [targets[0].external_id])
                continue
            hit = by_name(alarm)
            if hit:
                take(hit[0], alarm, hit[1], 0.80 if hit[1] == "tag" else 0.60, f"alarm {alarm.name} matched by {hit[1]}", [])
        for kind in DATA_KINDS + COMPUTE_KINDS:
            for fact in ix.by_kind.get(kind, ()):
                if fact.external_id not in owner:
                    self.excluded.append({"external_id": fact.external_id, "kind": kind, "name": fact.name,
                                          "reason": "unattached"})

    # ---- step 4: repositories
    def repo_edges(self, groups: list[_Group]) -> None:
        ix = self.ix
        owner: dict[str, _Group] = {ext: g for g in groups for ext in g.members}
        group_by_key: dict[str, list[_Group]] = defaultdict(list)
        for g in groups:
            for key in g.keys:
                group_by_key[key].append(g)

        def edge(g: _Group, repo_id: str, rule: str, facts: list[str], detail: str, conf: float | None = None):
            g.repo_edges.append((conf if conf is not None else REPO_RULES[rule], rule, repo_id, facts, detail))

        # explicit tags
        for g in groups:
            for ext, (fact, _, _) in g.members.items():
                value = _tag(fact.tags, REPO_TAG_KEYS)
                repo_id = self.repo_for_reference(value) if value else None
                if repo_id:
                    edge(g, repo_id, "explicit_tag", [ext, repo_id], f"{fact.name} is tagged {value}")
        # deploy workflows
        for repo_id, declared in self.repo_declares.items():
            for target in declared.get(F.GH_DEPLOY_TARGET, ()):
                attrs = target.attributes or {}
                for g, fact_id, rule, conf in self._deploy_matches(attrs.get("target_kind"), target, attrs,
                                                                   owner, group_by_key):
                    edge(g, repo_id, rule, [target.external_id] + ([fact_id] if fact_id else []),
                         f"{attrs.get('path') or 'workflow'} deploys {attrs.get('target_kind')} {target.name}", conf)
        # images built from a repository of the same name
        for g in groups:
            for ext, (fact, _, _) in g.members.items():
                if fact.kind != F.ECS_SERVICE:
                    continue
                for image in (fact.attributes or {}).get("images") or []:
                    name = _image_repo_name(image)
                    repo_id = self.repo_by_name.get(name.lower()) if name else None
                    if repo_id is None and name:
                        cands = {r for k in N.name_keys(name, strip_env=False) for r in self.repo_by_key.get(k, ())}
                        repo_id = next(iter(cands)) if len(cands) == 1 else None
                    if repo_id:
                        edge(g, repo_id, "ecr_image", [ext, repo_id], f"{fact.name} runs image {name}")
        # catalog-info component names, then plain names
        for repo_id, declared in self.repo_declares.items():
            for entity in declared.get(F.GH_CATALOG_ENTITY, ()):
                for key in N.name_keys(entity.name, strip_env=False):
                    for g in group_by_key.get(key, ()):
                        edge(g, repo_id, "catalog_info", [entity.external_id], f"catalog-info names {entity.name}")
            repo = self.repos[repo_id]
            for key in self.repo_keys[repo_id]:
                for g in group_by_key.get(key, ()):
                    edge(g, repo_id, "name_match", [repo_id], f"repository {repo.name} has the service's name")
        # Lambda functions named after a repository ("payments-webhook-handler" -> payments), one to one
        for g in groups:
            if any(e[0] >= REPO_RULES["name_match"] for e in g.repo_edges):
                continue
            for ext, (fact, _, _) in g.members.items():
                if fact.kind != F.LAMBDA_FUNCTION:
                    continue
                tokens = N.service_words(fact.name, kind=F.LAMBDA_FUNCTION)
                for i in range(len(tokens) - 1, 0, -1):
                    key = N.compact_words(tokens[:i])
                    cands = self.repo_by_key.get(key, ()) if len(key) >= 5 else ()
                    if len(cands) == 1:
                        edge(g, cands[0], "lambda_name", [ext, cands[0]], f"Lambda {fact.name} starts with the repository name")
                        break

    def _deploy_matches(self, kind, target, attrs, owner, group_by_key):
        ix = self.ix
        name = target.name
        account, region = attrs.get("account"), attrs.get("region")

        def scoped(facts):
            return [f for f in facts if (not account or f.account == account) and (not region or f.region == region)]

        hits: list[tuple[_Group, str | None, str, float]] = []
        if kind == F.ECS_SERVICE:
            facts = scoped(ix.by_name.get((F.ECS_SERVICE, name.lower()), ()))
            cluster = str(attrs.get("cluster") or "").lower()
            exact = [f for f in facts if not cluster or str((f.attributes or {}).get("cluster", "")).lower() == cluster]
            for f in exact or facts:
                if f.external_id in owner:
                    hits.append((owner[f.external_id], f.external_id, "deploy_workflow",
                                 REPO_RULES["deploy_workflow"] if exact else 0.85))
        elif kind == F.LAMBDA_FUNCTION:
            for f in scoped(ix.by_name.get((F.LAMBDA_FUNCTION, name.lower()), ())):
                if f.external_id in owner:
                    hits.append((owner[f.external_id], f.external_id, "deploy_workflow", REPO_RULES["deploy_workflow"]))
        elif kind in (F.CFN_STACK, "cdk_stack"):
            for f in scoped(ix.by_name.get((F.CFN_STACK, name.lower()), ())):
                if f.external_id in owner:
                    hits.append((owner[f.external_id], f.external_id, "deploy_workflow", REPO_RULES["deploy_workflow"]))
        elif kind == "ecr_image":
            for repo in scoped(ix.by_name.get((F.ECR_REPOSITORY, name.lower()), ())):
                holders = [owner[repo.external_id]] if repo.external_id in owner else []
                holders += [owner[s.external_id] for s in ix.sources(repo.external_id, F.USES_IMAGE) if s.external_id in owner]
                for g in dict.fromkeys(holders):
                    hits.append((g, repo.external_id, "ecr_image", REPO_RULES["ecr_image"]))
        if not hits and kind in ("serverless_service", "cdk_stack", F.CFN_STACK, F.ECS_SERVICE, F.LAMBDA_FUNCTION):
            # no resource by that exact name: the target names the service (serverless `service:`, a CDK
            # stack id, a stage-less name)
            k = F.LAMBDA_FUNCTION if kind == F.LAMBDA_FUNCTION else F.CFN_STACK
            for key in sorted(N.name_keys(name, kind=k)):
                for g in group_by_key.get(key, ()):
                    hits.append((g, None, "deploy_workflow", REPO_RULES["deploy_workflow"] if kind == "serverless_service" else 0.85))
        return hits

    def assign_repos(self, groups: list[_Group]) -> None:
        """Strong links first (they may share a repository); weak ones one to one, best first."""
        taken: dict[str, _Group] = {}
        rule_rank = {r: i for i, r in enumerate(REPO_RULES)}
        edges = []
        for gi, g in enumerate(groups):
            best: dict[str, tuple] = {}
            for conf, rule, repo_id, facts, detail in g.repo_edges:
                cur = best.get(repo_id)
                if cur is None or (conf, -rule_rank[rule]) > (cur[0], -rule_rank[cur[1]]):
                    best[repo_id] = (conf, rule, repo_id, facts, detail)
            for repo_id, e in best.items():
                support = sum(1 for x in g.repo_edges if x[2] == repo_id)
                edges.append((-e[0], rule_rank[e[1]], -support, gi, repo_id, e))
        edges.sort(key=lambda x: x[:5])
        for _, _, _, gi, repo_id, (conf, rule, _, facts, detail) in edges:
            g = groups[gi]
            if g.repo is not None:
                continue
            if conf < STRONG_LINK and repo_id in taken:
                continue
            g.repo, g.repo_rule, g.repo_confidence = repo_id, rule, conf
            taken.setdefault(repo_id, g)
            g.evidence.append({"rule": rule, "facts": facts, "confidence": conf, "detail": detail})
        self.fuzzy_leftovers(groups, taken)

    def fuzzy_leftovers(self, groups: list[_Group], taken: dict[str, _Group]) -> None:
        """Levenshtein <= 2 between services with no repository and repositories nobody claimed."""
        with_edges = {e[2] for g in groups for e in g.repo_edges}
        free_repos = [r for r in self.repos if r not in taken and r not in with_edges]
        lonely = [g for g in groups if g.repo is None]
        if not free_repos or not lonely:
            return
        pairs = []
        for gi, g in enumerate(lonely):
            for repo_id in free_repos:
                best = None
                for a in g.keys:
                    for b in self.repo_keys[repo_id]:
                        d = N.fuzzy_equal(a, b)
                        if d is not None and (best is None or d < best):
                            best = d
                if best is not None:
                    pairs.append((best, gi, repo_id))
        pairs.sort()
        count_g = Counter((gi, d) for d, gi, _ in pairs)
        count_r = Counter((r, d) for d, _, r in pairs)
        used_g, used_r = set(), set()
        for d, gi, repo_id in pairs:
            if gi in used_g or repo_id in used_r:
                continue
            if count_g[(gi, d)] > 1 or count_r[(repo_id, d)] > 1:
                continue  # two equally close candidates: not sure enough to pick one
            g = lonely[gi]
            used_g.add(gi)
            used_r.add(repo_id)
            g.repo, g.repo_rule, g.repo_confidence = repo_id, "name_match", REPO_RULES["name_match"]
            g.evidence.append({"rule": "name_match", "facts": [repo_id], "confidence": REPO_RULES["name_match"],
                               "detail": f"repository {self.repos[repo_id].name} is {d} edit(s) from the service name"})

    def merge_related(self, groups: list[_Group]) -> list[_Group]:
        """One service seen under two spellings in different stages is merged:
        - both deployed from one repository (strong link), in different stages or with near-identical
          names (``audit-eng`` / ``audit-engine``);
        - or, with no conflicting repository or owner tag, in different stages under names that are
          the same words abbreviated (``clm-worker`` prod, ``claimsworker`` staging) or <= 2 edits apart,
          when that pairing is the only one for both."""
        facts = [[f for f, _, _ in g.members.values()] for g in groups]
        envs = [{e for e in (_env_of_fact(f) for f in fs if f.kind in (F.CFN_STACK,) + COMPUTE_KINDS) if e} for fs in facts]
        accounts = [{f.account for f in fs if f.account} for fs in facts]
        owners = []
        for fs in facts:
            votes = S.tag_votes([f.tags for f in fs], self.directory)
            owners.append(max(sorted(votes), key=votes.get) if votes else None)
        words = [{tuple(n.split("-")) for _, n in g.names if n} for g in groups]

        def apart(i: int, j: int) -> bool:
            if envs[i] and envs[j]:
                return not envs[i] & envs[j]
            return not accounts[i] & accounts[j]

        uf = _UnionFind(len(groups))
        by_repo: dict[str, list[int]] = defaultdict(list)
        for i, g in enumerate(groups):
            if g.repo:
                by_repo[g.repo].append(i)
        for repo_id, idx in by_repo.items():
            strong = [i for i in idx if groups[i].repo_confidence >= STRONG_LINK]
            for a in strong:
                for b in strong:
                    if a < b and (apart(a, b) or _similar_keys(groups[a].keys, groups[b].keys)):
                        uf.union(a, b)
        # a service left without its repository because another stage of it took the repository first
        for b, g in enumerate(groups):
            if g.repo:
                continue
            for repo_id in sorted({e[2] for e in g.repo_edges}):
                holders = [a for a in by_repo.get(repo_id, ()) if apart(a, b)]
                if len(holders) == 1:
                    uf.union(holders[0], b)
                    break
        buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, ws in enumerate(words):
            for w in ws:
                if len(w) >= 2:
                    buckets[(w[0][:1], N.singular(w[-1]))].append(i)
                elif w and len(w[0]) > 3:  # a compound single word: bucket it under each known last word
                    buckets[(w[0][:1], "*" + w[0])].append(i)
        last_words = {k[1] for k in buckets if not k[1].startswith("*")}
        for key in [k for k in buckets if k[1].startswith("*")]:
            compound = key[1][1:]
            for lw in last_words:
                if compound.endswith(lw) and len(compound) > len(lw) + 1:
                    buckets[(key[0], lw)].extend(buckets[key])
        candidates: dict[int, set[int]] = defaultdict(set)
        for key, idx in buckets.items():
            if key[1].startswith("*"):
                continue
            idx = sorted(set(idx))
            for x, a in enumerate(idx):
                for b in idx[x + 1:]:
                    if uf.find(a) == uf.find(b) or not apart(a, b):
                        continue
                    ra, rb = groups[a].repo, groups[b].repo
                    if ra and rb and ra != rb:
                        continue
                    if owners[a] and owners[b] and owners[a] != owners[b]:
                        continue
                    if any(N.abbreviation_match(p, q) for p in words[a] for q in words[b]) or \
                            _similar_keys(groups[a].keys, groups[b].keys, prefix=False):
                        candidates[a].add(b)
                        candidates[b].add(a)
        for a, others in candidates.items():
            if len(others) == 1:
                b = next(iter(others))
                if len(candidates[b]) == 1:
                    uf.union(a, b)
        merged: dict[int, _Group] = {}
        out = []
        for i, g in enumerate(groups):
            root = uf.find(i)
            if root not in merged:
                merged[root] = g
                out.append(g)
                continue
            head = merged[root]
            head.units.extend(g.units)
            for ext, claim in g.members.items():
                head.members.setdefault(ext, claim)
            head.keys |= g.keys
            head.names.extend(g.names)
            head.aliases.extend(g.aliases)
            head.evidence.extend(g.evidence)
            if g.repo and (not head.repo or g.repo_confidence > head.repo_confidence):
                head.repo, head.repo_rule, head.repo_confidence = g.repo, g.repo_rule, g.repo_confidence
            head.evidence.append({"rule": "same_service_across_stages", "facts": [g.units[0].anchor.external_id],
                                  "confidence": 0.80, "detail": f"{sorted(g.names)[0][1] if g.names else '?'} is the same "
                                  f"service in another stage or account"})
        return out


def _common_prefix(names: list[tuple[str, ...]]) -> tuple[str, ...]:
    if not names:
        return ()
    out = []
    for column in zip(*names):
        if len(set(column)) != 1:
            break
        out.append(column[0])
    return tuple(out)


def _similar_keys(a: set[str], b: set[str], *, prefix: bool = True) -> bool:
    for x in a:
        for y in b:
            short, long_ = sorted((x, y), key=len)
            if prefix and len(short) >= 5 and long_.startswith(short):
                return True
            if N.fuzzy_equal(x, y) is not None:
                return True
    return False


def _image_repo_name(image: str) -> str | None:
    ref = str(image or "").split("@", 1)[0]
    path = ref.split("/", 1)[1] if "/" in ref and ("." in ref.split("/", 1)[0] or ":" in ref.split("/", 1)[0]) else ref
    path = path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path
    name = path.rsplit("/", 1)[-1]
    return name or None


# --- drafts ----------------------------------------------------------------------------------------


def _pick_name(names: list[tuple[int, str]], extra: list[tuple[int, str]]) -> str:
    names = [(p, n) for p, n in names + extra if n]
    if not names:
        return "unnamed"
    names.sort(key=lambda pn: (pn[0], -len(pn[1].split("-")), pn[1]))
    top_key = N.compact(names[0][1])
    same = [(p, n) for p, n in names if N.compact(n) == top_key]
    # among spellings of the winning name, the best-segmented one ("push-manager" over "pushmanager")
    same.sort(key=lambda pn: (-len(pn[1].split("-")), pn[0], pn[1]))
    return same[0][1]


def _env_of_fact(fact: FactView) -> str | None:
    env = N.env_of(fact.name)
    if env:
        return env
    if fact.kind == F.ECS_SERVICE:
        env = N.env_of(str((fact.attributes or {}).get("cluster") or ""))
        if env:
            return env
    value = _tag(fact.tags, ENV_TAG_KEYS)
    return N.ENV_ALIASES.get(value.lower()) if value else None


def _health(alarms: list[FactView]) -> str:
    states = [str((a.attributes or {}).get("state") or "").upper() for a in alarms]
    known = [s for s in states if s in ("OK", "ALARM")]
    if not known:
        return "unknown"
    firing = [a for a, s in zip(alarms, states) if s == "ALARM"]
    if not firing:
        return "healthy"
    critical = any(w in N.words(a.name) for a in firing for w in ("critical", "down", "p1", "sev1", "outage"))
    if critical or len(firing) * 2 > len(known) and len(known) > 1:
        return "down"
    return "degraded"


def _runtime_family(runtime: str) -> str:
    r = runtime.lower()
    for prefix, name in (("python", "Python"), ("nodejs", "Node.js"), ("java", "Java"), ("go", "Go"),
                         ("dotnet", ".NET"), ("ruby", "Ruby"), ("provided", "Custom runtime")):
        if r.startswith(prefix):
            return name
    return runtime


def _component_type(repo: FactView, entities: list[FactView]) -> str:
    for entity in entities:
        ctype = str((entity.attributes or {}).get("type") or "").lower()
        if ctype:
            return {"documentation": "docs", "web": "website", "frontend": "website"}.get(ctype, ctype)
    attrs = repo.attributes or {}
    words = set(N.words(repo.name)) | {str(t).lower() for t in attrs.get("topics") or []}
    hits = [(len(words & set(markers)), -i, ctype) for i, (ctype, markers) in enumerate(COMPONENT_WORDS)]
    best = max(hits)
    if best[0]:
        return best[2]
    lang = attrs.get("primary_language")
    if lang in ("HCL", "Smarty", "Jsonnet"):
        return "infrastructure"
    if lang in ("Markdown", "MDX", "TeX"):
        return "docs"
    return "service"


IAC_MARKERS = frozenset({"terraform", "ansible", "helm", "charts", "playbooks", "playbook", "modules", "puppet", "chef",
                         "pulumi", "kustomize", "cloudformation", "terragrunt", "salt"})


def _infrastructure_module(repo: FactView) -> bool:
    """Shared IaC (Terraform modules, Ansible playbooks, Helm charts) that deploys nothing of its
    own: not a catalog entry. Only called for repositories no infrastructure was linked to."""
    attrs = repo.attributes or {}
    words = set(N.words(repo.name)) | {str(t).lower() for t in attrs.get("topics") or []}
    return bool(words & IAC_MARKERS) or attrs.get("primary_language") == "HCL"


def _service_type(members: list[FactView], name: str) -> str:
    kinds = {m.kind for m in members}
    words = set(N.words(name))
    if kinds & set(API_KINDS) or words & {"api", "gateway", "gw", "graphql", "rest"}:
        return "api"
    if words & {"scheduler", "cron", "batch", "job", "jobs", "nightly", "reporter", "rotator"}:
        return "cron"
    if words & {"worker", "consumer", "processor", "indexer", "sync", "shipper", "handler", "listener", "pipeline"} \
            or any(m.kind == F.SQS_QUEUE for m in members):
        return "worker"
    if words & {"web", "frontend", "ui", "site", "portal"}:
        return "web"
    return "service"


class _DraftBuilder:
    def __init__(self, rec: _Reconciler):
        self.rec = rec
        self.ix = rec.ix

    def repo_signals(self, repo_id: str | None, signals: S.OwnerSignals, folder_keys: set[str],
                     entity_names: set[str]) -> None:
        if not repo_id:
            return
        repo = self.rec.repos[repo_id]
        attrs = repo.attributes or {}
        declared = self.rec.repo_declares.get(repo_id, {})
        rules = [r for r in declared.get(F.GH_CODEOWNER_RULE, ())]
        path = attrs.get("codeowners_path")
        if path:
            rules = [r for r in rules if (r.attributes or {}).get("path") in (path, None)] or rules
        if rules:
            shares, owners = S.codeowner_shares([r.attributes or {} for r in rules], self.rec.directory, folder_keys)
            signals.codeowners = shares
            signals.details["codeowners"] = {"path": path, "owners": owners}
        entities = [e for e in declared.get(F.GH_CATALOG_ENTITY, ()) if (e.attributes or {}).get("owner")]
        mine = [e for e in entities if e.name in entity_names] if len(entities) > 1 else entities
        owners = [str(e.attributes["owner"]) for e in mine]
        if owners:
            signals.catalog_info = S.catalog_votes(owners, self.rec.directory)
        signals.commits = S.commit_votes(attrs.get("commit_authors") or {}, self.rec.directory)
        perms: dict[str, str] = {}
        for team_id in self.ix.into.get((repo_id, F.HAS_PERMISSION), ()):
            team = self.ix.by_id.get(team_id)
            if team is None:
                continue
            level = str(self.ix.link_attrs.get((team_id, F.HAS_PERMISSION, repo_id), {}).get("permission") or "")
            if S.PERMISSION_STRENGTH.get(level, 0) > S.PERMISSION_STRENGTH.get(perms.get(team.name, ""), 0):
                perms[team.name] = level
        signals.permissions = perms

    def own_tags(self, fact: FactView) -> dict:
        """A resource's tags without the ones its stack copied onto it: the stack votes once, itself."""
        stack = self.rec.stack_of(fact) if fact.tags else None
        if stack is None:
            return fact.tags or {}
        inherited = stack.tags or {}
        return {k: v for k, v in (fact.tags or {}).items() if inherited.get(k) != v}

    def ownership(self, draft: ServiceDraft, repo_id: str | None, members: list[FactView],
                  folder_keys: set[str] = frozenset(), entity_names: set[str] = frozenset()) -> None:
        signals = S.OwnerSignals()
        self.repo_signals(repo_id, signals, set(folder_keys), set(entity_names))
        tagged = [self.own_tags(m) for m in members if m.kind != F.CLOUDWATCH_ALARM]
        signals.tags = S.tag_votes(tagged, self.rec.directory)
        signals.unknown_teams = frozenset(t for t in (*signals.tags, *signals.catalog_info)
                                          if not self.rec.directory.is_known(t))
        draft.owner_tags = sorted({v for t in tagged for v in S.owner_tag_values(t)})
        result = S.score_owners(signals)
        draft.owner = result.owner
        draft.owner_confidence = result.confidence
        draft.ownership_status = result.status
        draft.owner_source = result.source
        draft.runner_up = result.runner_up
        draft.runner_up_score = result.runner_up_score
        draft.owner_candidates = [dict(c) for c in result.candidates[:5]]
        if result.owner:
            draft.evidence.append({"rule": "ownership", "facts": [repo_id] if repo_id else [],
                                   "confidence": result.confidence,
                                   "detail": f"owner {result.owner} ({result.status}) mainly from {result.source}"})

    def repo_fields(self, draft: ServiceDraft, repo_id: str) -> None:
        repo = self.rec.repos[repo_id]
        attrs = repo.attributes or {}
        draft.repo = attrs.get("full_name") or f"{repo.account}/{repo.name}"
        draft.repo_url = attrs.get("url") or f"https://github.com/{draft.repo}"
        draft.repo_default_branch = attrs.get("default_branch") or ""
        langs = [attrs.get("primary_language")] + sorted(attrs.get("languages") or {}, key=lambda l: -(attrs["languages"][l] or 0))
        for lang in langs:
            if lang and lang not in draft.tech_stack:
                draft.tech_stack.append(lang)
        draft.tags = sorted(set(draft.tags) | {str(t) for t in attrs.get("topics") or []})

    def describe(self, draft: ServiceDraft, repo_id: str | None, entities: list[FactView], members: list[FactView]):
        texts = [str((e.attributes or {}).get("description") or "") for e in entities]
        if repo_id:
            attrs = self.rec.repos[repo_id].attributes or {}
            texts += [attrs.get("readme_description") or "", attrs.get("description") or ""]
        texts += [str((m.attributes or {}).get("description") or "") for m in members if m.kind in (F.CFN_STACK,) + COMPUTE_KINDS]
        draft.description = next((t.strip() for t in texts if t and t.strip()), "")

    def catalog_fields(self, draft: ServiceDraft, entities: list[FactView]) -> None:
        for entity in entities:
            attrs = entity.attributes or {}
            if attrs.get("lifecycle"):
                draft.lifecycle = _lifecycle(str(attrs["lifecycle"]))
            if attrs.get("system"):
                draft.system = str(attrs["system"])
            draft.tags = sorted(set(draft.tags) | {str(t) for t in attrs.get("tags") or []})
            if entity.name not in draft.aliases:
                draft.aliases.append(entity.name)

    def service(self, g: _Group) -> ServiceDraft:
        members = [claim[0] for claim in g.members.values()]
        extra_names: list[tuple[int, str]] = []
        matching: list[FactView] = []
        if g.repo:
            entities = self.entities(g.repo)
            # in a monorepo only the Component named like this service speaks for it
            matching = [e for e in entities if N.name_keys(e.name, strip_env=False) & g.keys] or \
                (entities if len(entities) == 1 else [])
            if matching:
                extra_names.append((0, N.canonical(matching[0].name, strip_env=False)))
            repo_name = N.canonical(self.rec.repos[g.repo].name, strip_env=False)
            aws = sorted(g.names)[0][1].split("-") if g.names else []
            ours = repo_name.split("-")
            if len(aws) == len(ours) >= 2 and aws[:-1] == ours[:-1] and aws[-1] != ours[-1] \
                    and ours[-1].startswith(aws[-1]):
                extra_names.append((0, repo_name))  # "audit-eng" is a truncation of the repository's "audit-engine"
            else:
                extra_names.append((5, repo_name))
        name = _pick_name(g.names, extra_names)
        draft = ServiceDraft(key="svc:" + name, name=name, display_name=N.display_name(name))
        draft.entry_type = "service"
        draft.evidence = list(g.evidence)
        draft.resources = sorted(
            (ResourceClaim(f.external_id, f.kind, f.name, f.account, f.region, rule, conf)
             for f, rule, conf in g.members.values()), key=lambda r: (r.kind, r.account, r.region, r.name, r.external_id))
        draft.accounts = sorted({f.account for f in members if f.account})
        draft.regions = sorted({f.region for f in members if f.region})
        envs = {e for e in (_env_of_fact(f) for f in members if f.kind in (F.CFN_STACK,) + COMPUTE_KINDS) if e}
        draft.environments = sorted(envs)
        if g.repo:
            draft.repo_rule, draft.repo_confidence = g.repo_rule, g.repo_confidence
            self.repo_fields(draft, g.repo)
        runtimes = sorted({_runtime_family(str((f.attributes or {}).get("runtime"))) for f in members
                           if f.kind == F.LAMBDA_FUNCTION and (f.attributes or {}).get("runtime")})
        for rt in runtimes + (["Containers (ECS)"] if any(f.kind == F.ECS_SERVICE for f in members) else []):
            if rt not in draft.tech_stack:
                draft.tech_stack.append(rt)
        self.catalog_fields(draft, matching)
        self.describe(draft, g.repo, matching, members)
        draft.aliases = _aliases(name, g.aliases + [n for _, n in g.names] +
                                 ([self.rec.repos[g.repo].name] if g.repo else []) + draft.aliases)
        draft.service_type = _service_type(members, name)
        if "prod" not in envs and envs and not any((e.attributes or {}).get("lifecycle") for e in matching):
            draft.lifecycle = "staging" if "staging" in envs else "experimental"
        draft.health = _health([f for f in members if f.kind == F.CLOUDWATCH_ALARM])
        draft.sources = sorted({_source(f.kind) for f in members} | ({"github_repo"} if g.repo else set()) |
                               ({"catalog_info"} if matching else set()) |
                               {e["rule"] for e in g.evidence if e["rule"] in ("deploy_workflow", "tagged_resource_group", "explicit_tag")})
        self.ownership(draft, g.repo, members, g.keys | N.name_keys(name), {e.name for e in matching})
        draft.confidence = _composite(g.existence, draft)
        return draft

    def entities(self, repo_id: str) -> list[FactView]:
        return [e for e in self.rec.repo_declares.get(repo_id, {}).get(F.GH_CATALOG_ENTITY, ())
                if (e.attributes or {}).get("entity_kind", "Component") in ("Component", "API", "Resource")]

    def component(self, repo_id: str) -> ServiceDraft:
        repo = self.rec.repos[repo_id]
        entities = self.entities(repo_id)
        names = [(0, N.canonical(entities[0].name, strip_env=False))] if len(entities) == 1 else []
        name = _pick_name(names, [(5, N.canonical(repo.name, strip_env=False))])
        draft = ServiceDraft(key="svc:" + name, name=name, display_name=N.display_name(name))
        draft.entry_type = "component"
        self.repo_fields(draft, repo_id)
        draft.repo_rule, draft.repo_confidence = "repository", 1.0
        draft.component_type = _component_type(repo, entities)
        draft.service_type = "web" if draft.component_type == "website" else ""
        draft.lifecycle = "production"
        self.catalog_fields(draft, entities)
        self.describe(draft, repo_id, entities, [])
        draft.aliases = _aliases(name, [repo.name] + draft.aliases)
        draft.sources = ["github_repo"] + (["catalog_info"] if entities else [])
        draft.evidence = [{"rule": "repository_only", "facts": [repo_id], "confidence": EXISTENCE["repo"],
                           "detail": f"repository {repo.name} has no infrastructure: a {draft.component_type} component"}]
        self.ownership(draft, repo_id, [])
        draft.confidence = _composite(EXISTENCE["catalog"] if entities else EXISTENCE["repo"], draft)
        return draft


def _lifecycle(value: str) -> str:
    v = value.lower()
    return {"production": "production", "prod": "production", "staging": "staging", "experimental": "experimental",
            "deprecated": "deprecated", "eol": "eol", "development": "experimental", "beta": "experimental"}.get(v, "production")


def _aliases(name: str, names: Iterable[str]) -> list[str]:
    seen = {name.lower()}
    out = []
    for n in names:
        if n and n.lower() not in seen:
            seen.add(n.lower())
            out.append(n)
    return sorted(out, key=str.lower)


def _source(kind: str) -> str:
    return {F.CFN_STACK: "cloudformation", F.APIGW_HTTP_API: "apigateway", F.APIGW_REST_API: "apigateway"}.get(kind, kind)


def _composite(existence: float, draft: ServiceDraft) -> float:
    """The architecture's calculate_confidence: a weighted average of what we know."""
    parts = [(0.4, existence)]
    if draft.owner:
        parts.append((0.3, draft.owner_confidence))
    if draft.repo:
        parts.append((0.3, draft.repo_confidence))
    return round(sum(w * v for w, v in parts) / sum(w for w, _ in parts), 2)


def _unique_names(drafts: list[ServiceDraft]) -> None:
    seen: dict[str, int] = {}
    for d in sorted(drafts, key=lambda d: (d.entry_type != "service", -d.confidence, d.name, d.repo or "")):
        base = d.name
        if base in seen:
            seen[base] += 1
            d.aliases = _aliases(base, d.aliases + [base])
            d.name = f"{base}-{(d.repo or '').split('/')[0] or (d.accounts[0] if d.accounts else seen[base])}"
            while d.name in seen:
                d.name = f"{d.name}-{seen[base]}"
            d.key = "svc:" + d.name
        seen.setdefault(d.name, 1)


def reconcile(facts: Iterable[FactView], links: Iterable[LinkView], *, corrections: Iterable[dict] = (),
              existing: Iterable[dict] = ()) -> ReconcileResult:
    rec = _Reconciler(facts, links)
    rec.load_repos()
    data_stacks = rec.stack_units()
    rec.ecs_units()
    rec.api_units()
    rec.lambda_units(rec.known_keys())
    groups = rec.merge_units()
    rec.attach(groups, data_stacks)
    rec.repo_edges(groups)
    rec.assign_repos(groups)
    groups = rec.merge_related(groups)
    builder = _DraftBuilder(rec)
    drafts = [builder.service(g) for g in groups]
    linked = {g.repo for g in groups if g.repo}
    for repo_id, repo in rec.repos.items():
        if repo_id in linked:
            continue
        if _infrastructure_module(repo):
            rec.excluded.append({"external_id": repo_id, "kind": repo.kind, "name": repo.name,
                                 "reason": "infrastructure_module"})
        else:
            drafts.append(builder.component(repo_id))
    _unique_names(drafts)
    existing = list(existing)
    if existing:
        matches = match_existing(drafts, existing)
        by_id = {e["id"]: e for e in existing}
        names = {d.name for d in drafts}
        for d in drafts:
            if d.key in matches:
                d.existing_id = matches[d.key]
                old = by_id[d.existing_id]
                # keep the name people know and remember the new one (unless another entry now has it)
                if old.get("name") and old["name"] != d.name and old["name"] not in names:
                    names.add(old["name"])
                    d.aliases = _aliases(old["name"], d.aliases + [d.name])
                    d.name = old["name"]
                    d.display_name = N.display_name(d.name)
    before = {d.key: d.name for d in drafts}
    drafts = apply_corrections(drafts, list(corrections))
    applied = sum(1 for d in drafts if d.corrected_fields)
    for key in sorted(set(before) - {d.key for d in drafts}):  # "not a service" or merged into another
        rec.excluded.append({"external_id": key, "kind": "service", "name": before[key], "reason": "correction"})
    drafts.sort(key=lambda d: d.key)
    for d in drafts:
        d.compute_fingerprint()
    excluded = sorted(rec.excluded, key=lambda e: (e["reason"], e["kind"], e["name"]))
    stats = {"facts": len(rec.ix.by_id), "units": len(rec.units), "services": sum(d.entry_type == "service" for d in drafts),
             "components": sum(d.entry_type == "component" for d in drafts), "excluded": len(excluded),
             "corrections_applied": applied}
    return ReconcileResult(services=drafts, excluded=excluded, stats=stats)
