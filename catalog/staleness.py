"""Services no discovery claims any more: deprecated after 3 consecutive successful full scans, eol after 5.

Partial and failed discoveries never count. If one discovery would retire more than the guard ratio
(20% by default) of the catalog, the retirements are held for an operator to approve.
"""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from audit import events
from catalog.models import DiscoveryEvent, RetirementHold, Service

DEPRECATE_AFTER = 3
EOL_AFTER = 5


def _target(missed: int, current: str) -> str | None:
    if missed >= EOL_AFTER and current != "eol":
        return "eol"
    if missed >= DEPRECATE_AFTER and current not in ("deprecated", "eol"):
        return "deprecated"
    return None


def apply(unseen_ids: list, *, run, count_as_missed: bool) -> dict:
    if not count_as_missed or not unseen_ids:
        return {"missed": 0, "retired": 0, "held": 0}
    unseen = list(Service.objects.filter(pk__in=unseen_ids, hidden=False))
    planned = []
    for service in unseen:
        service.missed_scans += 1
        target = _target(service.missed_scans, service.lifecycle)
        if target and "lifecycle" not in (service.locked_fields or {}):
            planned.append((service, target))
    Service.objects.bulk_update(unseen, ["missed_scans"])
    total = Service.objects.filter(hidden=False).exclude(lifecycle="eol").count() or 1
    if len(planned) > settings.ROSTER_RETIRE_GUARD_RATIO * total:
        RetirementHold.objects.create(
            run=run, total_services=total,
            services=[{"id": str(s.pk), "name": s.name, "to": t} for s, t in planned],
        )
        return {"missed": len(unseen), "retired": 0, "held": len(planned)}
    retire(planned, run=run, reason=f"not seen in {DEPRECATE_AFTER}+ consecutive successful full scans")
    return {"missed": len(unseen), "retired": len(planned), "held": 0}


def retire(planned, *, run, reason: str) -> None:
    for service, target in planned:
        old = service.lifecycle
        service.lifecycle = target
        service.save(update_fields=["lifecycle", "updated_at"])
        DiscoveryEvent.objects.create(
            run=run, service=service, service_name=service.name,
            event_type="service_removed" if target == "eol" else "lifecycle_changed", field="lifecycle",
            old_value=old, new_value=target, reason=f"{reason} ({service.missed_scans} missed)",
        )


def approve(hold: RetirementHold, *, user: str) -> int:
    by_id = {str(s.pk): s for s in Service.objects.filter(pk__in=[x["id"] for x in hold.services])}
    planned = [(by_id[x["id"]], x["to"]) for x in hold.services if x["id"] in by_id]
    retire(planned, run=hold.run, reason=f"retirement approved by {user}")
    hold.status, hold.decided_by, hold.decided_at = "approved", user, timezone.now()
    hold.save()
    events.record("retirement.approved", actor=user, obj=hold, services=[s.name for s, _ in planned])
    return len(planned)


def reject(hold: RetirementHold, *, user: str) -> None:
    Service.objects.filter(pk__in=[x["id"] for x in hold.services]).update(missed_scans=0)
    hold.status, hold.decided_by, hold.decided_at = "rejected", user, timezone.now()
    hold.save()
    events.record("retirement.rejected", actor=user, obj=hold, services=[x.get("name", x["id"]) for x in hold.services])
