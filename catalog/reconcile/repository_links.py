"""Repository links: which repository deploys each service, by rule and confidence, weak links one to one."""
from __future__ import annotations

from collections import Counter, defaultdict

from catalog import naming
from catalog.reconcile.grouping import Group
from catalog.reconcile.repositories import Repositories
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.rules import REPO_RULES, STRONG_LINK
from catalog.reconcile.tags import REPO_TAG_KEYS, tag_value
from discovery.facts import (
    CFN_STACK, ECR_REPOSITORY, ECS_SERVICE, GH_CATALOG_ENTITY, GH_DEPLOY_TARGET, LAMBDA_FUNCTION, USES_IMAGE,
)


def link_repositories(groups: list[Group], ix: ResourceIndex, repos: Repositories) -> None:
    """Collect every rule's candidate repositories for each service, then pick one per service."""
    repo_edges(groups, ix, repos)
    assign_repos(groups, repos)


def repo_edges(groups: list[Group], ix: ResourceIndex, repos: Repositories) -> None:
    """Every candidate link (confidence, rule, repository, facts, detail) onto ``Group.repo_edges``."""
    owner: dict[str, Group] = {ext: g for g in groups for ext in g.members}
    group_by_key: dict[str, list[Group]] = defaultdict(list)
    for g in groups:
        for key in g.keys:
            group_by_key[key].append(g)

    def edge(g: Group, repo_id: str, rule: str, facts: list[str], detail: str, conf: float | None = None):
        g.repo_edges.append((conf if conf is not None else REPO_RULES[rule], rule, repo_id, facts, detail))

    # explicit tags
    for g in groups:
        for ext, (fact, _, _) in g.members.items():
            value = tag_value(fact.tags, REPO_TAG_KEYS)
            repo_id = repos.repo_for_reference(value) if value else None
            if repo_id:
                edge(g, repo_id, "explicit_tag", [ext, repo_id], f"{fact.name} is tagged {value}")
    # deploy workflows
    by_folder: dict[tuple[str, str], dict[int, Group]] = defaultdict(dict)
    for repo_id, declared in repos.repo_declares.items():
        for target in declared.get(GH_DEPLOY_TARGET, ()):
            attrs = target.attributes or {}
            for g, fact_id, rule, conf in deploy_matches(ix, attrs.get("target_kind"), target, attrs,
                                                         owner, group_by_key):
                edge(g, repo_id, rule, [target.external_id] + ([fact_id] if fact_id else []),
                     f"{attrs.get('path') or 'workflow'} deploys {attrs.get('target_kind')} {target.name}", conf)
                if isinstance(attrs.get("folder"), str) and attrs["folder"]:
                    by_folder[(repo_id, attrs["folder"])][id(g)] = g
    # a folder whose companion deploys one service is that service's (its CODEOWNERS rule, its catalog-info);
    # one deploying several (a cloudformation/ of many stacks) is no one service's
    for place, found in by_folder.items():
        if len(found) == 1:
            next(iter(found.values())).folders.add(place)
    # images built from a repository of the same name
    for g in groups:
        for ext, (fact, _, _) in g.members.items():
            if fact.kind != ECS_SERVICE:
                continue
            for image in (fact.attributes or {}).get("images") or []:
                name = image_repo_name(image)
                repo_id = repos.repo_by_name.get(name.lower()) if name else None
                if repo_id is None and name:
                    cands = {r for k in naming.name_keys(name, strip_env=False) for r in repos.repo_by_key.get(k, ())}
                    repo_id = next(iter(cands)) if len(cands) == 1 else None
                if repo_id:
                    edge(g, repo_id, "ecr_image", [ext, repo_id], f"{fact.name} runs image {name}")
    # catalog-info component names, then plain names
    for repo_id, declared in repos.repo_declares.items():
        for entity in declared.get(GH_CATALOG_ENTITY, ()):
            for key in naming.name_keys(entity.name, strip_env=False):
                for g in group_by_key.get(key, ()):
                    edge(g, repo_id, "catalog_info", [entity.external_id], f"catalog-info names {entity.name}")
        repo = repos.repos[repo_id]
        for key in repos.repo_keys[repo_id]:
            for g in group_by_key.get(key, ()):
                edge(g, repo_id, "name_match", [repo_id], f"repository {repo.name} has the service's name")
    # Lambda functions named after a repository ("payments-webhook-handler" -> payments), one to one
    for g in groups:
        if any(e[0] >= REPO_RULES["name_match"] for e in g.repo_edges):
            continue
        for ext, (fact, _, _) in g.members.items():
            if fact.kind != LAMBDA_FUNCTION:
                continue
            tokens = naming.service_words(fact.name, kind=LAMBDA_FUNCTION)
            for i in range(len(tokens) - 1, 0, -1):
                key = naming.compact_words(tokens[:i])
                cands = repos.repo_by_key.get(key, ()) if len(key) >= 5 else ()
                if len(cands) == 1:
                    edge(g, cands[0], "lambda_name", [ext, cands[0]], f"Lambda {fact.name} starts with the repository name")
                    break


def deploy_matches(ix: ResourceIndex, kind, target, attrs, owner, group_by_key):
    """The services a deploy workflow's target names: (group, fact id or None, rule, confidence)."""
    name = target.name
    account, region = attrs.get("account"), attrs.get("region")

    def scoped(facts):
        return [f for f in facts if (not account or f.account == account) and (not region or f.region == region)]

    hits: list[tuple[Group, str | None, str, float]] = []
    if kind == ECS_SERVICE:
        facts = scoped(ix.by_name.get((ECS_SERVICE, name.lower()), ()))
        cluster = str(attrs.get("cluster") or "").lower()
        exact = [f for f in facts if not cluster or str((f.attributes or {}).get("cluster", "")).lower() == cluster]
        for f in exact or facts:
            if f.external_id in owner:
                hits.append((owner[f.external_id], f.external_id, "deploy_workflow",
                             REPO_RULES["deploy_workflow"] if exact else 0.85))
    elif kind == LAMBDA_FUNCTION:
        for f in scoped(ix.by_name.get((LAMBDA_FUNCTION, name.lower()), ())):
            if f.external_id in owner:
                hits.append((owner[f.external_id], f.external_id, "deploy_workflow", REPO_RULES["deploy_workflow"]))
    elif kind in (CFN_STACK, "cdk_stack"):
        for f in scoped(ix.by_name.get((CFN_STACK, name.lower()), ())):
            if f.external_id in owner:
                hits.append((owner[f.external_id], f.external_id, "deploy_workflow", REPO_RULES["deploy_workflow"]))
    elif kind == "ecr_image":
        for repo in scoped(ix.by_name.get((ECR_REPOSITORY, name.lower()), ())):
            holders = [owner[repo.external_id]] if repo.external_id in owner else []
            holders += [owner[s.external_id] for s in ix.sources(repo.external_id, USES_IMAGE) if s.external_id in owner]
            for g in dict.fromkeys(holders):
                hits.append((g, repo.external_id, "ecr_image", REPO_RULES["ecr_image"]))
    if not hits and kind in ("serverless_service", "cdk_stack", CFN_STACK, ECS_SERVICE, LAMBDA_FUNCTION):
        # no resource by that exact name: the target names the service (serverless `service:`, a CDK
        # stack id, a stage-less name)
        k = LAMBDA_FUNCTION if kind == LAMBDA_FUNCTION else CFN_STACK
        for key in sorted(naming.name_keys(name, kind=k)):
            for g in group_by_key.get(key, ()):
                hits.append((g, None, "deploy_workflow", REPO_RULES["deploy_workflow"] if kind == "serverless_service" else 0.85))
    return hits


def assign_repos(groups: list[Group], repos: Repositories) -> None:
    """Strong links first (they may share a repository); weak ones one to one, best first."""
    taken: dict[str, Group] = {}
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
    fuzzy_leftovers(groups, taken, repos)


def fuzzy_leftovers(groups: list[Group], taken: dict[str, Group], repos: Repositories) -> None:
    """Levenshtein <= 2 between services with no repository and repositories nobody claimed."""
    with_edges = {e[2] for g in groups for e in g.repo_edges}
    free_repos = [r for r in repos.repos if r not in taken and r not in with_edges]
    lonely = [g for g in groups if g.repo is None]
    if not free_repos or not lonely:
        return
    pairs = []
    for gi, g in enumerate(lonely):
        for repo_id in free_repos:
            best = None
            for a in g.keys:
                for b in repos.repo_keys[repo_id]:
                    d = naming.fuzzy_equal(a, b)
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
                           "detail": f"repository {repos.repos[repo_id].name} is {d} edit(s) from the service name"})


def image_repo_name(image: str) -> str | None:
    ref = str(image or "").split("@", 1)[0]
    path = ref.split("/", 1)[1] if "/" in ref and ("." in ref.split("/", 1)[0] or ":" in ref.split("/", 1)[0]) else ref
    path = path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path
    name = path.rsplit("/", 1)[-1]
    return name or None
