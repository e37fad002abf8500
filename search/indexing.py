"""Keep the search index in step with the catalog, for the tenant of the current connection.

``index_service`` and ``index_team`` apply one change (called by the Celery tasks after the change
commits); ``rebuild`` recomputes the whole tenant (``manage.py reindex``). Every write goes to the
document store (SearchDocument rows, which are the PostgreSQL backend's index) and to the configured
backend in one transaction: if the backend refuses, the rows roll back and the error propagates.
After commit the tenant's cached searches are invalidated.

Index lag: each row keeps the source's ``updated_at`` and its own ``indexed_at``; ``lag_report``
measures both the changes still waiting and the delay of recent ones.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Service, ServiceResource, Team
from search import cache
from search.backends import get_backend
from search.backends.base import current_tenant_schema
from search.documents import (
    repository_document, repository_key, row_fields, service_document, service_key, team_document, team_key,
)
from search.models import DocumentKind, SearchDocument, SearchHit, SearchWord

WRITE_BATCH = 1000
VOCABULARY_MIN_CHARS = 3  # shorter words are not worth correcting to
VISIBLE = Q(hidden=False, merged_into__isnull=True)  # hidden or merged services are not searchable
_ROW_FIELDS = ["kind", "ref", "name_norm", "names", "text_a", "text_b", "text_c", "text_d", "lifecycle", "tier",
               "team", "health", "languages", "source_updated_at", "indexed_at"]


@dataclass
class Outcome:
    indexed: list[str] = field(default_factory=list)  # document keys written (unchanged ones are skipped)
    deleted: list[str] = field(default_factory=list)  # document keys removed


def _vocabulary(fields: dict) -> set[str]:
    return {w for w in f"{fields['text_a']} {fields['text_b']}".split() if VOCABULARY_MIN_CHARS <= len(w) <= 100}


def _write(docs: list[dict], sources: dict, delete_keys: list[str], *, rebuild: bool = False) -> Outcome:
    """Upsert ``docs`` and delete ``delete_keys`` (with rebuild: every other document) in the store and the
    backend, atomically. ``indexed_at`` records when a version of the source (its ``updated_at``) first
    became searchable: rewriting an unchanged version keeps it, so a rebuild does not reset the lag."""
    schema = current_tenant_schema()
    backend = get_backend()
    now = timezone.now()
    keys = [doc["id"] for doc in docs]
    rows_now = SearchDocument.objects.all() if rebuild else SearchDocument.objects.filter(key__in=keys)
    hits_now = SearchHit.objects.all() if rebuild else SearchHit.objects.filter(key__in=keys)
    known = {key: (source, indexed) for key, source, indexed in
             rows_now.values_list("key", "source_updated_at", "indexed_at").iterator(chunk_size=WRITE_BATCH)}
    stored = dict(hits_now.values_list("key", "payload").iterator(chunk_size=WRITE_BATCH))
    changed, words = [], set()  # changed: (row, hit) pairs
    for doc in docs:
        source, previous = sources.get(doc["id"]), known.get(doc["id"])
        fields = row_fields(doc)
        words |= _vocabulary(fields)
        same_version = bool(previous and source and previous[0] == source)
        if same_version and stored.get(doc["id"]) == doc:
            continue  # unchanged: rewriting it would only leave a dead row behind
        row = SearchDocument(key=doc["id"], source_updated_at=source,
                             indexed_at=previous[1] if same_version else now, **fields)
        changed.append((row, SearchHit(key=doc["id"], payload=doc)))
    if rebuild:
        delete_keys = sorted(set(known) - set(keys))
    with transaction.atomic():
        for start in range(0, len(changed), WRITE_BATCH):
            batch = changed[start:start + WRITE_BATCH]
            SearchDocument.objects.bulk_create([row for row, _ in batch], update_conflicts=True,
                                               unique_fields=["key"], update_fields=_ROW_FIELDS)
            SearchHit.objects.bulk_create([hit for _, hit in batch], update_conflicts=True,
                                          unique_fields=["key"], update_fields=["payload"])
        # The vocabulary only grows between rebuilds; a word nobody uses any more just corrects to nothing.
        SearchWord.objects.bulk_create([SearchWord(word=w) for w in sorted(words)], ignore_conflicts=True,
                                       batch_size=WRITE_BATCH)
        for start in range(0, len(delete_keys), WRITE_BATCH):
            SearchDocument.objects.filter(key__in=delete_keys[start:start + WRITE_BATCH]).delete()
            SearchHit.objects.filter(key__in=delete_keys[start:start + WRITE_BATCH]).delete()
        if rebuild:
            SearchWord.objects.exclude(word__in=words).delete()
            backend.rebuild(docs)
        else:
            backend.delete(delete_keys)
            backend.upsert([hit.payload for _, hit in changed])
        transaction.on_commit(partial(cache.bump, schema))
    return Outcome(indexed=[row.key for row, _ in changed], deleted=list(delete_keys))


def _resource_kinds(service_ids) -> dict:
    kinds = defaultdict(set)
    resources = ServiceResource.objects.filter(service_id__in=service_ids)
    for service_id, kind in resources.values_list("service_id", "kind"):
        kinds[service_id].add(kind)
    return kinds


def _repository_docs(repos, sources: dict) -> tuple[list[dict], list[str]]:
    docs, deletes = [], []
    repos = {r for r in repos if r}
    if not repos:
        return docs, deletes
    by_repo = defaultdict(list)
    for service in Service.objects.filter(VISIBLE, repo__in=repos):
        by_repo[service.repo].append(service)
    teams = Team.objects.in_bulk({s.owner_id for ss in by_repo.values() for s in ss if s.owner_id})
    for repo in sorted(repos):
        if by_repo.get(repo):
            doc = repository_document(repo, by_repo[repo], tenant_id=connection.schema_name, teams=teams)
            sources[doc["id"]] = max(s.updated_at for s in by_repo[repo])
            docs.append(doc)
        else:
            deletes.append(repository_key(repo))
    return docs, deletes


def _team_docs(team_ids, sources: dict) -> tuple[list[dict], list[str]]:
    team_ids = {str(t) for t in team_ids if t}  # ids arrive as UUIDs or as strings (task payloads)
    teams = {str(pk): team for pk, team in Team.objects.in_bulk(team_ids).items()}
    counts = Counter(str(owner) for owner in
                     Service.objects.filter(VISIBLE, owner_id__in=team_ids).values_list("owner_id", flat=True))
    docs = []
    for team_id, team in teams.items():
        doc = team_document(team, tenant_id=connection.schema_name, services_count=counts.get(team_id, 0))
        sources[doc["id"]] = team.updated_at
        docs.append(doc)
    return docs, [team_key(t) for t in team_ids if t not in teams]


def _service_docs(services, teams: dict, sources: dict) -> list[dict]:
    kinds = _resource_kinds([s.id for s in services])
    docs = []
    for service in services:
        doc = service_document(service, tenant_id=connection.schema_name, team=teams.get(service.owner_id),
                               resource_kinds=kinds.get(service.id, ()))
        sources[doc["id"]] = service.updated_at
        docs.append(doc)
    return docs


def _previous(keys) -> dict:
    return dict(SearchHit.objects.filter(key__in=keys).values_list("key", "payload"))


def index_service(service_id) -> Outcome:
    """Re-index one service, and the repository and team documents its change affects."""
    key = service_key(service_id)
    previous = _previous([key]).get(key) or {}
    service = Service.objects.filter(VISIBLE, pk=service_id).select_related("owner").first()
    sources: dict = {}
    docs, deletes = [], []
    if service is None:
        deletes.append(key)
    else:
        docs += _service_docs([service], {service.owner_id: service.owner} if service.owner else {}, sources)
    repos = {previous.get("repo", ""), service.repo if service else ""}
    team_ids = set(Team.objects.filter(slug=previous.get("team_slug")).values_list("id", flat=True)
                   if previous.get("team_slug") else [])
    if service is not None and service.owner_id:
        team_ids.add(service.owner_id)
    for more_docs, more_deletes in (_repository_docs(repos, sources), _team_docs(team_ids, sources)):
        docs += more_docs
        deletes += more_deletes
    return _write(docs, sources, deletes)


def index_team(team_id) -> Outcome:
    """Re-index a team and the services that show it, also under its indexed (previous) slug or deleted."""
    key = team_key(team_id)
    slug = (_previous([key]).get(key) or {}).get("name", "")
    service_ids = {str(i) for i in Service.objects.filter(owner_id=team_id).values_list("id", flat=True)}
    if slug:  # services that still show the team in the index, e.g. set to no owner when it was deleted
        service_ids |= set(SearchDocument.objects.filter(kind=DocumentKind.SERVICE, team=slug)
                           .values_list("ref", flat=True))
    sources: dict = {}
    services = list(Service.objects.filter(VISIBLE, pk__in=service_ids).select_related("owner"))
    teams = {s.owner_id: s.owner for s in services if s.owner_id}
    docs = _service_docs(services, teams, sources)
    visible = {str(s.id) for s in services}
    deletes = [service_key(sid) for sid in service_ids if sid not in visible]
    team_docs, team_deletes = _team_docs([team_id], sources)
    repo_docs, repo_deletes = _repository_docs({s.repo for s in services}, sources)
    return _write(docs + team_docs + repo_docs, sources, deletes + team_deletes + repo_deletes)


@dataclass
class RebuildReport:
    schema: str
    backend: str
    services: int
    teams: int
    repositories: int
    written: int  # documents new or changed; the rest were already up to date
    removed: int
    seconds: float
    lag_before: dict
    lag_after: dict


def rebuild() -> RebuildReport:
    """Recompute every document of the current tenant and replace the index with them."""
    schema = current_tenant_schema()
    started = time.perf_counter()
    lag_before = lag_report()
    sources: dict = {}
    teams = Team.objects.in_bulk()
    services = list(Service.objects.filter(VISIBLE))
    service_docs = _service_docs(services, teams, sources)
    counts = Counter(s.owner_id for s in services if s.owner_id)
    team_docs = []
    for team in teams.values():
        doc = team_document(team, tenant_id=schema, services_count=counts.get(team.id, 0))
        sources[doc["id"]] = team.updated_at
        team_docs.append(doc)
    by_repo = defaultdict(list)
    for service in services:
        if service.repo:
            by_repo[service.repo].append(service)
    repo_docs = []
    for repo, repo_services in sorted(by_repo.items()):
        doc = repository_document(repo, repo_services, tenant_id=schema, teams=teams)
        sources[doc["id"]] = max(s.updated_at for s in repo_services)
        repo_docs.append(doc)
    docs = service_docs + team_docs + repo_docs
    outcome = _write(docs, sources, [], rebuild=True)
    with connection.cursor() as cursor:  # fresh statistics: the first queries after a rebuild get good plans
        cursor.execute(f"ANALYZE {SearchDocument._meta.db_table}, {SearchHit._meta.db_table}, "
                       f"{SearchWord._meta.db_table}")
    return RebuildReport(schema=schema, backend=get_backend().name, services=len(service_docs),
                         teams=len(team_docs), repositories=len(repo_docs), written=len(outcome.indexed),
                         removed=len(outcome.deleted),
                         seconds=round(time.perf_counter() - started, 3), lag_before=lag_before,
                         lag_after=lag_report())


def lag_report(window_seconds: int = 3600) -> dict:
    """Index lag of the current tenant's services.

    pending: visible services changed after their document was built (or never indexed), and how long
    the oldest of those changes has waited. recent: for services changed within the window, the delay
    from the change (updated_at) to its indexing (indexed_at), in milliseconds.
    """
    service_table = Service._meta.db_table
    doc_table = SearchDocument._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT count(*), extract(epoch FROM clock_timestamp() - min(s.updated_at))
            FROM {service_table} s LEFT JOIN {doc_table} d ON d.key = 'service-' || s.id::text
            WHERE NOT s.hidden AND s.merged_into_id IS NULL
              AND (d.id IS NULL OR d.source_updated_at IS NULL OR d.source_updated_at < s.updated_at)
        """)
        pending, oldest = cursor.fetchone()
        cursor.execute(f"""
            SELECT count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_ms),
                   max(lag_ms)
            FROM (SELECT extract(epoch FROM d.indexed_at - d.source_updated_at) * 1000 AS lag_ms
                  FROM {doc_table} d
                  WHERE d.kind = 'service'
                    AND d.source_updated_at >= clock_timestamp() - make_interval(secs => %s)) recent
        """, [window_seconds])
        count, p50, p95, worst = cursor.fetchone()

    def ms(value):
        return None if value is None else round(float(value), 1)

    return {
        "pending": pending,
        "oldest_pending_seconds": None if oldest is None else round(float(oldest), 1),
        "recent": {"window_seconds": window_seconds, "count": count, "p50_ms": ms(p50), "p95_ms": ms(p95),
                   "max_ms": ms(worst)},
    }
