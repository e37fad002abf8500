"""Units: one deployable seen in one place (stack, ECS service, API with its Lambdas, tagged or lone Lambda)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from catalog import naming
from catalog.reconcile.repositories import Repositories
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.rules import (
    API_KINDS, COMPUTE_CFN_TYPES, COMPUTE_KINDS, DATA_KINDS, EXISTENCE, TOOL_STACK_PREFIXES,
)
from catalog.reconcile.tags import service_tag
from catalog.reconcile.types import FactView
from discovery.facts import CFN_STACK, CONTAINS, ECS_SERVICE, GH_DEPLOY_TARGET, INTEGRATES, LAMBDA_FUNCTION


@dataclass(eq=False)
class Unit:
    kind: str                      # stack | ecs | api | tag | lambda
    anchor: FactView
    members: dict[str, tuple[FactView, str, float]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    names: list[tuple[int, str]] = field(default_factory=list)  # (priority, canonical name); lower wins
    aliases: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def add(self, fact: FactView, rule: str, confidence: float) -> None:
        self.members.setdefault(fact.external_id, (fact, rule, confidence))


def common_prefix(names: list[tuple[str, ...]]) -> tuple[str, ...]:
    if not names:
        return ()
    out = []
    for column in zip(*names):
        if len(set(column)) != 1:
            break
        out.append(column[0])
    return tuple(out)


class UnitFinder:
    """Finds the units in the index, by the identification rules in order: stacks, ECS services, APIs, Lambdas.
    Each fact joins at most one unit (the first that claims it)."""

    def __init__(self, ix: ResourceIndex, repos: Repositories, excluded: list[dict[str, Any]]):
        self.ix = ix
        self.repos = repos
        self.excluded = excluded
        self.units: list[Unit] = []
        self.claimed: dict[str, Unit] = {}

    def find(self) -> list[FactView]:
        """Every unit, in rule order; returns the stacks that run nothing (for attachment)."""
        data_stacks = self.stack_units()
        self.ecs_units()
        self.api_units()
        self.lambda_units(self.known_keys())
        return data_stacks

    def name_entry(self, name: str, kind: str) -> tuple[set[str], str]:
        """Keys and canonical name of an AWS resource's name."""
        return (naming.name_keys(name, kind=kind, drop_prefixes=self.repos.orgs),
                naming.canonical(name, kind=kind, drop_prefixes=self.repos.orgs))

    def _claim(self, unit: Unit, fact: FactView, rule: str, conf: float) -> None:
        if fact.external_id in self.claimed:
            return
        unit.add(fact, rule, conf)
        self.claimed[fact.external_id] = unit

    def stack_units(self) -> list[FactView]:
        """Stacks with something that runs become units; the rest are returned for attachment."""
        ix = self.ix
        stacks = ix.by_kind.get(CFN_STACK, ())
        child_of_stack = {t for s in stacks for t in ix.out.get((s.external_id, CONTAINS), ()) if t in ix.by_id
                          and ix.by_id[t].kind == CFN_STACK}
        data_stacks = []
        for stack in stacks:
            if stack.external_id in child_of_stack:
                continue
            if stack.name.lower().startswith(TOOL_STACK_PREFIXES):
                self.excluded.append({"external_id": stack.external_id, "kind": stack.kind, "name": stack.name,
                                      "reason": "tool_stack"})
                continue
            members = ix.stack_members(stack)
            types = {r.get("type") for r in (stack.attributes or {}).get("resources") or [] if isinstance(r, dict)}
            runs_code = any(m.kind in COMPUTE_KINDS for m in members) or bool(types & set(COMPUTE_CFN_TYPES))
            tag_keys, tag_name = service_tag(stack.tags)
            if not runs_code and not tag_name:
                data_stacks.append(stack)
                continue
            unit = Unit("stack", stack)
            self._claim(unit, stack, "cloudformation_stack", EXISTENCE["stack"])
            keys, canon = self.name_entry(stack.name, CFN_STACK)
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
                if m.kind == ECS_SERVICE:
                    k, c = self.name_entry(m.name, m.kind)
                    unit.keys |= k
                    if c:
                        unit.names.append((3, c))
                    unit.aliases.append(m.name)
                if m.kind in COMPUTE_KINDS:
                    _, member_tag = service_tag(m.tags)
                    if member_tag:
                        member_tags[member_tag] += 1
            if not tag_name and member_tags:
                best = sorted(member_tags.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                unit.keys |= naming.name_keys(best)
                unit.names.append((1, best))
            unit.evidence.append({"rule": "cloudformation_stack", "facts": [stack.external_id],
                                  "confidence": EXISTENCE["stack"], "detail": f"stack {stack.name}"})
            self.units.append(unit)
        return data_stacks

    def ecs_units(self) -> None:
        for svc in self.ix.by_kind.get(ECS_SERVICE, ()):
            if svc.external_id in self.claimed:
                continue
            unit = Unit("ecs", svc)
            self._claim(unit, svc, "ecs_service", EXISTENCE["ecs"])
            keys, canon = self.name_entry(svc.name, ECS_SERVICE)
            unit.keys |= keys
            unit.names.append((3, canon))
            unit.aliases.append(svc.name)
            tag_keys, tag_name = service_tag(svc.tags)
            if tag_name:
                unit.keys |= tag_keys
                unit.names.append((1, tag_name))
            unit.evidence.append({"rule": "ecs_service", "facts": [svc.external_id], "confidence": EXISTENCE["ecs"],
                                  "detail": f"ECS service {svc.name} in cluster {(svc.attributes or {}).get('cluster', '')}"})
            self.units.append(unit)

    def api_units(self) -> None:
        for kind in API_KINDS:
            for api in self.ix.by_kind.get(kind, ()):
                functions = self.ix.targets(api.external_id, INTEGRATES)
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
                unit = Unit("api", api)
                self._claim(unit, api, "apigateway", EXISTENCE["api"])
                keys, canon = self.name_entry(api.name, kind)
                unit.keys |= keys
                if canon:
                    unit.names.append((3, canon))
                # the words its Lambdas share name the service better than the API does when they agree
                # with it ("tax-api" + Lambda "tax-api"; "billing-api" + "billing-reader", "billing-writer")
                shared = common_prefix([naming.service_words(f.name, kind=LAMBDA_FUNCTION) for f in functions])
                if shared and naming.compact_words(shared) in keys:
                    unit.names.append((2, "-".join(shared)))
                unit.aliases.append(api.name)
                tag_keys, tag_name = service_tag(api.tags)
                fn_tags = Counter(t for t in (service_tag(f.tags)[1] for f in functions) if t)
                if not tag_name and fn_tags:
                    tag_name = sorted(fn_tags.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                    tag_keys = naming.name_keys(tag_name)
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
        """Every name key a service is already known by: units so far, repositories, service tags, deploy targets."""
        known: set[str] = set()
        for unit in self.units:
            known |= unit.keys
        for keys in self.repos.repo_keys.values():
            known |= keys
        for kind in COMPUTE_KINDS + DATA_KINDS:
            for fact in self.ix.by_kind.get(kind, ()):
                known |= service_tag(fact.tags)[0]
        for target in self.ix.by_kind.get(GH_DEPLOY_TARGET, ()):
            if (target.attributes or {}).get("target_kind") in ("serverless_service", "cdk_stack", CFN_STACK):
                known |= naming.name_keys(target.name)
        return known

    def deployed_functions(self) -> dict[tuple[str, ...], set[tuple]]:
        """Service words of each Lambda function a repository deploys by name -> where: (repo, file, job, line)."""
        out: dict[tuple[str, ...], set[tuple]] = defaultdict(set)
        for t in self.ix.by_kind.get(GH_DEPLOY_TARGET, ()):
            attrs = t.attributes or {}
            if attrs.get("target_kind") == LAMBDA_FUNCTION:
                out[naming.service_words(t.name, kind=LAMBDA_FUNCTION)].add(
                    (attrs.get("repo"), attrs.get("path"), attrs.get("job"), attrs.get("line")))
        return out

    def deployed_elsewhere(self, key: str, places: Iterable[tuple]) -> bool:
        """Whether a function deployed by name (``places``) is deployed by repositories ``key`` does not name:
        then the shorter known name is a neighbour's (a monorepo's ``credit-note-consumer`` is not the
        ``credit-note-service`` beside it), and the function keeps the name its deployer gives it."""
        deployers = {self.repos.repo_by_name.get(str(repo or "").lower()) for repo, *_ in places} - {None}
        return bool(deployers) and not any(key in self.repos.repo_keys.get(r, ()) for r in deployers)

    @staticmethod
    def one_deployable(family: set[tuple[str, ...]], deployed: dict[tuple[str, ...], set[tuple]]) -> bool:
        """Whether Lambdas named ``{family}-{word}`` may be one service. When their deploy workflows name them,
        they are one only if one job deploys two of them in its own steps; deployed by different jobs, workflows
        or rows of one matrix command (a monorepo's ``claim-worker`` and ``claim-consumer``) they are several."""
        seen = [(toks, deployed[toks]) for toks in sorted(family) if toks in deployed]
        if len(seen) < 2:
            return True
        lines: dict[tuple, set[tuple]] = defaultdict(set)  # (repo, file, job) -> (function, line)
        for toks, places in seen:
            for repo, path, job, line in places:
                lines[(repo, path, job)].add((toks, line))
        return any(len({t for t, _ in hits}) >= 2 and len({ln for _, ln in hits}) >= 2 for hits in lines.values())

    @staticmethod
    def prefix_key(tokens: tuple[str, ...], known: set[str]) -> tuple[str, tuple[str, ...]] | None:
        """Longest known service key that starts ``tokens`` (a word prefix, compared compact)."""
        for i in range(len(tokens), 0, -1):
            key = naming.compact_words(tokens[:i])
            if key not in known:
                continue
            rest = tokens[i:]
            if i == len(tokens) or i >= 2 or (len(key) >= 8 and len(rest) == 1):
                return key, tokens[:i]
        return None

    def lambda_units(self, known: set[str]) -> None:
        loose = [fn for fn in self.ix.by_kind.get(LAMBDA_FUNCTION, ()) if fn.external_id not in self.claimed]
        tokens = {fn.external_id: naming.service_words(fn.name, kind=LAMBDA_FUNCTION) for fn in loose}
        # "{service}-{function}" names: a last function word is cut only when two differently named
        # Lambdas share what is left ("orders-create" + "orders-list"); a lone "supplier-sftp-sync" keeps its name
        siblings: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        for toks in tokens.values():
            if len(toks) >= 2 and toks[-1] in naming.FUNCTION_WORDS:
                siblings[toks[:-1]].add(toks)
        deployed = self.deployed_functions()
        for fn in loose:
            toks = tokens[fn.external_id]
            tag_keys, tag_name = service_tag(fn.tags)
            found = self.prefix_key(toks, known)
            if found and self.deployed_elsewhere(found[0], deployed.get(toks, ())):
                found = None
            if found:
                key, words = found
            else:
                cut = toks[:-1] if len(toks) >= 2 and toks[-1] in naming.FUNCTION_WORDS else None
                words = cut if cut and len(siblings[cut]) > 1 and self.one_deployable(siblings[cut], deployed) else toks
                key = naming.compact_words(words)
            unit = Unit("tag" if tag_name else "lambda", fn)
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
