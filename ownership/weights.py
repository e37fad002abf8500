"""Each tenant's signal weights, adapted to its owner corrections.

When a person corrects an owner, the correction keeps (``Correction.signals``, from ``at_correction``) which
signal had chosen the owner inference found (``wrong``) and which signals pointed at the team the person
chose (``right``). A signal's weight is then its default (``scoring.WEIGHTS``) times
``1 + STEP * (corrections it was right in - corrections it was wrong in)``, held within ``BOUNDS`` of the
default, so no run of corrections can silence a signal or let one drown the others.

Nothing is stored but the corrections: the weights are derived from them each time they are needed (once
per ownership step, once per API request), so they are reproducible and reversible. Only the latest owner
correction of each service counts (correcting it back to what inference found undoes the earlier one;
deleting a correction takes its part away), and corrections older than the tenant's latest ``WeightsReset``
count no more (they still lock, propagate and teach owners).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from django.db import transaction

from audit import events
from catalog.choices import OwnershipStatus
from ownership.models import Correction, WeightsReset
from ownership.scoring import SIGNAL_ORDER, WEIGHTS

STEP = 0.1  # one net correction moves a weight by a tenth of its default
BOUNDS = (0.5, 1.5)  # times the default


@dataclass(frozen=True)
class Adapted:
    weights: dict[str, float]               # signal -> effective weight
    counts: dict[str, dict[str, int]]       # signal -> {"raised": n, "lowered": n}: corrections that moved it
    corrections: int                        # corrections that moved at least one weight
    reset_at: datetime | None = None        # the tenant's latest reset, if any

    def changed(self) -> dict[str, float]:
        """The signals whose weight is not its default."""
        return {s: w for s, w in self.weights.items() if round(w, 4) != round(WEIGHTS[s], 4)}

    def explain(self) -> str:
        """One line for a service's owner evidence, "" when every weight is its default."""
        changed = self.changed()
        if not changed:
            return ""
        parts = [f"{s} {WEIGHTS[s]:g}->{w:g}" for s, w in sorted(changed.items(), key=lambda kv: SIGNAL_ORDER.index(kv[0]))]
        n = self.corrections
        return f"weights adapted from {n} correction{'s' if n != 1 else ''}: {', '.join(parts)}"

    def as_dict(self) -> dict:
        return {"weights": dict(self.weights), "defaults": dict(WEIGHTS), "counts": {s: dict(c) for s, c in self.counts.items()},
                "corrections": self.corrections, "bounds": list(BOUNDS), "step": STEP,
                "reset_at": self.reset_at.isoformat() if self.reset_at else None}


def at_correction(inferred: dict | None, team: str | None) -> dict:
    """What an owner correction to ``team`` says about the signals, from what inference had found
    (``inferred``: owner, status, source, candidates). Empty when inference agreed with the person."""
    inferred = inferred or {}
    found = inferred.get("owner") if inferred.get("status") != OwnershipStatus.UNOWNED else None
    if found == team:
        return {}
    source = inferred.get("source")
    wrong = source if found and source in WEIGHTS else None
    right = []
    if team:
        mine = next((c for c in inferred.get("candidates") or () if c.get("team") == team), None)
        right = [s for s in SIGNAL_ORDER if s != wrong and float(((mine or {}).get("signals") or {}).get(s) or 0) > 0]
    return {"wrong": wrong, "right": right, "inferred": found} if wrong or right else {}


def adapt(lessons: Iterable[dict], reset_at: datetime | None = None) -> Adapted:
    """The weights from corrections' ``signals`` (pure)."""
    counts = {s: {"raised": 0, "lowered": 0} for s in WEIGHTS}
    moved = 0
    for lesson in lessons:
        wrong, right = lesson.get("wrong"), [s for s in lesson.get("right") or () if s in WEIGHTS]
        if wrong in WEIGHTS:
            counts[wrong]["lowered"] += 1
        for s in right:
            counts[s]["raised"] += 1
        moved += bool(wrong in WEIGHTS or right)
    low, high = BOUNDS
    weights = {s: round(WEIGHTS[s] * min(high, max(low, 1 + STEP * (c["raised"] - c["lowered"]))), 4)
               for s, c in counts.items()}
    return Adapted(weights, counts, moved, reset_at)


def current() -> Adapted:
    """The tenant's weights now (one query for the corrections, one for the latest reset)."""
    reset_at = WeightsReset.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    rows = Correction.objects.filter(field=Correction.Field.OWNER)
    if reset_at:
        rows = rows.filter(created_at__gt=reset_at)
    latest: dict = {}
    for pk, service_id, signals in rows.order_by("created_at", "pk").values_list("pk", "service_id", "signals"):
        latest[service_id or f"gone:{pk}"] = signals or {}  # a later correction of the service replaces it
    return adapt(latest.values(), reset_at)


@transaction.atomic
def reset(*, user: str, reason: str) -> Adapted:
    """Back to the default weights (audited, with who and why); corrections made after it count again."""
    before = current()
    row = WeightsReset.objects.create(user=user, reason=reason[:500])
    events.record("ownership.weights_reset", actor=user, obj=row, reason=reason[:500], before=before.changed(),
                  corrections=before.corrections)
    return current()
