"""Ownership of an entry: the team directory from GitHub facts, and the owner signals scored for each draft."""
from __future__ import annotations

from catalog.reconcile.repositories import Repositories
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.types import FactView, ServiceDraft
from discovery.facts import (
    CHILD_OF, CLOUDWATCH_ALARM, GH_CATALOG_ENTITY, GH_CODEOWNER_RULE, GH_MEMBER, GH_TEAM, HAS_PERMISSION, MEMBER_OF,
)
from ownership import scoring


def team_directory(ix: ResourceIndex) -> scoring.TeamDirectory:
    """GitHub teams (with parents), members and memberships, as the ownership model reads them."""
    teams = []
    for fact in ix.by_kind.get(GH_TEAM, ()):
        attrs = fact.attributes or {}
        parent = attrs.get("parent")
        if not parent:
            parents = ix.targets(fact.external_id, CHILD_OF)
            parent = parents[0].name if parents else None
        teams.append({"slug": fact.name, "name": attrs.get("name") or fact.name, "parent": parent,
                      "members": list(attrs.get("members") or [])})
    members = [{"login": f.name, "email": (f.attributes or {}).get("email"), "name": (f.attributes or {}).get("name")}
               for f in ix.by_kind.get(GH_MEMBER, ())]
    memberships = []
    for team in ix.by_kind.get(GH_TEAM, ()):
        for src in ix.into.get((team.external_id, MEMBER_OF), ()):
            memberships.append((src.rsplit("/", 1)[-1], team.name))
    return scoring.TeamDirectory(teams, members, memberships)


class OwnerInference:
    """Gathers each draft's owner signals (CODEOWNERS, catalog-info, commits, permissions, tags) and scores them."""

    def __init__(self, ix: ResourceIndex, repos: Repositories, directory: scoring.TeamDirectory):
        self.ix = ix
        self.repos = repos
        self.directory = directory

    def repo_signals(self, repo_id: str | None, signals: scoring.OwnerSignals, folder_keys: set[str],
                     entity_names: set[str]) -> None:
        """The repository's votes: CODEOWNERS, catalog-info owners, commit authors and team permissions."""
        if not repo_id:
            return
        repo = self.repos.repos[repo_id]
        attrs = repo.attributes or {}
        declared = self.repos.repo_declares.get(repo_id, {})
        rules = [r for r in declared.get(GH_CODEOWNER_RULE, ())]
        path = attrs.get("codeowners_path")
        if path:
            rules = [r for r in rules if (r.attributes or {}).get("path") in (path, None)] or rules
        if rules:
            shares, owners = scoring.codeowner_shares([r.attributes or {} for r in rules], self.directory, folder_keys)
            signals.codeowners = shares
            signals.details["codeowners"] = {"path": path, "owners": owners}
        entities = [e for e in declared.get(GH_CATALOG_ENTITY, ()) if (e.attributes or {}).get("owner")]
        mine = [e for e in entities if e.name in entity_names] if len(entities) > 1 else entities
        owners = [str(e.attributes["owner"]) for e in mine]
        if owners:
            signals.catalog_info = scoring.catalog_votes(owners, self.directory)
        signals.commits = scoring.commit_votes(attrs.get("commit_authors") or {}, self.directory)
        perms: dict[str, str] = {}
        for team_id in self.ix.into.get((repo_id, HAS_PERMISSION), ()):
            team = self.ix.by_id.get(team_id)
            if team is None:
                continue
            level = str(self.ix.link_attrs.get((team_id, HAS_PERMISSION, repo_id), {}).get("permission") or "")
            if scoring.PERMISSION_STRENGTH.get(level, 0) > scoring.PERMISSION_STRENGTH.get(perms.get(team.name, ""), 0):
                perms[team.name] = level
        signals.permissions = perms

    def own_tags(self, fact: FactView) -> dict:
        """A resource's tags without the ones its stack copied onto it: the stack votes once, itself."""
        stack = self.ix.stack_of(fact) if fact.tags else None
        if stack is None:
            return fact.tags or {}
        inherited = stack.tags or {}
        return {k: v for k, v in (fact.tags or {}).items() if inherited.get(k) != v}

    def assign(self, draft: ServiceDraft, repo_id: str | None, members: list[FactView],
               folder_keys: set[str] = frozenset(), entity_names: set[str] = frozenset()) -> None:
        """Score the candidate teams of a draft and record the owner, its runner-up and the evidence."""
        signals = scoring.OwnerSignals()
        self.repo_signals(repo_id, signals, set(folder_keys), set(entity_names))
        tagged = [self.own_tags(m) for m in members if m.kind != CLOUDWATCH_ALARM]
        signals.tags = scoring.tag_votes(tagged, self.directory)
        signals.unknown_teams = frozenset(t for t in (*signals.tags, *signals.catalog_info)
                                          if not self.directory.is_known(t))
        draft.owner_tags = sorted({v for t in tagged for v in scoring.owner_tag_values(t)})
        result = scoring.score_owners(signals)
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
