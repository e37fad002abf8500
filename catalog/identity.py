"""Identity across runs: which stored catalog entry a freshly reconciled draft is.

A service keeps its id when its name drifts: matching goes by what is least likely to change
first. 1) shared AWS resources (most shared first), 2) the same repository, 3) a name or alias
in common (compared normalized). Each existing entry and each draft is used at most once, so a
renamed signal becomes an alias of the old entry instead of a second entry.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from catalog import naming


def _names(name: str | None, aliases: Iterable[str] | None) -> set[str]:
    out = set()
    for n in [name or "", *(aliases or [])]:
        if n:
            out |= naming.name_keys(n, strip_env=False) | naming.name_keys(n)
    return out


def match_existing(drafts: list, existing: list[dict[str, Any]]) -> dict[str, Any]:
    """``{draft.key: existing id}`` for every draft that is an entry we already have.

    ``existing``: ``[{"id", "name", "aliases", "resource_ids", "repo"}]``."""
    result: dict[str, Any] = {}
    used: set[Any] = set()
    owner_of: dict[str, Any] = {}
    for e in existing:
        for rid in e.get("resource_ids") or ():
            owner_of.setdefault(rid, e["id"])
    # 1) resource overlap
    pairs = []
    for d in drafts:
        counts: dict[Any, int] = defaultdict(int)
        for r in d.resources:
            eid = owner_of.get(r.external_id)
            if eid is not None:
                counts[eid] += 1
        for eid, n in counts.items():
            pairs.append((-n, d.key, eid))
    for _, key, eid in sorted(pairs, key=lambda p: (p[0], p[1], str(p[2]))):
        if key not in result and eid not in used:
            result[key] = eid
            used.add(eid)
    # 2) repository, 3) names
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for e in existing:
        if e.get("repo"):
            by_repo[str(e["repo"]).lower()].append(e)
    for d in sorted(drafts, key=lambda d: d.key):
        if d.key in result or not d.repo:
            continue
        cands = [e for e in by_repo.get(d.repo.lower(), ()) if e["id"] not in used]
        if cands:
            mine = _names(d.name, d.aliases)
            cands.sort(key=lambda e: (not (_names(e.get("name"), e.get("aliases")) & mine), str(e["id"])))
            result[d.key] = cands[0]["id"]
            used.add(cands[0]["id"])
    by_name: dict[str, list[dict]] = defaultdict(list)
    for e in existing:
        for n in _names(e.get("name"), e.get("aliases")):
            by_name[n].append(e)
    for d in sorted(drafts, key=lambda d: d.key):
        if d.key in result:
            continue
        primary = _names(d.name, ())
        everything = _names(d.name, d.aliases)
        for keys in (primary, everything):
            cands = sorted({e["id"]: e for k in keys for e in by_name.get(k, ()) if e["id"] not in used}.values(),
                           key=lambda e: str(e["id"]))
            if cands:
                result[d.key] = cands[0]["id"]
                used.add(cands[0]["id"])
                break
    return result
