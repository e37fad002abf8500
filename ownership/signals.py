"""Scoring what reconcile handed over: a service's raw owner evidence -> the ownership model's signals ->
its inferred owner, and the service's composite confidence with that owner's. Pure (no models): the
ownership step (``ownership.inference``) runs it on stored inputs, the accuracy figures on drafts in memory.
The evidence's shape is described in ``ownership.inference``."""
from __future__ import annotations

from catalog.naming import TeamDirectory, tag_votes
from ownership import scoring


def owner_signals(signals: dict, directory: TeamDirectory) -> scoring.OwnerSignals:
    """The ownership model's signals from a service's raw evidence. A bare team name that teams of several
    organizations answer to means the team of the organization of the service's repository."""
    directory = directory.in_org(signals.get("org"))
    out = scoring.OwnerSignals()
    codeowners = signals.get("codeowners") or {}
    if codeowners.get("rules"):
        shares, owners = scoring.codeowner_shares(codeowners["rules"], directory, set(signals.get("folder_keys") or ()))
        out.codeowners = shares
        out.details["codeowners"] = {"path": codeowners.get("path"), "owners": owners}
    iac_rules = signals.get("iac_codeowners") or []
    if iac_rules:
        # The owner of the folder that declares the service in an infrastructure repository counts like
        # a path rule of its own repository (half a root rule); with the repository's own CODEOWNERS the
        # two share the signal, so neither source can count for more than one whole CODEOWNERS vote.
        shares, owners = scoring.codeowner_shares(iac_rules, directory)
        merged = dict(out.codeowners)
        for team, share in shares.items():
            merged[team] = merged.get(team, 0.0) + share
        total = sum(merged.values())
        out.codeowners = {t: v / total for t, v in merged.items()} if total > 1 else merged
        out.details["iac_codeowners"] = [{"repo": r.get("repo"), "path": r.get("path"), "folder": r.get("folder"),
                                          "pattern": r.get("pattern"), "owners": r.get("owners")} for r in iac_rules]
    if signals.get("catalog_info"):
        out.catalog_info = scoring.catalog_votes([str(o) for o in signals["catalog_info"]], directory)
    out.commits = scoring.commit_votes(signals.get("commit_authors") or {}, directory)
    strongest: dict[str, str] = {}
    for team, level in signals.get("permissions") or ():
        level = str(level or "")
        if scoring.PERMISSION_STRENGTH.get(level, 0) > scoring.PERMISSION_STRENGTH.get(strongest.get(team, ""), 0):
            strongest[team] = level
    out.permissions = strongest
    out.tags = tag_votes(signals.get("tags") or (), directory)
    out.unknown_teams = frozenset(t for t in (*out.tags, *out.catalog_info) if not directory.is_known(t))
    return out


def score(evidence: dict, directory: TeamDirectory, weights: dict[str, float] | None = None) -> dict:
    """The inferred owner of one service: owner, confidence, status, source, runner-up and candidates
    (``weights``: the tenant's adapted signal weights, default ``scoring.WEIGHTS``)."""
    result = scoring.score_owners(owner_signals(evidence.get("signals") or {}, directory), weights)
    return {"owner": result.owner, "confidence": result.confidence, "status": result.status,
            "source": result.source, "runner_up": result.runner_up, "runner_up_score": result.runner_up_score,
            "candidates": [dict(c) for c in result.candidates[:5]]}


def composite_confidence(confidence: dict, inferred: dict) -> float | None:
    """The service's confidence with its inferred owner's, by the parts and weights catalog handed over."""
    parts = []
    for weight, value in (confidence or {}).get("parts") or ():
        if value == "owner":
            if not inferred.get("owner"):
                continue
            value = inferred.get("confidence") or 0.0
        parts.append((float(weight), float(value)))
    total = sum(w for w, _ in parts)
    return round(sum(w * v for w, v in parts) / total, 2) if total else None


def infer_drafts(result) -> dict[str, dict]:
    """What the step would infer for each draft of a reconcile result, in memory (accuracy figures, tests):
    ``{draft key: inferred owner + "service_confidence"}``."""
    directory = TeamDirectory.from_data(result.directory)
    out = {}
    for draft in result.services:
        evidence = draft.owner_evidence
        inferred = score(evidence, directory)
        composite = composite_confidence(evidence.get("confidence") or {}, inferred)
        out[draft.key] = {**inferred, "service_confidence": draft.confidence if composite is None else composite}
    return out
