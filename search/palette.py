"""The Cmd+K palette's index: every searchable service, team and repository of the tenant, compact.

The console matches the first keystrokes against it in the browser and renders at once, then shows the
search endpoint's answer (typo tolerance, ranking, descriptions) when it arrives: a round trip per key
cannot render in under 50 ms on a busy server, a local filter over 10,000 names takes a few. It is read
from the stored hits (what search returns, so links and visibility are the same; end-of-life services
are left out as search leaves them out by default) and versioned by the tenant's search generation, which
every indexed change bumps: the browser revalidates with If-None-Match and gets 304 until the catalog
changes. Past ``MAX_ENTRIES`` the index says ``truncated`` and the console searches on the server only.
"""
from __future__ import annotations

import logging

import orjson
import redis
from django.db.models.fields.json import KT

from search import cache
from search.models import SearchHit

log = logging.getLogger(__name__)
MAX_ENTRIES = 20_000

SERVICE_FIELDS = ("id", "name", "team_name", "lifecycle", "repo")
TEAM_FIELDS = ("id", "name", "display_name", "services_count", "members_count")
REPOSITORY_FIELDS = ("name", "team_name")  # a repository's id is its name; its short name follows from it


def version(schema: str) -> str | None:
    """The index's version (an ETag value), or None when Redis cannot say (then nothing is cached)."""
    try:
        return f'W/"palette-{schema}-{cache.generation(schema)}"'
    except redis.RedisError:
        log.warning("search generation unavailable; the palette index is sent without a version")
        return None


def _rows(prefix: str, fields: tuple[str, ...], extra: tuple[str, ...] = ()) -> list[list]:
    hits = SearchHit.objects.filter(key__startswith=prefix)
    if prefix == "service-":
        hits = hits.exclude(payload__lifecycle="eol")
    # the API's "id" is the document's ref (service/team UUID, repository org/name), not its key
    columns = {f: KT(f"payload__{'ref' if f == 'id' else f}") for f in fields}
    rows = hits.annotate(**{f"f_{k}": v for k, v in columns.items()}).values_list(
        *(f"f_{k}" for k in fields), *(f"payload__{k}" for k in extra))
    return [list(row) for row in rows[:MAX_ENTRIES + 1]]


def palette_index() -> bytes:
    """The index as JSON: field names once, then one array per entry."""
    services = _rows("service-", SERVICE_FIELDS, ("aliases",))
    teams = _rows("team-", TEAM_FIELDS)
    repositories = _rows("repository-", REPOSITORY_FIELDS, ("services",))
    truncated = max(len(services), len(teams), len(repositories)) > MAX_ENTRIES
    for rows, numeric in ((teams, (3, 4)), (services, ()), (repositories, ())):
        for row in rows:
            for i in numeric:  # KT gives text; the counts are numbers in the search API too
                row[i] = int(row[i]) if row[i] not in (None, "") else 0
    body = {
        "truncated": truncated,
        "fields": {"services": [*SERVICE_FIELDS, "aliases"], "teams": list(TEAM_FIELDS),
                   "repositories": [*REPOSITORY_FIELDS, "services"]},
        "services": [] if truncated else services,
        "teams": [] if truncated else teams,
        "repositories": [] if truncated else repositories,
    }
    return orjson.dumps(body)
