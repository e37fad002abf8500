"""Owners that corrections teach, re-applied at every ownership step of a discovery.

``propagate_owner`` gives a corrected owner to the similar services that exist when the correction is made;
``Learner`` gives it to every service that looks like a corrected one at every discovery, so a service
discovered later learns it too. "Looks like" is ``corrections.similarity`` on the corrected service's
pattern as it was when corrected (``Correction.pattern``): the same specific first name word, an owner-tag
value or a repository topic.

Which corrections teach: the latest owner correction of each service (a later one replaces it), to a team
that still exists. When several match a service and disagree, the team most of them chose wins (the latest
breaks ties). Its confidence is ``min(PROPAGATED_CONFIDENCE, LEARNED_BASE + LEARNED_STEP * n)`` for ``n``
agreeing corrections, scaled by their share of the matching ones; under ``UNOWNED_BELOW`` nothing is learned.
The learned owner holds only while inference is less sure (``corrections.effective_owner``, like the
``owner_propagated`` lock), and a person's correction of the service itself always wins.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from catalog.models import Team
from catalog.naming import owner_tag_values
from ownership.corrections import PROPAGATED_CONFIDENCE, _patterns, similarity
from ownership.models import Correction
from ownership.scoring import UNOWNED_BELOW

LEARNED_BASE = 0.70
LEARNED_STEP = 0.05  # each agreeing correction adds a little certainty, up to a propagated owner's


@dataclass(frozen=True)
class Lesson:
    correction: int
    service_id: object
    team: str
    user: str
    source: SimpleNamespace  # the corrected service's pattern: name, tags, owner_tags


def lesson_rows(rows) -> list[Lesson]:
    """Lessons from owner-correction rows (dicts, oldest first): the latest of each service."""
    latest: dict = {}
    for row in rows:
        latest[row["service_id"] or f"gone:{row['pk']}"] = row
    out = []
    for row in latest.values():
        pattern = row.get("pattern") or {}
        if not row.get("new_value"):
            continue  # "nobody owns it" teaches no team
        source = SimpleNamespace(name=pattern.get("name") or row.get("service__name") or row.get("service_name") or "",
                                 tags=pattern.get("tags", row.get("service__tags")) or [],
                                 owner_tags=pattern.get("owner_tags") or [])
        out.append(Lesson(row["pk"], row["service_id"], str(row["new_value"]), row["user"], source))
    return out


class Learner:
    """Matches services against the lessons (indexed by pattern, confirmed by ``similarity``)."""

    def __init__(self, lessons: list[Lesson]):
        self.lessons = lessons
        self.index: dict[tuple[str, str], list[Lesson]] = defaultdict(list)
        for lesson in lessons:
            for kind, values in _patterns(lesson.source).items():
                for value in values:
                    self.index[(kind, value)].append(lesson)

    @classmethod
    def from_db(cls) -> "Learner":
        teams = set(Team.objects.values_list("slug", flat=True))
        rows = (Correction.objects.filter(field=Correction.Field.OWNER).order_by("created_at", "pk")
                .values("pk", "service_id", "service_name", "new_value", "user", "pattern", "service__tags"))
        return cls([lesson for lesson in lesson_rows(rows) if lesson.team in teams])

    def owner_for(self, service, evidence: dict | None = None) -> dict | None:
        """The owner ``service`` (name, tags, pk) learns, or None: ``{"team", "confidence", "corrections",
        "users", "why", "disagreeing"}``. ``evidence``: its ownership input, for its owner-tag values."""
        if not self.lessons:
            return None
        tags = ((evidence or {}).get("signals") or {}).get("tags") or ()
        target = SimpleNamespace(name=service.name, tags=list(service.tags or []),
                                 owner_tags=sorted({v for t in tags if isinstance(t, dict) for v in owner_tag_values(t)}))
        candidates = {lesson.correction: lesson for kind, values in _patterns(target).items() for value in values
                      for lesson in self.index.get((kind, value), ())}
        matches = []
        for pk in sorted(candidates):  # oldest first: the last match is the latest correction
            lesson = candidates[pk]
            if lesson.service_id == getattr(service, "pk", None):
                continue
            why = similarity(lesson.source, target, lesson.team)
            if why:
                matches.append((lesson, why))
        if not matches:
            return None
        by_team: dict[str, list] = defaultdict(list)
        for lesson, why in matches:
            by_team[lesson.team].append((lesson, why))
        team, chosen = max(by_team.items(), key=lambda kv: (len(kv[1]), kv[1][-1][0].correction))
        n = len(chosen)
        confidence = round(min(PROPAGATED_CONFIDENCE, LEARNED_BASE + LEARNED_STEP * n) * n / len(matches), 2)
        if confidence < UNOWNED_BELOW:
            return None
        return {"team": team, "confidence": confidence, "corrections": n,
                "users": sorted({lesson.user for lesson, _ in chosen}), "why": chosen[-1][1],
                "disagreeing": len(matches) - n}


def describe(learned: dict) -> str:
    """The owner evidence of a learned owner: "learned from N corrections by <users> (<why>)"."""
    n = learned["corrections"]
    text = (f"owner {learned['team']} learned from {n} correction{'s' if n != 1 else ''} by "
            f"{', '.join(learned['users'])} ({learned['why']})")
    if learned.get("disagreeing"):
        text += f"; {learned['disagreeing']} matching correction(s) chose other teams"
    return text
