"""The ownership model: which team owns a service, how sure we are, and why.

Signals and weights (the architecture's model, plus catalog-info):

===============  ======  =====================================================================
signal           weight  value per candidate team (0..1)
===============  ======  =====================================================================
codeowners       0.40    share of the owners on the rule that owns the service: a rule for a
                         folder named after it (monorepos), else the last rule covering the
                         repository root; users and e-mails count for their teams
catalog_info     0.40    1 for the team a catalog-info.yaml Component names as ``spec.owner``: an
                         explicit, human-written declaration, as strong as CODEOWNERS (and as
                         likely to go stale, so not stronger)
tags             0.20    share of the service's tagged resources whose owner tag names the team
                         (tags a stack copied onto its resources count once, at the stack)
commits          0.25    share of recent commits by the team's members, sharpened (squared and
                         renormalized): the team that commits most is the likely owner even
                         without a majority
permissions      0.15    strongest permission the team holds on the repository
                         (admin 1, maintain .9, push .5, triage .25, pull .1)
===============  ======  =====================================================================

A tag or catalog-info owner that names no GitHub team keeps its slug as a candidate but counts
half (such names are often stale: ``team-phoenix``).

Normalization over *available* signals: ``score(team) = sum(w_s * v_s(team)) / sum(w_s * |v_s|)``
over the signals that named any team, where ``|v_s|`` is 1 for a plain distribution, less when
part of it named unknown teams, and for permissions the best grant's strength (at least 0.6: a
lone push grant can own a repository, a lone triage grant cannot). So a service seen only
through tags (no repository) still gets the team its tags name (score 1.0), while a team that
wins only one signal of several is diluted by the others. Status: ``unowned`` when the best
score is below 0.50, ``ambiguous`` when the runner-up is within 0.10, else ``owned``. The
reported confidence is the score discounted by how much evidence there was:
``score * (0.5 + 0.5 * min(1, available / 0.65))`` (0.65 = CODEOWNERS + commits, i.e. full
support), so tags alone never claim more than ~0.65.

Users map to their *most specific* teams: membership of a parent team that only repeats a child
team's membership (GitHub lists child members on the parent) is ignored. Team names are matched
in their common spellings (``@acme/payments``, ``Payments``, ``payments-team``, ``team-payments``,
``payments-legacy``, a member's login or e-mail) by ``catalog.naming.TeamDirectory``.

Pure: ``ownership.inference`` turns what reconcile saw into signals and runs it as a discovery's step.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

# Team names -> team slugs is catalog's (reconcile groups resources by owner tags with it too).
from catalog.choices import OwnershipStatus
from catalog.naming import TeamDirectory, name_keys

WEIGHTS = {"codeowners": 0.40, "catalog_info": 0.40, "commits": 0.25, "tags": 0.20, "permissions": 0.15}
# Ties between candidates are broken by the strongest signal a team holds, in this order.
SIGNAL_ORDER = ("codeowners", "catalog_info", "commits", "tags", "permissions")
PERMISSION_STRENGTH = {"admin": 1.0, "maintain": 0.9, "push": 0.5, "write": 0.5, "triage": 0.25,
                       "pull": 0.1, "read": 0.1}
PERMISSION_FLOOR = 0.6
UNKNOWN_TEAM_CREDIT = 0.5
UNOWNED_BELOW = 0.50
AMBIGUOUS_WITHIN = 0.10
FULL_SUPPORT = 0.65


@dataclass
class OwnerSignals:
    """Raw evidence for one service, already mapped to team slugs."""
    codeowners: dict[str, float] = field(default_factory=dict)   # team -> share of root-rule owners
    catalog_info: dict[str, float] = field(default_factory=dict)  # team -> 1.0
    tags: dict[str, float] = field(default_factory=dict)         # team -> tagged resources (fractional)
    commits: dict[str, float] = field(default_factory=dict)      # team -> commits by its members
    permissions: dict[str, str] = field(default_factory=dict)    # team -> permission level
    unknown_teams: frozenset[str] = frozenset()                   # named teams with no GitHub team
    details: dict[str, Any] = field(default_factory=dict)        # what was read, for evidence

    def values(self) -> dict[str, dict[str, float]]:
        """Each available signal as team -> value in [0, 1].

        Distributions become shares; commit shares are sharpened (squared, renormalized) because
        the team that commits most is the likely owner even without a majority; a tag or
        catalog-info naming a team that has no GitHub team counts half (likely stale); permissions
        give their strength."""
        out: dict[str, dict[str, float]] = {}
        for name in ("codeowners", "catalog_info", "tags", "commits"):
            raw = {t: n for t, n in getattr(self, name).items() if n > 0}
            total = sum(raw.values())
            if not total:
                continue
            shares = {t: n / total for t, n in raw.items()}
            if name == "commits":
                norm = sum(v * v for v in shares.values())
                shares = {t: v * v / norm for t, v in shares.items()}
            if name in ("tags", "catalog_info"):
                shares = {t: v * (UNKNOWN_TEAM_CREDIT if t in self.unknown_teams else 1.0) for t, v in shares.items()}
            out[name] = shares
        perms = {team: PERMISSION_STRENGTH.get(str(level).lower(), 0.0) for team, level in self.permissions.items()}
        perms = {t: v for t, v in perms.items() if v > 0}
        if perms:
            out["permissions"] = perms
        return out


@dataclass(frozen=True)
class OwnershipResult:
    owner: str | None
    confidence: float
    status: str                  # owned | ambiguous | unowned
    source: str                  # the signal that contributed most to the owner, or ""
    runner_up: str | None
    runner_up_score: float
    candidates: tuple[dict[str, Any], ...]  # [{"team", "score", "signals": {signal: value}}], best first


def _available(values: dict[str, dict[str, float]], weights: dict[str, float] = WEIGHTS) -> float:
    """Weight the signals bring. Shares already say how split a signal is, so such a signal counts in
    full (less what was discounted for unknown teams). Permissions count as strongly as the best
    grant seen (a stray ``push`` grant must not dilute a clear commit majority), but at least
    ``PERMISSION_FLOOR`` of their weight, so a lone triage or pull grant does not make a team the owner."""
    return sum(weights[s] * (max(PERMISSION_FLOOR, max(v.values())) if s == "permissions" else sum(v.values()))
               for s, v in values.items())


def score_owners(signals: OwnerSignals, weights: dict[str, float] | None = None) -> OwnershipResult:
    """``weights``: the tenant's adapted weights (``ownership.weights``); the defaults, ``WEIGHTS``, without."""
    weights = {**WEIGHTS, **(weights or {})}
    values = signals.values()
    available = _available(values, weights)
    if not available:
        return OwnershipResult(None, 0.0, OwnershipStatus.UNOWNED, "", None, 0.0, ())
    scores: dict[str, float] = defaultdict(float)
    parts: dict[str, dict[str, float]] = defaultdict(dict)
    for name, per_team in values.items():
        for team, v in per_team.items():
            scores[team] += weights[name] * v / available
            parts[team][name] = round(v, 4)

    def rank(team: str):
        strongest = min((SIGNAL_ORDER.index(s) for s in parts[team]), default=len(SIGNAL_ORDER))
        return (-round(scores[team], 9), strongest, team)

    ordered = sorted(scores, key=rank)
    candidates = tuple({"team": t, "score": round(scores[t], 4), "signals": parts[t]} for t in ordered)
    top = ordered[0]
    top_score = scores[top]
    second = ordered[1] if len(ordered) > 1 else None
    second_score = scores[second] if second else 0.0
    if top_score < UNOWNED_BELOW:
        return OwnershipResult(None, 0.0, OwnershipStatus.UNOWNED, "", top, round(top_score, 4), candidates)
    status = OwnershipStatus.AMBIGUOUS if second is not None and top_score - second_score < AMBIGUOUS_WITHIN else OwnershipStatus.OWNED
    support = min(1.0, available / FULL_SUPPORT)
    confidence = round(top_score * (0.5 + 0.5 * support), 2)
    source = max(parts[top], key=lambda s: (weights[s] * parts[top][s], -SIGNAL_ORDER.index(s)))
    return OwnershipResult(top, confidence, status, source, second, round(second_score, 4), candidates)


# --- turning facts into signals ----------------------------------------------------------
_ROOT_PATTERNS = {"*", "/*", "**", "/**", "/", "**/*", "/**/*"}


def _last(rules: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not rules:
        return None
    return max(rules, key=lambda r: (r.get("order") if r.get("order") is not None else -1, r.get("line") or 0))


def root_rule(rules: list[dict[str, Any]], folder_keys: Iterable[str] = ()) -> dict[str, Any] | None:
    """The CODEOWNERS rule that owns the service: the last rule for a folder named after it (a
    monorepo's ``/services/trip-tracker/``), else the last rule covering the repository root."""
    keys = set(folder_keys)
    if keys:
        own = [r for r in rules if any(_folder_is(seg, keys) for seg in re.split(r"[/\\]", str(r.get("pattern", ""))) if seg)]
        if own:
            return _last(own)
    return _last([r for r in rules if str(r.get("pattern", "")).strip() in _ROOT_PATTERNS])


def _folder_is(segment: str, keys: set[str]) -> bool:
    """Whether a path segment names the service: compared as written, and by the service's name keys
    (which singularize: the folder ``customs-service`` is the service keyed ``customservice``)."""
    return _compact(segment) in keys or bool(name_keys(segment, strip_env=False) & keys)


def _compact(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def codeowner_shares(rules: list[dict[str, Any]], directory: TeamDirectory,
                     folder_keys: Iterable[str] = ()) -> tuple[dict[str, float], list[str]]:
    """Team -> share from the service's rule (see ``root_rule``); without one, from all rules."""
    rule = root_rule(rules, folder_keys)
    chosen = [rule] if rule else rules
    shares: dict[str, float] = defaultdict(float)
    owners_seen: list[str] = []
    for r in chosen:
        owners = [o for o in (r.get("owners") or []) if o]
        mapped = [(o, directory.resolve(o, keep_unknown=False)) for o in owners]
        mapped = [(o, teams) for o, teams in mapped if teams]
        for owner, teams in mapped:
            owners_seen.append(owner)
            for team in teams:
                shares[team] += 1.0 / len(teams) / len(mapped)
    if not rule:  # path rules alone say less about the service as a whole
        shares = {t: v * 0.5 for t, v in shares.items()}
    return dict(shares), owners_seen


def commit_votes(commit_authors: dict[str, int], directory: TeamDirectory) -> dict[str, float]:
    votes: dict[str, float] = defaultdict(float)
    for login, count in (commit_authors or {}).items():
        teams = directory.teams_of_user(login)
        for team in teams:
            votes[team] += float(count) / len(teams)
    return dict(votes)


def catalog_votes(owners: Iterable[str], directory: TeamDirectory) -> dict[str, float]:
    votes: dict[str, float] = {}
    for owner in owners:
        for team in directory.resolve(owner, keep_unknown=True):
            votes[team] = 1.0
    return votes
