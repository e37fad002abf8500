"""What a vendor read yields, as plain data, and who is on call now and next from a list of shifts (pure)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

MAX_ID = 64
MAX_NAME = 255


@dataclass(frozen=True)
class Shift:
    start: datetime | None  # None: since before the window
    end: datetime | None    # None: open-ended
    name: str
    email: str


@dataclass
class ScheduleRead:
    external_id: str
    name: str
    time_zone: str = ""
    html_url: str = ""
    owner_team_id: str = ""
    owner_team_name: str = ""
    current: list[dict] = field(default_factory=list)
    current_until: datetime | None = None
    upcoming: list[dict] = field(default_factory=list)
    upcoming_until: datetime | None = None


@dataclass
class Snapshot:
    """One account as read at ``read_at``: schedules with their on-calls, teams (Opsgenie), escalation policies
    and services (PagerDuty)."""

    read_at: datetime
    schedules: list[ScheduleRead] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)      # [{"external_id", "name"}]
    policies: list[dict] = field(default_factory=list)   # [{"external_id", "name", "html_url", "num_loops", "levels",
                                                        #   "schedule_ids"}]
    services: list[dict] = field(default_factory=list)   # [{"external_id", "name", "escalation_policy_id", "html_url"}]
    warnings: list[str] = field(default_factory=list)


def parse_time(value) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime; None for anything else."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(value, limit: int = MAX_NAME) -> str:
    """A vendor's string as we store it: at most ``limit`` characters, without NULs (PostgreSQL refuses them)."""
    return value.replace("\x00", "")[:limit] if isinstance(value, str) else ""


def vendor_id(value) -> str:
    """A vendor's id as we store it and put in a path: short printable text without separators, else ''."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        return ""
    if not all(c.isalnum() or c in "-_." for c in value) or value in (".", ".."):
        return ""
    return value


def _covering(shifts: list[Shift], moment: datetime) -> list[Shift]:
    return [s for s in shifts if (s.start is None or s.start <= moment) and (s.end is None or s.end > moment)]


def _people(shifts: list[Shift]) -> list[dict]:
    seen, people = set(), []
    for shift in sorted(shifts, key=lambda s: (s.name.lower(), s.email.lower())):
        key = (shift.email or shift.name).lower()
        if key and key not in seen:
            seen.add(key)
            people.append({"name": shift.name or shift.email, "email": shift.email})
    return people


def _earliest_end(shifts: list[Shift]) -> datetime | None:
    ends = [s.end for s in shifts if s.end is not None]
    return min(ends) if ends else None


def now_and_next(shifts: list[Shift], now: datetime) -> tuple[list[dict], datetime | None, list[dict], datetime | None]:
    """(on call now, until when, on call after that handover, until when) from overlapping shifts of any layers.

    The handover is the earliest end among the shifts covering ``now``; whoever covers that moment is next. With
    nobody on call now, the next shift to start is the handover."""
    current = _covering(shifts, now)
    until = _earliest_end(current)
    if current and until is None:
        return _people(current), None, [], None
    if not current:
        starts = [s.start for s in shifts if s.start is not None and s.start > now]
        if not starts:
            return [], None, [], None
        handover = min(starts)
        upcoming = _covering(shifts, handover)
        return [], handover, _people(upcoming), _earliest_end(upcoming)
    upcoming = _covering(shifts, until)
    return _people(current), until, _people(upcoming), _earliest_end(upcoming)
