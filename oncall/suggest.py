"""Which PagerDuty schedule and which Opsgenie team is a Roster team's, from names alone (pure).

A team ``payments`` ("Payments Team") and a schedule "Payments Primary" or an Opsgenie team "Payments" name the
same people: names are lowercased, split into words and stripped of the words every on-call name carries
("primary", "rotation", "on-call", "team", ...), then compared with rapidfuzz's token-sort ratio, so
``payments`` matches "Payments Primary" fully but "Payments Platform" only partly. A primary schedule wins a tie
over a secondary or backup one. Each candidate goes to at most one team (the best match first), and a team whose
two best candidates score the same gets no suggestion: a person decides.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

THRESHOLD = 0.85
NOISE = frozenset({
    "primary", "secondary", "backup", "oncall", "on", "call", "rotation", "rota", "schedule", "schedules", "sched",
    "team", "teams", "escalation", "policy", "the", "24x7", "follow", "sun", "pager", "pagerduty", "opsgenie",
    "engineering", "eng",
})
PREFERENCE = {"primary": 0.02, "secondary": -0.03, "backup": -0.03, "shadow": -0.05}
WORD = re.compile(r"[a-z0-9]+")
# Where each kind of candidate goes on the team.
FIELD_OF = {"pagerduty_schedule": "pagerduty_schedule_id", "opsgenie_team": "opsgenie_team_id"}


@dataclass(frozen=True)
class TeamName:
    id: str
    slug: str
    name: str


@dataclass(frozen=True)
class Candidate:
    kind: str         # pagerduty_schedule | opsgenie_team
    external_id: str
    name: str


@dataclass(frozen=True)
class Suggestion:
    team_id: str
    field: str        # a Team field: pagerduty_schedule_id | opsgenie_team_id
    value: str
    score: float
    label: str        # what it came from, for people: 'PagerDuty schedule "Payments Primary"'


def words(name: str) -> list[str]:
    return WORD.findall(str(name or "").lower().replace("on-call", "oncall").replace("on call", "oncall"))


def normalize(name: str) -> str:
    """'Payments Primary On-Call' -> 'payments'; a name of noise words only keeps them ('Primary' -> 'primary')."""
    found = words(name)
    kept = [w for w in found if w not in NOISE]
    return " ".join(kept or found)


def _sorted_words(name: str) -> str:
    """The normalized name's words in order: comparing these with a plain ratio is rapidfuzz's token-sort ratio,
    done once per name instead of once per pair."""
    return " ".join(sorted(normalize(name).split()))


def _labels(team: TeamName) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in (_sorted_words(team.slug), _sorted_words(team.name)) if n))


def _bonus(candidate: Candidate) -> float:
    return sum(PREFERENCE.get(w, 0.0) for w in set(words(candidate.name)))


def score(team: TeamName, candidate: Candidate) -> float:
    """0..1: how well the candidate's name matches the team's slug or name (token-sort ratio of the normalized
    names), plus a small preference for primary schedules over secondary ones."""
    target = _sorted_words(candidate.name)
    if not target:
        return 0.0
    best = max((fuzz.ratio(label, target) for label in _labels(team)), default=0.0)
    return round(max(0.0, min(1.0, best / 100.0 + _bonus(candidate))), 4)


def _scored(teams: list[TeamName], pool: list[Candidate], threshold: float) -> list[tuple[float, TeamName, Candidate]]:
    """Every (score, team, candidate) that may reach ``threshold``, best first (rapidfuzz's C loop per team)."""
    targets = [_sorted_words(c.name) for c in pool]
    bonuses = [_bonus(c) for c in pool]
    cutoff = max(0.0, (threshold - max(PREFERENCE.values())) * 100)
    found = []
    for team in teams:
        best: dict[int, float] = {}
        for label in _labels(team):
            for _, value, index in process.extract(label, targets, scorer=fuzz.ratio, score_cutoff=cutoff,
                                                   limit=None):
                if targets[index]:
                    best[index] = max(best.get(index, 0.0), value)
        for index, value in best.items():
            found.append((round(max(0.0, min(1.0, value / 100.0 + bonuses[index])), 4), team, pool[index]))
    return sorted(found, key=lambda t: (-t[0], t[2].name, t[1].slug))


def _label(candidate: Candidate) -> str:
    kind = {"pagerduty_schedule": "PagerDuty schedule", "opsgenie_team": "Opsgenie team"}.get(candidate.kind,
                                                                                              candidate.kind)
    return f'{kind} "{candidate.name}"'


def suggest(teams: list[TeamName], candidates: list[Candidate], threshold: float = THRESHOLD) -> list[Suggestion]:
    """The suggestions for every team and field, best matches first; at most one per team and field and one team
    per candidate."""
    found: list[Suggestion] = []
    for kind, field in FIELD_OF.items():
        scored = _scored(teams, [c for c in candidates if c.kind == kind], threshold)
        ambiguous = _ambiguous_teams(scored, threshold)
        taken_teams, taken_candidates = set(), set()
        for value, team, candidate in scored:
            if value < threshold:
                break
            if team.id in taken_teams or candidate.external_id in taken_candidates or team.id in ambiguous:
                continue
            taken_teams.add(team.id)
            taken_candidates.add(candidate.external_id)
            found.append(Suggestion(team.id, field, candidate.external_id, value, _label(candidate)))
    return found


def _ambiguous_teams(scored, threshold: float) -> set[str]:
    """Teams whose best two distinct candidates score the same (above the threshold)."""
    best: dict[str, list[tuple[float, str]]] = {}
    for value, team, candidate in scored:
        if value < threshold:
            break
        tops = best.setdefault(team.id, [])
        if len(tops) < 2 and all(candidate.external_id != c for _, c in tops):
            tops.append((value, candidate.external_id))
    return {team for team, tops in best.items() if len(tops) == 2 and tops[0][0] == tops[1][0]}
