"""Reconcile -> infer -> persist -> retire -> index, for one workspace, as the last step of a discovery."""
from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from audit import events
from catalog import staleness, sync
from catalog.reconcile import FactView, LinkView, reconcile
from discovery import store
from discovery.models import Run, RunStatus

log = logging.getLogger(__name__)


ENV_TAG_KEYS = ("env", "environment", "stage", "Env", "Environment", "Stage")


def _with_environment(tags: dict, environment: str | None) -> dict:
    """An AWS connection may say which environment its account is (config "environment"): resources
    that carry no environment tag of their own get it, so prod and staging accounts read as such."""
    if not environment or any(key in tags for key in ENV_TAG_KEYS):
        return tags
    return {**tags, "env": environment}


def load_inputs(workspace_id=None) -> tuple[list[FactView], list[LinkView]]:
    from discovery.models import Connection

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


def run_reconcile(run: Run) -> Run:
    """Rebuild the catalog from current facts. The run records what changed in its stats."""
    from discovery import runs as run_lifecycle

    run_lifecycle.mark_started(run)
    started = time.monotonic()
    try:
        scans = list(Run.objects.filter(group_id=run.group_id, kind=Run.Kind.SCAN)) if run.group_id else []
        # Only a discovery whose scans were all full and all succeeded may count a service as missed.
        counts_for_staleness = bool(scans) and all(
            s.full_scan and s.status == RunStatus.SUCCEEDED for s in scans)
        facts, links = load_inputs()
        t_load = time.monotonic()
        sync.sync_teams(facts, links)
        # Corrections are applied when the result is persisted (Service.locked_fields), not inside reconcile.
        result = reconcile(facts, links, existing=sync.existing_inputs())
        t_reconcile = time.monotonic()
        with transaction.atomic():
            stats = sync.apply(result, run=run)
            stats.update(staleness.apply(stats.pop("unseen_ids", []), run=run,
                                         count_as_missed=counts_for_staleness))
        t_persist = time.monotonic()
        stats.update({
            "facts": len(facts), "links": len(links),
            "load_seconds": round(t_load - started, 3),
            "reconcile_seconds": round(t_reconcile - t_load, 3),
            "persist_seconds": round(t_persist - t_reconcile, 3),
        })
        status, failures = RunStatus.SUCCEEDED, []
    except Exception as exc:  # the catalog stays as it was: apply() runs in one transaction
        log.exception("reconcile failed")
        from discovery.scanning import describe_failure

        stats, status = {}, RunStatus.FAILED
        failures = [describe_failure(exc, item="reconcile")]
    now = timezone.now()
    Run.objects.filter(pk=run.pk).update(status=status, stats=stats, failures=failures, finished_at=now,
                                         processed=1, succeeded=int(status == RunStatus.SUCCEEDED),
                                         failed=int(status != RunStatus.SUCCEEDED))
    run.refresh_from_db()
    events.record("run.finished", actor="worker", obj=run, workspace_id=run.workspace_id, status=run.status,
                  kind=run.kind, **{k: v for k, v in stats.items() if isinstance(v, (int, float))})
    return run
