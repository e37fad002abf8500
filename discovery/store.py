"""The fact store: idempotent batch upserts with provenance, and the "missing" query.

Upserts use INSERT ... ON CONFLICT DO UPDATE on (connection, kind, external_id): a rerun adds no
duplicates, keeps first_seen, and moves last_seen / last_seen_run forward. Attributes pass the per-kind
whitelist first, so an unexpected upstream field is dropped, never stored and never an error.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from discovery.choices import ScanMode
from discovery.facts import Batch, clean_attributes
from discovery.models import COMPLETED_STATUSES, Fact, FactLink, Job, Run, RunStatus


@dataclass
class StoredCounts:
    facts: int = 0
    links: int = 0


def _provenance(run: Run, job: Job, operation: str, account: str, region: str, observed_at) -> dict:
    return {
        "connection": str(run.connection_id),
        "run": str(run.id),
        "job": str(job.id),
        "operation": operation,
        "account": account,
        "region": region,
        "observed_at": observed_at.isoformat(),
    }


def persist_batch(run: Run, job: Job, batch: Batch) -> StoredCounts:
    """Write one batch in its own transaction, so a crash loses at most this batch."""
    now = timezone.now()
    facts = {}
    for rec in batch.facts:
        # Last write wins inside a batch; the unique key would reject duplicates in one INSERT.
        facts[(rec.kind, rec.external_id)] = Fact(
            workspace_id=run.workspace_id,
            connection_id=run.connection_id,
            kind=rec.kind,
            external_id=rec.external_id[:512],
            name=(rec.name or "")[:512],
            account=rec.account or job.account,
            region=rec.region if rec.region is not None else job.region,
            attributes=clean_attributes(rec.kind, rec.attributes or {}),
            tags={str(k): str(v) for k, v in (rec.tags or {}).items()},
            provenance=_provenance(run, job, rec.operation, rec.account or job.account, rec.region, now),
            first_seen=now,
            last_seen=now,
            last_seen_run_id=run.id,
        )
    links = {}
    for rec in batch.links:
        links[(rec.source_id, rec.relation, rec.target_id)] = FactLink(
            workspace_id=run.workspace_id,
            connection_id=run.connection_id,
            source_kind=rec.source_kind,
            source_id=rec.source_id[:512],
            relation=rec.relation,
            target_kind=rec.target_kind,
            target_id=rec.target_id[:512],
            attributes=rec.attributes or {},
            provenance=_provenance(run, job, rec.operation, job.account, job.region, now),
            first_seen=now,
            last_seen=now,
            last_seen_run_id=run.id,
        )
    with transaction.atomic():
        if facts:
            Fact.objects.bulk_create(
                list(facts.values()),
                update_conflicts=True,
                unique_fields=["connection", "kind", "external_id"],
                update_fields=["name", "account", "region", "attributes", "tags", "provenance", "last_seen",
                               "last_seen_run"],
            )
        if links:
            FactLink.objects.bulk_create(
                list(links.values()),
                update_conflicts=True,
                unique_fields=["connection", "source_id", "relation", "target_id"],
                update_fields=["source_kind", "target_kind", "attributes", "provenance", "last_seen", "last_seen_run"],
            )
    return StoredCounts(facts=len(facts), links=len(links))


def latest_completed_run(connection_id, selection_hash: str, *, before: Run | None = None) -> Run | None:
    runs = Run.objects.filter(
        connection_id=connection_id, selection_hash=selection_hash, kind=Run.Kind.SCAN, status__in=COMPLETED_STATUSES
    )
    if before is not None:
        runs = runs.filter(created_at__lt=before.created_at)
    return runs.order_by("-finished_at", "-created_at").first()


@dataclass
class MissingFacts:
    """Facts of a selection that its latest completed run did not see."""

    run: Run | None
    facts: list[Fact]
    confidence: str  # "high" when that run succeeded, "low" when it was partial or failed


def missing_facts(connection, selection: dict, selection_hash: str) -> MissingFacts:
    run = latest_completed_run(connection.id, selection_hash)
    if run is None:
        return MissingFacts(run=None, facts=[], confidence="low")
    in_scope = Fact.objects.filter(connection=connection)
    if connection.provider == "aws":
        from discovery.planning import kinds_for_groups

        in_scope = in_scope.filter(
            account__in=selection.get("accounts", []),
            region__in=selection.get("regions", []),
            kind__in=kinds_for_groups(selection.get("kinds", [])),
        )
    elif selection.get("repos"):
        in_scope = in_scope.filter(attributes__full_name__in=selection["repos"])
    facts = list(in_scope.exclude(last_seen_run=run).filter(first_seen__lt=run.created_at).order_by("kind", "name"))
    confidence = "high" if run.status == RunStatus.SUCCEEDED and not run.failures else "low"
    return MissingFacts(run=run, facts=facts, confidence=confidence)


def _under(external_id: str, prefixes: set[str]) -> bool:
    """True when the id is one of the prefixes or sits under one ("a/b/c" is under "a/b")."""
    parts = external_id.split("/")
    return any("/".join(parts[:i]) in prefixes for i in range(1, len(parts) + 1))


def touch(run: Run, prefixes: list[str]) -> int:
    """Mark unchanged facts (and their links) as seen by ``run``: incremental scans skip re-reading them.

    Matching is done in Python over this connection's ids (a set lookup per path level) and written with
    one UPDATE per table: thousands of LIKE prefixes in SQL would be far slower."""
    if not prefixes:
        return 0
    wanted = set(prefixes)
    now = timezone.now()
    fact_ids = [pk for pk, ext in Fact.objects.filter(connection_id=run.connection_id)
                .values_list("pk", "external_id").iterator(chunk_size=5000) if _under(ext, wanted)]
    link_ids = [pk for pk, src in FactLink.objects.filter(connection_id=run.connection_id)
                .values_list("pk", "source_id").iterator(chunk_size=5000) if _under(src, wanted)]
    touched = Fact.objects.filter(pk__in=fact_ids).update(last_seen=now, last_seen_run=run)
    FactLink.objects.filter(pk__in=link_ids).update(last_seen=now, last_seen_run=run)
    return touched


def forget(connection_id, prefixes: list[str]) -> int:
    """Delete a connection's facts under the prefixes, and every link from or to them: the upstream told us
    they are gone (a signed GitHub webhook: repository deleted, renamed away, transferred out). Unlike an
    unseen fact, which only a full scan may retire, a forgotten one leaves the catalog at the next reconcile."""
    if not prefixes:
        return 0
    wanted = set(prefixes)
    fact_ids = [pk for pk, ext in Fact.objects.filter(connection_id=connection_id)
                .values_list("pk", "external_id").iterator(chunk_size=5000) if _under(ext, wanted)]
    link_ids = [pk for pk, src, dst in FactLink.objects.filter(connection_id=connection_id)
                .values_list("pk", "source_id", "target_id").iterator(chunk_size=5000)
                if _under(src, wanted) or _under(dst, wanted)]
    with transaction.atomic():
        FactLink.objects.filter(pk__in=link_ids).delete()
        deleted, _ = Fact.objects.filter(pk__in=fact_ids).delete()
    return deleted


def current_facts(workspace_id=None):
    """Facts still believed to exist: per connection, those seen since its latest *successful* full scan began.

    A fact that a successful full scan did not see is gone; a partial or failed scan proves nothing, so
    the last successful one decides. Connections never scanned successfully keep everything they have.
    """
    from django.db.models import Q

    # An incremental read proves nothing gone: only a full selection read in full or "auto" mode may retire.
    scans = (Run.objects.filter(kind=Run.Kind.SCAN, status=RunStatus.SUCCEEDED, full_scan=True)
             .exclude(scan_mode=ScanMode.INCREMENTAL))
    facts = Fact.objects.all()
    links = FactLink.objects.all()
    if workspace_id is not None:
        scans, facts, links = (scans.filter(workspace_id=workspace_id), facts.filter(workspace_id=workspace_id),
                               links.filter(workspace_id=workspace_id))
    latest = {}
    for connection_id, created_at in scans.order_by("connection_id", "-created_at").values_list("connection_id",
                                                                                                "created_at"):
        latest.setdefault(connection_id, created_at)
    stale = Q()
    for connection_id, since in latest.items():
        stale |= Q(connection_id=connection_id, last_seen__lt=since)
    if latest:
        facts, links = facts.exclude(stale), links.exclude(stale)
    return facts, links
