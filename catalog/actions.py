"""Catalog's step of a discovery: facts -> services for one reconcile run, and the end of that run.

``reconcile_run`` rebuilds the catalog from current facts (reconcile -> persist -> retire) and keeps the
run going; the steps after it (ownership inference, indexing: chained by ``catalog.tasks`` by task name)
run next, and ``finish_run`` closes the run with its final status and counts once they are done.
``fail_run`` closes it as failed, whichever step failed. The run record and its audit events are the
run engine's (``discovery.runs``).

One reconcile at a time per tenant: ``reconcile_run`` holds the tenant's reconcile lock (``catalog.locks``)
from reading the facts to committing the catalog, and starts the run only once it has it; a second one
waits for it (``ReconcileBusy`` past ``LOCK_WAIT_SECONDS``: the task queues the run again).
"""
from __future__ import annotations

import logging
import time

from django.db import transaction
from django.db.models import Count

from catalog.choices import OwnershipStatus
from catalog import locks, staleness, sync
from catalog.models import Service
from catalog.reconcile import FactView, LinkView, reconcile
from discovery import runs as run_engine
from discovery import store
from discovery.choices import ScanMode
from discovery.models import ACTIVE_STATUSES, Connection, Run, RunStatus
from discovery.scanning import describe_failure
from portal.redact import sanitize_message

log = logging.getLogger(__name__)

ENV_TAG_KEYS = ("env", "environment", "stage", "Env", "Environment", "Stage")


def _with_environment(tags: dict, environment: str | None) -> dict:
    """An AWS connection may say which environment its account is (config "environment"): resources
    that carry no environment tag of their own get it, so prod and staging accounts read as such."""
    if not environment or any(key in tags for key in ENV_TAG_KEYS):
        return tags
    return {**tags, "env": environment}


def load_inputs(workspace_id=None) -> tuple[list[FactView], list[LinkView]]:
    environments = {pk: (config or {}).get("environment") for pk, config in Connection.objects.values_list(
        "pk", "config")}
    facts_qs, links_qs = store.current_facts(workspace_id)
    facts = [
        FactView(id=row[0], kind=row[1], external_id=row[2], name=row[3], account=row[4], region=row[5],
                 attributes=row[6] or {}, tags=_with_environment(row[7] or {}, environments.get(row[8])),
                 connection_id=row[8])
        for row in facts_qs.values_list("id", "kind", "external_id", "name", "account", "region", "attributes",
                                        "tags", "connection_id").iterator(chunk_size=5000)
    ]
    links = [
        LinkView(source_id=row[0], relation=row[1], target_id=row[2], attributes=row[3] or {})
        for row in links_qs.values_list("source_id", "relation", "target_id", "attributes").iterator(chunk_size=5000)
    ]
    return facts, links


LOCK_WAIT_SECONDS = 60.0  # how long a reconcile waits for another of its tenant before it is queued again


def reconcile_run(run: Run, *, lock_wait_seconds: float | None = None) -> bool:
    """Rebuild the catalog from current facts for ``run``; what changed goes into the run's stats.

    True when the catalog was rebuilt and the steps after reconcile should run; False when the run is
    over (it failed here, and says why, or it was no longer active). Raises ``locks.ReconcileBusy`` when
    another reconcile of the tenant held the lock for longer than ``lock_wait_seconds`` (default
    ``LOCK_WAIT_SECONDS``; the run stays queued)."""
    run.refresh_from_db()
    if run.status not in ACTIVE_STATUSES:
        return False
    wait = LOCK_WAIT_SECONDS if lock_wait_seconds is None else lock_wait_seconds
    with locks.reconcile_lock(wait_seconds=wait) as waited:
        run.refresh_from_db()  # it may have been cancelled while it waited
        if run.status not in ACTIVE_STATUSES:
            return False
        return _reconcile_locked(run, waited)


def _reconcile_locked(run: Run, waited: float) -> bool:
    run_engine.mark_started(run)
    started = time.monotonic()
    try:
        scans = list(Run.objects.filter(group_id=run.group_id, kind=Run.Kind.SCAN)) if run.group_id else []
        # Only a discovery whose scans were all full and all succeeded may count a service as missed.
        counts_for_staleness = bool(scans) and all(
            s.full_scan and s.scan_mode != ScanMode.INCREMENTAL and s.status == RunStatus.SUCCEEDED for s in scans)
        facts, links = load_inputs()
        t_load = time.monotonic()
        sync.sync_teams(facts, links)
        # Corrections are kept when the result is persisted (Service.locked_fields), not inside reconcile;
        # apply() re-reads the services it writes with every other writer held off (sync.current_services),
        # so a correction saved since existing_inputs() read them is kept too.
        result = reconcile(facts, links, existing=sync.existing_inputs())
        t_reconcile = time.monotonic()
        with transaction.atomic():
            stats = sync.apply(result, run=run)
            stats.update(staleness.apply(stats.pop("unseen_ids", []), run=run,
                                         count_as_missed=counts_for_staleness))
        t_persist = time.monotonic()
    except Exception as exc:  # the catalog stays as it was: apply() runs in one transaction
        log.exception("reconcile failed")
        run_engine.finish_reconcile_run(run, status=RunStatus.FAILED, stats={},
                                        failures=[describe_failure(exc, item="reconcile")])
        return False
    stats.update({
        "facts": len(facts), "links": len(links),
        "lock_wait_seconds": round(waited, 3),
        "load_seconds": round(t_load - started, 3),
        "reconcile_seconds": round(t_reconcile - t_load, 3),
        "persist_seconds": round(t_persist - t_reconcile, 3),
    })
    run_engine.record_stats(run, stats)
    return True


def finish_run(run: Run) -> Run:
    """The last step: the run succeeded. Adds how many of the services it saw are owned, ambiguous or
    unowned now that ownership inference has run."""
    run.refresh_from_db()
    seen = Service.objects.filter(last_seen_at__gte=run.started_at) if run.started_at else Service.objects.none()
    counts = dict(seen.values_list("ownership_status").annotate(n=Count("pk")).order_by())
    stats = dict(run.stats or {})
    for status in OwnershipStatus.values:
        stats[status] = 0
    for status, n in counts.items():
        stats[status if status in OwnershipStatus.values else OwnershipStatus.UNOWNED] += n
    return run_engine.finish_reconcile_run(run, status=RunStatus.SUCCEEDED, stats=stats)


# Failures of the steps after reconcile (by task name): the catalog was rebuilt, and then ...
STEP_FAILURES = {
    "catalog.reconcile_workspace": (
        "queue_unavailable", "ownership",
        "Services were reconciled but the steps after reconcile could not be queued. Check the broker "
        "(Redis) and the workers, then run discovery again."),
    "ownership.infer_workspace": (
        "ownership_failed", "ownership",
        "Services were reconciled but their owners were not re-inferred (the previous owners stay). Run "
        "discovery again; if it fails again, check the worker logs (.run/log/worker.log)."),
    "search.index_workspace": (
        "index_failed", "index",
        "The catalog is up to date but search may not show the changes yet. Run `manage.py reindex <tenant>` "
        "or discovery again; if it fails again, check the search backend and the worker logs."),
}


def busy_failure(attempts: int) -> dict:
    """The run failure when another reconcile of the tenant kept the lock through every attempt."""
    return {"reason_code": "reconcile_busy", "item": "reconcile",
            "message": f"another reconcile of this tenant held the catalog through {attempts} attempts",
            "remediation": "Check the catalog workers for a reconcile that does not finish (.run/log/worker.log), "
                           "then run discovery again."}


def requeue_failure(exc: BaseException) -> dict:
    """The run failure when a reconcile that had to wait could not be queued again."""
    return {"reason_code": "queue_unavailable", "item": "reconcile",
            "message": sanitize_message(f"{type(exc).__name__}: {exc}"),
            "remediation": "The catalog was not changed. Check the broker (Redis) and the workers, then run "
                           "discovery again."}


def step_failure(task_name: str, exc: BaseException) -> dict:
    """The run failure for a step after reconcile that raised ``exc`` (a stable code, a sanitized message)."""
    code, item, remediation = STEP_FAILURES.get(task_name, (
        "reconcile_step_failed", task_name or "reconcile",
        "Run discovery again; if it fails again, check the worker logs (.run/log/worker.log)."))
    return {"reason_code": code, "message": sanitize_message(f"{type(exc).__name__}: {exc}"), "item": item,
            "remediation": remediation}


def fail_run(run: Run, failure: dict) -> Run:
    """Close the run as failed, keeping the stats reconcile recorded."""
    run.refresh_from_db()
    return run_engine.finish_reconcile_run(run, status=RunStatus.FAILED, stats=run.stats or {}, failures=[failure])
