"""Celery tasks: ids in, the tenant from the task header (tenant-schemas-celery) checked against the payload."""
import logging

from django.db import OperationalError, connection

from catalog.models import Service, Team
from celery_app import app
from search import indexing
from search.backends.base import SearchError
from search.models import DocumentKind, SearchDocument

log = logging.getLogger(__name__)
RETRY = {"autoretry_for": (SearchError, OperationalError), "retry_backoff": True, "retry_backoff_max": 60,
         "max_retries": 8, "acks_late": True, "reject_on_worker_lost": True}


def _in_schema(schema_name: str, what: str) -> bool:
    if connection.schema_name != schema_name:
        log.error("refused %s: payload names schema %r, task runs in %r", what, schema_name, connection.schema_name)
        return False
    return True


@app.task(name="search.index_service", **RETRY)
def index_service(schema_name: str, service_id: str) -> dict:
    if not _in_schema(schema_name, f"index of service {service_id}"):
        return {"refused": True}
    outcome = indexing.index_service(service_id)
    return {"indexed": len(outcome.indexed), "deleted": len(outcome.deleted)}


@app.task(name="search.index_team", **RETRY)
def index_team(schema_name: str, team_id: str) -> dict:
    if not _in_schema(schema_name, f"index of team {team_id}"):
        return {"refused": True}
    outcome = indexing.index_team(team_id)
    return {"indexed": len(outcome.indexed), "deleted": len(outcome.deleted)}


@app.task(name="search.reindex_tenant", **RETRY)
def reindex_tenant(schema_name: str) -> dict:
    if not _in_schema(schema_name, "reindex"):
        return {"refused": True}
    report = indexing.rebuild()
    return {"services": report.services, "teams": report.teams, "repositories": report.repositories,
            "seconds": report.seconds}


# More changes than this waiting: one rebuild writes them faster than one transaction per change.
REBUILD_ABOVE = 500


class ScopeMismatch(Exception):
    """The payload names another tenant than the one the task runs in."""


def _pending(kind: str, rows) -> list[str]:
    """Ids of ``rows`` whose document is missing or older than the row, then of documents of ``kind``
    whose row is gone or no longer searchable."""
    docs = dict(SearchDocument.objects.filter(kind=kind).values_list("ref", "source_updated_at"))
    current = {str(pk): updated for pk, updated in rows.values_list("pk", "updated_at")}
    stale = [pk for pk, updated in current.items() if docs.get(pk) is None or docs[pk] < updated]
    return stale + [ref for ref in docs if ref not in current]


@app.task(name="search.index_workspace", **RETRY)
def index_workspace(schema_name: str, workspace_id: str, run_id: str) -> dict:
    """A discovery's last step before it finishes: whatever the catalog changed is searchable when the run
    ends (the receivers in search.signals index the same changes as they commit; unchanged documents are
    skipped). Raises on a payload for another tenant, so the discovery fails with a reason."""
    if not _in_schema(schema_name, f"index after run {run_id}"):
        raise ScopeMismatch(f"payload names schema {schema_name!r}, task runs in {connection.schema_name!r}")
    services = _pending(DocumentKind.SERVICE, Service.objects.filter(indexing.VISIBLE))
    teams = _pending(DocumentKind.TEAM, Team.objects.all())
    if len(services) + len(teams) > REBUILD_ABOVE:
        report = indexing.rebuild()
        return {"services": len(services), "teams": len(teams), "indexed": report.written, "deleted": report.removed}
    indexed = deleted = 0
    for outcome in [*map(indexing.index_service, services), *map(indexing.index_team, teams)]:
        indexed, deleted = indexed + len(outcome.indexed), deleted + len(outcome.deleted)
    return {"services": len(services), "teams": len(teams), "indexed": indexed, "deleted": deleted}
