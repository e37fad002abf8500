"""Carry out a webhook's plan: forget what GitHub says is gone, then read again just what changed (a scan of
those repositories, or of the teams), followed by reconcile, ownership and indexing like any discovery."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from discovery import store, workflow
from discovery.choices import ScanMode
from discovery.facts import REPO_KINDS, github_id
from freshness.models import InboundDelivery

Status = InboundDelivery.Status


class Busy(Exception):
    """The same selection is being scanned now; the delivery is tried again shortly (its change may have
    landed after that scan read the repository)."""


def repo_prefixes(org: str, names) -> list[str]:
    return [github_id(kind, org, name) for name in names for kind in REPO_KINDS]


def apply(delivery_pk: int) -> str:
    """Returns the delivery's new status. Raises Busy when a scan of the same selection is active."""
    with transaction.atomic():
        delivery = (InboundDelivery.objects.select_for_update().select_related("connection", "connection__workspace")
                    .get(pk=delivery_pk))
        if delivery.status != Status.QUEUED:
            return delivery.status  # applied already (a redelivered task message)
        delivery.attempts += 1
        connection, plan = delivery.connection, delivery.plan
        if not connection.enabled:
            return _finish(delivery, Status.IGNORED, "the connection is disabled")
        org = connection.config.get("org", "")
        forgotten = store.forget(connection.pk, repo_prefixes(org, plan.get("forget") or []))
        # One event is one kind of change: repositories, or teams (github_events never plans both).
        selection = ({"repos": plan["repos"], "scanners": ["github_repos"]} if plan.get("repos")
                     else {"scanners": ["github_teams"]} if plan.get("teams") else None)
        if selection is None:  # only forgetting: reconcile the workspace so the catalog follows
            result = workflow.reconcile_workspace(connection.workspace, trigger="webhook",
                                                  requested_by=f"github:{delivery.event}")
            return _finish(delivery, Status.APPLIED, f"forgot {forgotten} facts", run=result["reconcile_run"])
        result = workflow.discover_workspace(connection.workspace, connection_ids=[connection.pk],
                                             selection=selection, trigger="webhook",
                                             requested_by=f"github:{delivery.event}", scan_mode=ScanMode.FULL)
        if result["already_active"] and not result["runs"]:
            busy = str(result["already_active"][0].pk)
            delivery.save(update_fields=["attempts"])  # kept: Busy is raised after the commit
        else:
            busy = None
            detail = (f"forgot {forgotten} facts; " if forgotten else "") + \
                f"scanning {', '.join(selection.get('repos') or ['teams'])}"
            status = _finish(delivery, Status.APPLIED, detail, run=result["runs"][0])
    if busy:
        raise Busy(busy)
    return status


def give_up(delivery_pk: int, reason: str) -> None:
    InboundDelivery.objects.filter(pk=delivery_pk, status=Status.QUEUED).update(
        status=Status.FAILED, detail=reason[:500], applied_at=timezone.now())


def _finish(delivery: InboundDelivery, status: str, detail: str, run=None) -> str:
    delivery.status, delivery.detail, delivery.run, delivery.applied_at = status, detail[:500], run, timezone.now()
    delivery.save(update_fields=["status", "detail", "run", "attempts", "applied_at"])
    return status
