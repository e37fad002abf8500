"""How right discovery is, measured by how little people correct it (the architecture's production measure):
``accuracy = 1 - services corrected within 7 days of discovery / services discovered``, by the week services
were first discovered and by the source that discovered them. A lower bound: a wrong entry nobody corrects
counts as right. Weeks younger than 7 days are still open (their figure can only go down)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db.models import Min
from django.utils import timezone

from catalog.models import Service
from ownership.models import Correction

WINDOW = timedelta(days=7)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the moment's week."""
    day = moment.astimezone(dt_timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def trend(weeks: int = 12, *, now: datetime | None = None) -> dict:
    """``{"weeks": [{week, discovered, corrected, accuracy, open}], "sources": [{source, discovered, corrected,
    accuracy}], "window_days": 7}``, oldest week first, sources by most services."""
    now = now or timezone.now()
    since = week_start(now) - timedelta(weeks=weeks - 1)
    first_correction = dict(Correction.objects.filter(service__isnull=False).values("service_id")
                            .annotate(first=Min("created_at")).values_list("service_id", "first"))
    by_week: dict = defaultdict(lambda: [0, 0])
    by_source: dict = defaultdict(lambda: [0, 0])
    for pk, created, sources in Service.objects.filter(created_at__gte=since).values_list("pk", "created_at",
                                                                                          "sources"):
        corrected = pk in first_correction and first_correction[pk] - created <= WINDOW
        for counts in [by_week[week_start(created)]] + [by_source[str(s)] for s in (sources or ["unknown"])]:
            counts[0] += 1
            counts[1] += corrected
    weeks_out = []
    for i in range(weeks):
        start = since + timedelta(weeks=i)
        discovered, corrected = by_week.get(start, (0, 0))
        weeks_out.append({"week": start.date().isoformat(), "discovered": discovered, "corrected": corrected,
                          "accuracy": _accuracy(discovered, corrected), "open": now - start < WINDOW})
    sources_out = [{"source": s, "discovered": d, "corrected": c, "accuracy": _accuracy(d, c)}
                   for s, (d, c) in sorted(by_source.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    return {"window_days": WINDOW.days, "weeks": weeks_out, "sources": sources_out}


def _accuracy(discovered: int, corrected: int) -> float | None:
    return round(1 - corrected / discovered, 4) if discovered else None
