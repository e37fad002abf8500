"""``reconcile()``: the steps in order, from facts and links to identified, corrected, fingerprinted drafts."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from catalog import naming
from catalog.identity import match_existing
from catalog.reconcile.attachments import attach
from catalog.reconcile.classify import infrastructure_module
from catalog.reconcile.drafts import DraftBuilder, aliases_for, make_names_unique
from catalog.reconcile.grouping import merge_related, merge_units
from catalog.reconcile.iac import Declarations
from catalog.reconcile.last_deploy import LastDeploys
from catalog.reconcile.owners import OwnerEvidence, team_directory_data
from catalog.reconcile.repositories import Repositories
from catalog.reconcile.repository_links import link_repositories
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.types import FactView, LinkView, ReconcileResult
from catalog.reconcile.units import UnitFinder


def reconcile(facts: Iterable[FactView], links: Iterable[LinkView], *, existing: Iterable[dict] = ()) -> ReconcileResult:
    """Corrections are not reconcile's: they apply to stored services (``ownership.corrections``)."""
    excluded: list[dict[str, Any]] = []
    ix = ResourceIndex(facts, links)
    directory_data = team_directory_data(ix)
    directory = naming.TeamDirectory.from_data(directory_data)
    repos = Repositories(ix, excluded)           # first: their names are known service names
    finder = UnitFinder(ix, repos, excluded)
    data_stacks = finder.find()
    groups = merge_units(finder.units)
    declarations = Declarations(ix, repos)
    groups = declarations.merge_declared(groups)   # before attach: what Terraform declares together is known
    attach(groups, data_stacks, ix, directory, excluded)
    link_repositories(groups, ix, repos)
    groups = merge_related(groups, directory)
    linked_to = Counter(g.repo for g in groups if g.repo)
    shared = frozenset(repo for repo, n in linked_to.items() if n > 1)
    owners = OwnerEvidence(ix, repos, shared)
    owners.learn_accounts(groups)
    builder = DraftBuilder(repos, owners, LastDeploys(ix), declarations)
    drafts = [builder.service(g) for g in groups]
    linked = {g.repo for g in groups if g.repo}
    for repo_id, repo in repos.repos.items():
        if repo_id in linked:
            continue
        if infrastructure_module(repo):
            excluded.append({"external_id": repo_id, "kind": repo.kind, "name": repo.name,
                             "reason": "infrastructure_module"})
        else:
            drafts.append(builder.component(repo_id))
    make_names_unique(drafts)
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
                    d.aliases = aliases_for(old["name"], d.aliases + [d.name])
                    d.name = old["name"]
                    d.display_name = naming.display_name(d.name)
    drafts.sort(key=lambda d: d.key)
    for d in drafts:
        d.compute_fingerprint()
    excluded = sorted(excluded, key=lambda e: (e["reason"], e["kind"], e["name"]))
    stats = {"facts": len(ix.by_id), "units": len(finder.units), "services": sum(d.entry_type == "service" for d in drafts),
             "components": sum(d.entry_type == "component" for d in drafts), "excluded": len(excluded)}
    return ReconcileResult(services=drafts, excluded=excluded, stats=stats, directory=directory_data)
