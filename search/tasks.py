"""Celery tasks: ids in, the tenant from the task header (tenant-schemas-celery) checked against the payload."""
import logging

from django.db import OperationalError, connection

from celery_app import app
from search import indexing
from search.backends.base import SearchError

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
