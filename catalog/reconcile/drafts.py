"""Drafts: the catalog entry of each service group and of each repository with no infrastructure."""
from __future__ import annotations

import posixpath
from typing import Iterable

from catalog import naming
from catalog.reconcile import classify
from catalog.reconcile.grouping import Group
from catalog.reconcile.iac import Declarations
from catalog.reconcile.last_deploy import LastDeploys
from catalog.reconcile.owners import OwnerEvidence
from catalog.reconcile.repositories import Repositories
from catalog.reconcile.rules import COMPUTE_KINDS, EXISTENCE
from catalog.reconcile.types import FactView, ResourceClaim, ServiceDraft
from discovery.facts import APIGW_HTTP_API, APIGW_REST_API, CFN_STACK, CLOUDWATCH_ALARM, ECS_SERVICE, LAMBDA_FUNCTION


def pick_name(names: list[tuple[float, str]], extra: list[tuple[float, str]]) -> str:
    """The best (priority, name): lowest priority, then most words; among spellings of it, the best-segmented."""
    names = [(p, n) for p, n in names + extra if n]
    if not names:
        return "unnamed"
    names.sort(key=lambda pn: (pn[0], -len(pn[1].split("-")), pn[1]))
    top_key = naming.compact(names[0][1])
    same = [(p, n) for p, n in names if naming.compact(n) == top_key]
    # among spellings of the winning name, the best-segmented one ("push-manager" over "pushmanager")
    same.sort(key=lambda pn: (-len(pn[1].split("-")), pn[0], pn[1]))
    return same[0][1]


def monorepo_names(names: list[tuple[int, str]], repo_name: str) -> list[tuple[float, str]]:
    """Names of a monorepo's service spelled ``{repo}-{service}`` (a stack ``billing-backend-invoice-api-prod``):
    the service is what follows the repository's name, preferred to the spelling with it."""
    prefix = repo_name + "-"
    return [(p - 0.5, n[len(prefix):]) for p, n in names if n.startswith(prefix) and len(n) > len(prefix)]


def aliases_for(name: str, names: Iterable[str]) -> list[str]:
    """``names`` other than ``name``, once each (case-insensitively), sorted."""
    seen = {name.lower()}
    out = []
    for n in names:
        if n and n.lower() not in seen:
            seen.add(n.lower())
            out.append(n)
    return sorted(out, key=str.lower)


def source_of(kind: str) -> str:
    """The source a fact kind is reported as."""
    return {CFN_STACK: "cloudformation", APIGW_HTTP_API: "apigateway", APIGW_REST_API: "apigateway"}.get(kind, kind)


def make_names_unique(drafts: list[ServiceDraft]) -> None:
    """Entries sharing a name: the first (services before components, then the most confident) keeps it; each
    other takes its repository's org, its account or a number as a suffix and keeps the name as an alias."""
    seen: dict[str, int] = {}
    for d in sorted(drafts, key=lambda d: (d.entry_type != "service", -d.confidence, d.name, d.repo or "")):
        base = d.name
        if base in seen:
            seen[base] += 1
            d.aliases = aliases_for(base, d.aliases + [base])
            d.name = f"{base}-{(d.repo or '').split('/')[0] or (d.accounts[0] if d.accounts else seen[base])}"
            while d.name in seen:
                d.name = f"{d.name}-{seen[base]}"
            d.key = "svc:" + d.name
        seen.setdefault(d.name, 1)


class DraftBuilder:
    """Builds the draft of one service group or one repository-only component."""

    def __init__(self, repos: Repositories, owners: OwnerEvidence, deploys: LastDeploys | None = None,
                 declarations: Declarations | None = None):
        self.repos = repos
        self.shared = owners.shared
        self.owners = owners
        self.deploys = deploys
        self.declarations = declarations

    def repo_fields(self, draft: ServiceDraft, repo_id: str) -> None:
        repo = self.repos.repos[repo_id]
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
            attrs = self.repos.repos[repo_id].attributes or {}
            texts += [attrs.get("readme_description") or "", attrs.get("description") or ""]
        texts += [str((m.attributes or {}).get("description") or "") for m in members if m.kind in (CFN_STACK,) + COMPUTE_KINDS]
        draft.description = next((t.strip() for t in texts if t and t.strip()), "")

    def catalog_fields(self, draft: ServiceDraft, entities: list[FactView]) -> None:
        for entity in entities:
            attrs = entity.attributes or {}
            if attrs.get("lifecycle"):
                draft.lifecycle = classify.lifecycle(str(attrs["lifecycle"]))
            if attrs.get("system"):
                draft.system = str(attrs["system"])
            draft.tags = sorted(set(draft.tags) | {str(t) for t in attrs.get("tags") or []})
            if entity.name not in draft.aliases:
                draft.aliases.append(entity.name)

    @staticmethod
    def own_folders(g: Group) -> set[str]:
        """The folders of the service's repository whose companion files deploy it alone."""
        return {folder for repo_id, folder in g.folders if repo_id == g.repo}

    def service(self, g: Group) -> ServiceDraft:
        members = [claim[0] for claim in g.members.values()]
        extra_names: list[tuple[float, str]] = []
        matching: list[FactView] = []
        if g.repo:
            entities = self.repos.entities(g.repo)
            # in a monorepo only the Component named like this service, or kept in its folder, speaks for it
            folders = self.own_folders(g)
            matching = [e for e in entities if naming.name_keys(e.name, strip_env=False) & g.keys
                        or posixpath.dirname(str((e.attributes or {}).get("path") or "")) in folders] or \
                (entities if len(entities) == 1 and g.repo not in self.shared else [])
            if matching:
                extra_names.append((0, naming.canonical(matching[0].name, strip_env=False)))
            repo_name = naming.canonical(self.repos.repos[g.repo].name, strip_env=False)
            if g.repo in self.shared:
                extra_names += monorepo_names(g.names, repo_name)
            aws = sorted(g.names)[0][1].split("-") if g.names else []
            ours = repo_name.split("-")
            if len(aws) == len(ours) >= 2 and aws[:-1] == ours[:-1] and aws[-1] != ours[-1] \
                    and ours[-1].startswith(aws[-1]):
                extra_names.append((0, repo_name))  # "audit-eng" is a truncation of the repository's "audit-engine"
            else:
                extra_names.append((5, repo_name))
        name = pick_name(g.names, extra_names)
        draft = ServiceDraft(key="svc:" + name, name=name, display_name=naming.display_name(name))
        draft.entry_type = "service"
        draft.evidence = list(g.evidence)
        draft.resources = sorted(
            (ResourceClaim(f.external_id, f.kind, f.name, f.account, f.region, rule, conf)
             for f, rule, conf in g.members.values()), key=lambda r: (r.kind, r.account, r.region, r.name, r.external_id))
        draft.accounts = sorted({f.account for f in members if f.account})
        draft.regions = sorted({f.region for f in members if f.region})
        envs = {e for e in (classify.env_of_fact(f) for f in members if f.kind in (CFN_STACK,) + COMPUTE_KINDS) if e}
        draft.environments = sorted(envs)
        if g.repo:
            draft.repo_rule, draft.repo_confidence = g.repo_rule, g.repo_confidence
            self.repo_fields(draft, g.repo)
        runtimes = sorted({classify.runtime_family(str((f.attributes or {}).get("runtime"))) for f in members
                           if f.kind == LAMBDA_FUNCTION and (f.attributes or {}).get("runtime")})
        for rt in runtimes + (["Containers (ECS)"] if any(f.kind == ECS_SERVICE for f in members) else []):
            if rt not in draft.tech_stack:
                draft.tech_stack.append(rt)
        self.catalog_fields(draft, matching)
        self.describe(draft, g.repo, matching, members)
        draft.aliases = aliases_for(name, g.aliases + [n for _, n in g.names] +
                                    ([self.repos.repos[g.repo].name] if g.repo else []) + draft.aliases)
        draft.service_type = classify.service_type(members, name)
        if "prod" not in envs and envs and not any((e.attributes or {}).get("lifecycle") for e in matching):
            draft.lifecycle = "staging" if "staging" in envs else "experimental"
        draft.health = classify.health([f for f in members if f.kind == CLOUDWATCH_ALARM])
        draft.sources = sorted({source_of(f.kind) for f in members} | ({"github_repo"} if g.repo else set()) |
                               ({"catalog_info"} if matching else set()) |
                               {e["rule"] for e in g.evidence if e["rule"] in ("deploy_workflow", "tagged_resource_group", "explicit_tag")})
        folder_keys = {k for f in self.own_folders(g) for k in naming.name_keys(posixpath.basename(f), strip_env=False)}
        self.owners.gather(draft, g.repo, members, g.existence, g.keys | naming.name_keys(name) | folder_keys,
                           {e.name for e in matching})
        rules = self.declarations.owner_rules(g) if self.declarations else []
        if rules:  # the folder declaring it has an owner in the infrastructure repository (ownership.signals)
            draft.owner_evidence["signals"]["iac_codeowners"] = rules
            draft.evidence.append({"rule": "iac_codeowners", "facts": [r["fact"] for r in rules], "confidence": 0.5,
                                   "detail": "; ".join(f"{r['repo']} {r['path']}: {r['pattern']} {' '.join(r['owners'])}"
                                                       for r in rules)})
        if self.deploys:
            draft.last_deploy = self.deploys.for_entry(self.repos.repos[g.repo] if g.repo else None, members)
        return draft

    def component(self, repo_id: str) -> ServiceDraft:
        repo = self.repos.repos[repo_id]
        entities = self.repos.entities(repo_id)
        names = [(0, naming.canonical(entities[0].name, strip_env=False))] if len(entities) == 1 else []
        name = pick_name(names, [(5, naming.canonical(repo.name, strip_env=False))])
        draft = ServiceDraft(key="svc:" + name, name=name, display_name=naming.display_name(name))
        draft.entry_type = "component"
        self.repo_fields(draft, repo_id)
        draft.repo_rule, draft.repo_confidence = "repository", 1.0
        draft.component_type = classify.component_type(repo, entities)
        draft.service_type = "web" if draft.component_type == "website" else ""
        draft.lifecycle = "production"
        self.catalog_fields(draft, entities)
        self.describe(draft, repo_id, entities, [])
        draft.aliases = aliases_for(name, [repo.name] + draft.aliases)
        draft.sources = ["github_repo"] + (["catalog_info"] if entities else [])
        draft.evidence = [{"rule": "repository_only", "facts": [repo_id], "confidence": EXISTENCE["repo"],
                           "detail": f"repository {repo.name} has no infrastructure: a {draft.component_type} component"}]
        self.owners.gather(draft, repo_id, [], EXISTENCE["catalog"] if entities else EXISTENCE["repo"])
        if self.deploys:
            draft.last_deploy = self.deploys.for_entry(repo, [])
        return draft
