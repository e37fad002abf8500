"""Attachments: databases, queues, image repositories, alarms and data-only stacks join the service that owns them."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from catalog import naming
from catalog.reconcile.grouping import Group
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.rules import COMPUTE_KINDS, DATA_KINDS, EXISTENCE
from catalog.reconcile.tags import service_tag
from catalog.reconcile.types import FactView
from catalog.reconcile.units import Unit
from discovery.facts import (
    CFN_STACK, CLOUDWATCH_ALARM, ECR_REPOSITORY, GH_DEPLOY_TARGET, RDS_CLUSTER, RDS_INSTANCE, SQS_QUEUE, TRIGGERS,
    USES_IMAGE, WATCHES,
)
from catalog.naming import TeamDirectory, tag_votes


def attach(groups: list[Group], data_stacks: list[FactView], ix: ResourceIndex, directory: TeamDirectory,
           excluded: list[dict[str, Any]]) -> None:
    """Stacks that run nothing join the one service named like them, with their resources; queues, images,
    databases and alarms join one service by a structural link (event source, image, cluster, alarm target),
    else by a service tag or name prefix. Whatever joins none is excluded as unattached."""
    owner: dict[str, Group] = {}
    for g in groups:
        for ext in g.members:
            owner[ext] = g
    by_key: dict[str, list[Group]] = defaultdict(list)
    for g in groups:
        for key in g.keys:
            by_key[key].append(g)

    def take(g: Group, fact: FactView, rule: str, conf: float, detail: str, via: list[str]):
        if fact.external_id in owner:
            return
        g.add(fact, rule, conf)
        owner[fact.external_id] = g
        g.evidence.append({"rule": rule, "facts": [fact.external_id] + via, "confidence": conf, "detail": detail})

    by_prefix: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for gi, g in enumerate(groups):
        for _, name in g.names:
            ws = tuple(naming.singular(w) for w in name.split("-") if w)
            for i in range(1, len(ws) + 1):
                by_prefix[ws[:i]].add(gi)
    team_of: dict[int, str | None] = {}

    def group_team(gi: int) -> str | None:
        if gi not in team_of:
            votes = tag_votes([f.tags for f, _, _ in groups[gi].members.values()], directory)
            team_of[gi] = max(sorted(votes), key=votes.get) if votes else None
        return team_of[gi]

    def tagged_for(fact: FactView) -> Group | None:
        """The one service a resource's own service tag names, if any."""
        keys, _ = service_tag(fact.tags)
        return next((by_key[k][0] for k in sorted(keys) if len(by_key.get(k, ())) == 1), None)

    def by_name(fact: FactView) -> tuple[Group, str] | None:
        keys, _ = service_tag(fact.tags)
        for key in sorted(keys):
            if len(by_key.get(key, ())) == 1:
                return by_key[key][0], "tag"
        tokens = naming.data_words(fact.name)
        for i in range(len(tokens), 0, -1):
            key = naming.compact_words(tokens[:i])
            cands = by_key.get(key, ())
            rest = tokens[i:]
            if len(cands) == 1 and (i >= 2 or len(key) >= 8 or not rest) and all(
                    w in naming.DATA_WORDS or w.isdigit() or w in naming.FUNCTION_WORDS for w in rest):
                return cands[0], "name_prefix"
        # "cart-db" next to the only service whose name starts with "cart", owned by the same team
        core = tuple(naming.singular(w) for w in tokens if w not in naming.DATA_WORDS and not w.isdigit())
        cands = by_prefix.get(core, set()) if core and len(naming.compact_words(core)) >= 3 else set()
        if len(cands) == 1:
            gi = next(iter(cands))
            mine = tag_votes([fact.tags], directory)
            if not mine or not group_team(gi) or group_team(gi) in mine:
                return groups[gi], "name_prefix"
        return None

    deployed = deployed_stacks(ix)
    for stack in data_stacks:
        keys = naming.name_keys(stack.name)
        hit = next((by_key[k][0] for k in sorted(keys) if len(by_key.get(k, ())) == 1), None)
        if hit is None and deployed(stack) and not any(by_key.get(k) for k in keys):
            # Named like no service, but a repository deploys it: shared data (a platform team's database and
            # queues) is a service of its own, not debris. A name two services share stays unattached.
            hit = data_service(stack)
            groups.append(hit)
            for key in hit.keys:
                by_key[key].append(hit)
            for _, name in hit.names:
                ws = tuple(naming.singular(w) for w in name.split("-") if w)
                for i in range(1, len(ws) + 1):
                    by_prefix[ws[:i]].add(len(groups) - 1)
        if hit is None:
            excluded.append({"external_id": stack.external_id, "kind": stack.kind, "name": stack.name,
                             "reason": "stack_without_compute"})
            continue
        take(hit, stack, "name_match", 0.75, f"stack {stack.name} holds data for this service", [])
        for m in ix.stack_members(stack):
            take(hit, m, "stack_membership", EXISTENCE["stack"], f"in stack {stack.name}", [stack.external_id])

    # structural links first: event sources, images, RDS cluster membership, alarm targets
    for q in ix.by_kind.get(SQS_QUEUE, ()):
        fns = [f for f in ix.targets(q.external_id, TRIGGERS) if f.external_id in owner]
        gs = list(dict.fromkeys(owner[f.external_id] for f in fns))
        named = tagged_for(q)
        if named is not None and gs != [named]:
            continue  # a shared queue tagged for the service that runs it: consumers only use it (by_name below)
        if len(gs) == 1:
            take(gs[0], q, "event_source", 0.85, f"queue {q.name} triggers {fns[0].name}", [fns[0].external_id])
    for repo in ix.by_kind.get(ECR_REPOSITORY, ()):
        users = [s for s in ix.sources(repo.external_id, USES_IMAGE) if s.external_id in owner]
        gs = list(dict.fromkeys(owner[s.external_id] for s in users))
        if len(gs) == 1:
            take(gs[0], repo, "ecs_image", 0.90, f"{users[0].name} runs images from {repo.name}", [users[0].external_id])
    for cluster in ix.by_kind.get(RDS_CLUSTER, ()):
        hit = None if cluster.external_id in owner else by_name(cluster)
        if hit:
            take(hit[0], cluster, hit[1], 0.80 if hit[1] == "tag" else 0.60, f"{cluster.name} matched by {hit[1]}", [])
    members_of = {m: c for c in ix.by_kind.get(RDS_CLUSTER, ()) for m in (c.attributes or {}).get("members") or []}
    clusters = {c.name.lower(): c for c in ix.by_kind.get(RDS_CLUSTER, ())}
    for db in ix.by_kind.get(RDS_INSTANCE, ()):
        cluster = clusters.get(str((db.attributes or {}).get("cluster_identifier") or "").lower()) or members_of.get(db.name)
        if cluster is not None and cluster.external_id in owner:
            take(owner[cluster.external_id], db, "rds_cluster_member", 0.90,
                 f"{db.name} is a member of {cluster.name}", [cluster.external_id])
    for kind in (RDS_INSTANCE, SQS_QUEUE, ECR_REPOSITORY):
        for fact in ix.by_kind.get(kind, ()):
            hit = None if fact.external_id in owner else by_name(fact)
            if hit:
                take(hit[0], fact, hit[1], 0.80 if hit[1] == "tag" else 0.60, f"{fact.name} matched by {hit[1]}", [])
    for alarm in ix.by_kind.get(CLOUDWATCH_ALARM, ()):
        targets = [t for t in ix.targets(alarm.external_id, WATCHES) if t.external_id in owner]
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
                excluded.append({"external_id": fact.external_id, "kind": kind, "name": fact.name,
                                 "reason": "unattached"})


def deployed_stacks(ix: ResourceIndex):
    """A test: is a stack named by a repository's deploy target (a stack or CDK deploy, in its account and
    region when the target says)?"""
    places: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for target in ix.by_kind.get(GH_DEPLOY_TARGET, ()):
        attrs = target.attributes or {}
        if attrs.get("target_kind") in (CFN_STACK, "cdk_stack"):
            places[target.name.lower()].append((attrs.get("account"), attrs.get("region")))

    def deployed(stack: FactView) -> bool:
        return any((not acct or acct == stack.account) and (not region or region == stack.region)
                   for acct, region in places.get(stack.name.lower(), ()))
    return deployed


def data_service(stack: FactView) -> Group:
    """A service made of one deployed stack that runs nothing (its resources join by ``attach``)."""
    unit = Unit("stack", stack)
    keys = naming.name_keys(stack.name, kind=CFN_STACK)
    canon = naming.canonical(stack.name, kind=CFN_STACK)
    unit.keys |= keys
    if canon:
        unit.names.append((2, canon))
    unit.aliases.append(stack.name)
    unit.evidence.append({"rule": "deployed_data_stack", "facts": [stack.external_id], "confidence": EXISTENCE["stack"],
                          "detail": f"stack {stack.name} runs nothing, and a repository deploys it"})
    return Group([unit], keys=set(keys), names=list(unit.names), aliases=list(unit.aliases),
                 evidence=list(unit.evidence))
