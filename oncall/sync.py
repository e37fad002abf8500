"""Read each on-call connection into oncall's tables: the one place that calls a vendor (from a worker).

``sync_connection`` claims the connection with a lease (a conditional update: two workers never read one account
at once), reads it (oncall.vendors), replaces what the tables held for it in one transaction, records the outcome
on the connection (a reason code and a remediation when it failed, never a secret) and applies the name
suggestions (oncall.routing_fields). A failed read keeps the last good data: routing answers say as of when.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from discovery.endpoints import EndpointRefused
from oncall import cache, endpoints, routing_fields, vendors
from oncall.models import EscalationPolicy, OnCallConnection, OnCallSchedule, OnCallTeam, PagerDutyService
from oncall.suggest import normalize
from oncall.vendors.http import OnCallFailure
from portal.crypto import SecretUnreadable

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
SCHEDULE_FIELDS = ["provider", "name", "time_zone", "html_url", "owner_team_id", "owner_team_name", "current",
                   "current_until", "upcoming", "upcoming_until", "synced_at"]


def sync_all() -> dict:
    """Every enabled connection of the current tenant, one after the other: {connection id: outcome}."""
    ids = list(OnCallConnection.objects.filter(enabled=True).values_list("pk", flat=True))
    return {str(pk): sync_connection(pk) for pk in ids}


def _claim(connection_id) -> bool:
    now = timezone.now()
    free = Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now)
    return bool(OnCallConnection.objects.filter(free, pk=connection_id, enabled=True)
                .update(sync_lease_until=now + LEASE))


def sync_connection(connection_id, *, client_options: dict | None = None) -> str:
    """"ok", "failed: <reason code>", or "busy" (another sync holds it, or it is disabled or gone)."""
    if not _claim(connection_id):
        return "busy"
    conn = OnCallConnection.objects.get(pk=connection_id)
    now = timezone.now()
    try:
        key = conn.get_key()
        if not key:
            raise OnCallFailure("bad_credentials", "the connection has no API key")
        snapshot, stats = vendors.read(conn.provider, endpoints.base_url(conn.provider, conn.region), key, now,
                                       **(client_options or {}))
    except (OnCallFailure, EndpointRefused, SecretUnreadable) as exc:
        failure = _failure(exc)
        log.warning("on-call sync of %s failed: %s", conn.pk, failure["reason_code"])
        OnCallConnection.objects.filter(pk=conn.pk).update(
            sync_lease_until=None, last_status="failed", last_failure=failure,
            last_stats=getattr(exc, "stats", {}) or {})
        return f"failed: {failure['reason_code']}"
    try:
        with transaction.atomic():
            store(conn, snapshot)
            OnCallConnection.objects.filter(pk=conn.pk).update(
                sync_lease_until=None, last_status="ok", last_failure={}, last_synced_at=now,
                last_stats={**stats, "schedules": len(snapshot.schedules), "warnings": snapshot.warnings[:10]})
            routing_fields.apply_suggestions()
            cache.bump_on_commit()
    except DatabaseError:
        log.exception("on-call sync of %s could not store what the vendor answered", conn.pk)
        failure = OnCallFailure("unexpected_response", "what the vendor answered could not be stored").as_dict()
        OnCallConnection.objects.filter(pk=conn.pk).update(sync_lease_until=None, last_status="failed",
                                                           last_failure=failure)
        return "failed: unexpected_response"
    return "ok"


def _failure(exc: Exception) -> dict:
    if isinstance(exc, OnCallFailure):
        return exc.as_dict()
    if isinstance(exc, EndpointRefused):
        return {"reason_code": exc.reason_code, "message": exc.message, "item": exc.item,
                "remediation": exc.remediation}
    return {"reason_code": "secret_unreadable", "message": str(exc), "item": "",
            "remediation": "The key cannot be decrypted with the current ROSTER_ENCRYPTION_KEY: enter it again."}


def store(conn: OnCallConnection, snapshot) -> None:
    """Replace what the tables hold for ``conn`` with ``snapshot`` (upserts, then what was not seen goes)."""
    at = snapshot.read_at
    schedules = [OnCallSchedule(connection=conn, provider=conn.provider, external_id=s.external_id, name=s.name,
                                time_zone=s.time_zone, html_url=s.html_url, owner_team_id=s.owner_team_id,
                                owner_team_name=s.owner_team_name, current=s.current, current_until=s.current_until,
                                upcoming=s.upcoming, upcoming_until=s.upcoming_until, synced_at=at)
                 for s in snapshot.schedules]
    _replace(OnCallSchedule, conn, schedules, SCHEDULE_FIELDS, at)
    teams = [OnCallTeam(connection=conn, external_id=t["external_id"], name=t["name"], synced_at=at)
             for t in snapshot.teams]
    _replace(OnCallTeam, conn, teams, ["name", "synced_at"], at)
    policies = [EscalationPolicy(connection=conn, synced_at=at, **p) for p in snapshot.policies]
    _replace(EscalationPolicy, conn, policies, ["name", "html_url", "num_loops", "levels", "schedule_ids",
                                                "synced_at"], at)
    services = [PagerDutyService(connection=conn, normalized_name=normalize(s["name"]), synced_at=at, **s)
                for s in snapshot.services]
    _replace(PagerDutyService, conn, services, ["name", "normalized_name", "escalation_policy_id", "html_url",
                                                "synced_at"], at)


def _replace(model, conn, rows, fields, at) -> None:
    unique = {}
    for row in rows:  # a vendor listing one id twice keeps its last
        unique[row.external_id] = row
    if unique:
        model.objects.bulk_create(list(unique.values()), update_conflicts=True,
                                  unique_fields=["connection", "external_id"], update_fields=fields, batch_size=500)
    model.objects.filter(connection=conn).exclude(synced_at=at).delete()
