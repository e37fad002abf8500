"""Owner evidence of an entry, as data: what the team directory, CODEOWNERS, catalog-info, commits,
permissions and tags say about it. Reconcile gathers it; the ownership step (``ownership.inference``)
scores it against the team directory of the same run. Nothing here decides an owner."""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from catalog.naming import owner_tag_values, team_keys
from catalog.reconcile.repositories import Repositories
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.types import FactView, ServiceDraft
from discovery.facts import (
    CHILD_OF, CLOUDWATCH_ALARM, GH_CATALOG_ENTITY, GH_CODEOWNER_RULE, GH_MEMBER, GH_TEAM, HAS_PERMISSION, MEMBER_OF,
)

# domain labels exclude the dot, so there is one way to split a domain (no backtracking on a long one)
_EMAIL = re.compile(r"^[^@\s/:]+@[^@\s/:.]+(?:\.[^@\s/:.]+)+$")
# The composite confidence's weights (the architecture's calculate_confidence): existence, owner, repository.
EXISTENCE_WEIGHT, OWNER_WEIGHT, REPO_WEIGHT = 0.4, 0.3, 0.3


def team_org(fact: FactView) -> str:
    return str((fact.attributes or {}).get("org") or fact.account or "")


def team_key_by_id(ix: ResourceIndex) -> dict[str, str]:
    """Each GitHub team fact's name in the catalog (``naming.team_keys``: qualified when two orgs share a slug)."""
    facts = list(ix.by_kind.get(GH_TEAM, ()))
    keys = team_keys((team_org(f), f.name) for f in facts)
    return {f.external_id: keys[(team_org(f), f.name)] for f in facts}


def team_directory_data(ix: ResourceIndex) -> dict:
    """GitHub teams (with parents), members and memberships: the ``TeamDirectory`` arguments, as data."""
    teams = []
    key_of = team_key_by_id(ix)
    by_org_slug = {(team_org(f), f.name): key_of[f.external_id] for f in ix.by_kind.get(GH_TEAM, ())}
    several_orgs = len({org for org, _ in by_org_slug}) > 1
    for fact in ix.by_kind.get(GH_TEAM, ()):
        attrs = fact.attributes or {}
        org = team_org(fact)
        parent = attrs.get("parent")
        if parent:
            parent = by_org_slug.get((org, parent), parent)
        else:
            parents = ix.targets(fact.external_id, CHILD_OF)
            parent = key_of.get(parents[0].external_id, parents[0].name) if parents else None
        team = {"slug": key_of[fact.external_id], "name": attrs.get("name") or fact.name, "parent": parent,
                "members": list(attrs.get("members") or [])}
        if several_orgs:  # a team's org tells apart same-slug teams and a person's teams in two orgs
            team["org"] = org
        teams.append(team)
    members = [{"login": f.name, "email": (f.attributes or {}).get("email"), "name": (f.attributes or {}).get("name")}
               for f in ix.by_kind.get(GH_MEMBER, ())]
    memberships = []
    for team in ix.by_kind.get(GH_TEAM, ()):
        for src in ix.into.get((team.external_id, MEMBER_OF), ()):
            memberships.append([src.rsplit("/", 1)[-1], key_of[team.external_id]])
    return {"teams": teams, "members": members, "memberships": memberships}


def catalog_owner(attrs: dict, login_by_email: dict[str, str]) -> tuple[str | None, str | None]:
    """A catalog-info entity's owner as (reference for the ownership model, contact e-mail).

    The reference keeps its kind, so a ``user:`` owner counts for that person's teams and never for a
    team of the same name. An e-mail owner is a person: a member with that address counts as that
    user, and the address is a contact, never a team named after its mailbox."""
    owner = str(attrs.get("owner") or "").strip()
    if not owner:
        return None, None
    if _EMAIL.match(owner):
        login = login_by_email.get(owner.lower())
        return (f"user:{login}" if login else None), owner
    ref = attrs.get("owner_ref")
    if ref:
        return str(ref), None
    kind = attrs.get("owner_kind")  # facts stored before owner_ref existed
    return (f"{kind}:{owner}" if kind else owner), None


class OwnerEvidence:
    """Gathers each draft's owner evidence (``draft.owner_evidence``, the shape ``ownership.inference`` reads)."""

    def __init__(self, ix: ResourceIndex, repos: Repositories, shared: frozenset[str] = frozenset()):
        self.ix = ix
        self.repos = repos
        self.team_key = team_key_by_id(ix)
        self.account_org: dict[str, str] = {}
        self.shared = shared  # repositories several services come from (monorepos)
        self.login_by_email = {str((m.attributes or {}).get("email")).lower(): m.name
                               for m in ix.by_kind.get(GH_MEMBER, ()) if (m.attributes or {}).get("email")}

    def learn_accounts(self, groups) -> None:
        """Which GitHub organization each AWS account belongs to: the one whose repositories deploy most of the
        services found in it, by a clear margin (at least twice any other's). After an acquisition a bare team
        name on a service with no repository then means the team of the organization that runs its account."""
        counts: dict[str, Counter] = defaultdict(Counter)
        for g in groups:
            repo = self.repos.repos.get(g.repo) if g.repo else None
            if repo is None or not repo.account:
                continue
            for account in {claim[0].account for claim in g.members.values() if claim[0].account}:
                counts[account][repo.account] += 1
        for account, orgs in counts.items():
            (org, n), *rest = orgs.most_common(2)
            if not rest or n >= 2 * rest[0][1]:
                self.account_org[account] = org

    def repo_signals(self, repo_id: str, entity_names: set[str]) -> dict:
        """The repository's evidence: its CODEOWNERS rules, catalog-info owners, commit authors, team permissions."""
        repo = self.repos.repos[repo_id]
        attrs = repo.attributes or {}
        declared = self.repos.repo_declares.get(repo_id, {})
        rules = list(declared.get(GH_CODEOWNER_RULE, ()))
        path = attrs.get("codeowners_path")
        if path:
            rules = [r for r in rules if (r.attributes or {}).get("path") in (path, None)] or rules
        entities = [e for e in declared.get(GH_CATALOG_ENTITY, ()) if (e.attributes or {}).get("owner")]
        # in a monorepo only the entities named like the service speak for it: a lone Component is its own
        # service's, and a System owns the repository as a whole, as its root CODEOWNERS rule does
        shared = repo_id in self.shared
        mine = [e for e in entities if e.name in entity_names] if len(entities) > 1 or shared else entities
        permissions = []
        for team_id in self.ix.into.get((repo_id, HAS_PERMISSION), ()):
            team = self.ix.by_id.get(team_id)
            if team is not None:
                level = str(self.ix.link_attrs.get((team_id, HAS_PERMISSION, repo_id), {}).get("permission") or "")
                permissions.append([self.team_key.get(team_id, team.name), level])
        owners = [catalog_owner(e.attributes or {}, self.login_by_email) for e in mine]
        return {"org": repo.account or None,  # the organization a bare team name in its files means
                "codeowners": {"path": path, "rules": [r.attributes or {} for r in rules]} if rules else None,
                "catalog_info": [ref for ref, _ in owners if ref],
                "contacts": sorted({email for _, email in owners if email}),
                "commit_authors": dict(attrs.get("commit_authors") or {}),
                "permissions": permissions}

    def own_tags(self, fact: FactView) -> dict:
        """A resource's tags without the ones its stack copied onto it: the stack votes once, itself."""
        stack = self.ix.stack_of(fact) if fact.tags else None
        if stack is None:
            return fact.tags or {}
        inherited = stack.tags or {}
        return {k: v for k, v in (fact.tags or {}).items() if inherited.get(k) != v}

    def gather(self, draft: ServiceDraft, repo_id: str | None, members: list[FactView], existence: float,
               folder_keys: set[str] = frozenset(), entity_names: set[str] = frozenset()) -> None:
        """Record the draft's owner evidence and the parts of its composite confidence; the owner's part is
        named ``"owner"`` and filled in by the ownership step with the inferred owner's confidence."""
        tagged = [self.own_tags(m) for m in members if m.kind != CLOUDWATCH_ALARM]
        signals = {"repo": repo_id, "codeowners": None, "folder_keys": sorted(folder_keys), "catalog_info": [],
                   "contacts": [], "commit_authors": {}, "permissions": [], "tags": tagged}
        if repo_id:
            signals.update(self.repo_signals(repo_id, set(entity_names)))
        else:
            orgs = {self.account_org.get(m.account) for m in members}
            if len(orgs) == 1 and None not in orgs:
                signals["org"] = orgs.pop()
        draft.owner_tags = sorted({v for t in tagged for v in owner_tag_values(t)})
        parts = [[EXISTENCE_WEIGHT, existence], [OWNER_WEIGHT, "owner"]]
        if draft.repo:
            parts.append([REPO_WEIGHT, draft.repo_confidence])
        draft.owner_evidence = {"signals": signals, "confidence": {"parts": parts}}
        # until an owner is inferred, the entry is as confident as what is known without one
        known = [(w, v) for w, v in parts if v != "owner"]
        draft.confidence = round(sum(w * v for w, v in known) / sum(w for w, _ in known), 2)
