"""Grouping: units sharing a name key are one service; one service under two spellings across stages is merged."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from catalog import naming
from catalog.reconcile.classify import env_of_fact
from catalog.reconcile.rules import COMPUTE_KINDS, EXISTENCE, STRONG_LINK
from catalog.reconcile.types import FactView
from catalog.reconcile.units import Unit
from discovery.facts import CFN_STACK
from catalog.naming import TeamDirectory, tag_votes


@dataclass(eq=False)
class Group:
    """The units of one service, their facts, names and evidence, and the repository linked to them."""
    units: list[Unit]
    members: dict[str, tuple[FactView, str, float]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    names: list[tuple[int, str]] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    repo_edges: list[tuple[float, str, str, list[str], str]] = field(default_factory=list)  # conf, rule, repo id, facts, detail
    repo: str | None = None
    repo_rule: str = ""
    repo_confidence: float = 0.0
    iac_sets: list[tuple[str, str, str]] = field(default_factory=list)  # folder sets declaring it (iac.py)
    # (repository id, folder) whose companion file (serverless.yml, SAM template) deploys only this service
    folders: set[tuple[str, str]] = field(default_factory=set)

    @property
    def existence(self) -> float:
        return max(EXISTENCE[u.kind] for u in self.units)

    def add(self, fact: FactView, rule: str, confidence: float) -> None:
        self.members.setdefault(fact.external_id, (fact, rule, confidence))

    def absorb(self, other: "Group") -> None:
        """Take ``other``'s units, facts, names and evidence: the two are one service (its repository
        stays the caller's decision)."""
        self.units.extend(other.units)
        for ext, claim in other.members.items():
            self.members.setdefault(ext, claim)
        self.keys |= other.keys
        self.names.extend(other.names)
        self.aliases.extend(other.aliases)
        self.evidence.extend(other.evidence)
        self.iac_sets.extend(other.iac_sets)
        self.folders |= other.folders


class UnionFind:
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


def similar_keys(a: set[str], b: set[str], *, prefix: bool = True) -> bool:
    for x in a:
        for y in b:
            short, long_ = sorted((x, y), key=len)
            if prefix and len(short) >= 5 and long_.startswith(short):
                return True
            if naming.fuzzy_equal(x, y) is not None:
                return True
    return False


def merge_units(units: list[Unit]) -> list[Group]:
    """Units sharing a name key are one service, across accounts, regions and stages."""
    uf = UnionFind(len(units))
    first: dict[str, int] = {}
    for i, unit in enumerate(units):
        for key in sorted(unit.keys):
            if key in first:
                uf.union(first[key], i)
            else:
                first[key] = i
    buckets: dict[int, list[Unit]] = defaultdict(list)
    for i, unit in enumerate(units):
        buckets[uf.find(i)].append(unit)
    groups = []
    for root in sorted(buckets):
        bucket = buckets[root]
        g = Group(bucket)
        for u in bucket:
            for ext, claim in u.members.items():
                g.members.setdefault(ext, claim)
            g.keys |= u.keys
            g.names.extend(u.names)
            g.aliases.extend(u.aliases)
            g.evidence.extend(u.evidence)
        groups.append(g)
    return groups


def merge_related(groups: list[Group], directory: TeamDirectory) -> list[Group]:
    """One service seen under two spellings in different stages is merged:
    - both deployed from one repository (strong link), in different stages or with near-identical
      names (``audit-eng`` / ``audit-engine``);
    - or, with no conflicting repository or owner tag, in different stages under names that are
      the same words abbreviated (``clm-worker`` prod, ``claimsworker`` staging) or <= 2 edits apart,
      when that pairing is the only one for both."""
    facts = [[f for f, _, _ in g.members.values()] for g in groups]
    envs = [{e for e in (env_of_fact(f) for f in fs if f.kind in (CFN_STACK,) + COMPUTE_KINDS) if e} for fs in facts]
    accounts = [{f.account for f in fs if f.account} for fs in facts]
    owners = []
    for fs in facts:
        votes = tag_votes([f.tags for f in fs], directory)
        owners.append(max(sorted(votes), key=votes.get) if votes else None)
    words = [{tuple(n.split("-")) for _, n in g.names if n} for g in groups]

    def apart(i: int, j: int) -> bool:
        if envs[i] and envs[j]:
            return not envs[i] & envs[j]
        return not accounts[i] & accounts[j]

    uf = UnionFind(len(groups))
    by_repo: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        if g.repo:
            by_repo[g.repo].append(i)
    for repo_id, idx in by_repo.items():
        strong = [i for i in idx if groups[i].repo_confidence >= STRONG_LINK]
        # a repository deploying three or more services side by side is a monorepo: there a name that begins
        # with another ("claim" / "claim-consumer") is a neighbour, and a service in staging only is a new one,
        # not another stage of its neighbour; only a near-identical name is the same service
        crowded = sum(1 for a in strong if any(not apart(a, b) for b in strong if b != a)) >= 3
        for a in strong:
            for b in strong:
                if a < b and ((apart(a, b) and not crowded) or
                              similar_keys(groups[a].keys, groups[b].keys, prefix=not crowded)):
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
                buckets[(w[0][:1], naming.singular(w[-1]))].append(i)
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
                if any(naming.abbreviation_match(p, q) for p in words[a] for q in words[b]) or \
                        similar_keys(groups[a].keys, groups[b].keys, prefix=False):
                    candidates[a].add(b)
                    candidates[b].add(a)
    for a, others in candidates.items():
        if len(others) == 1:
            b = next(iter(others))
            if len(candidates[b]) == 1:
                uf.union(a, b)
    merged: dict[int, Group] = {}
    out = []
    for i, g in enumerate(groups):
        root = uf.find(i)
        if root not in merged:
            merged[root] = g
            out.append(g)
            continue
        head = merged[root]
        head.absorb(g)
        if g.repo and (not head.repo or g.repo_confidence > head.repo_confidence):
            head.repo, head.repo_rule, head.repo_confidence = g.repo, g.repo_rule, g.repo_confidence
        head.evidence.append({"rule": "same_service_across_stages", "facts": [g.units[0].anchor.external_id],
                              "confidence": 0.80, "detail": f"{sorted(g.names)[0][1] if g.names else '?'} is the same "
                              f"service in another stage or account"})
    return out
