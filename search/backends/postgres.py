"""The default backend: PostgreSQL full-text search plus pg_trgm, inside the tenant's own schema.

The index is the ``search_searchdocument`` table itself (see search.models), so there is nothing to
push: indexing writes rows, and this module only reads them. One statement answers a query (two when
typos are corrected):

* candidates: services whose tsvector matches every query word as a prefix (``word:*``; a partial
  GIN index holds services only), teams likewise, repositories by name prefix. One or two characters
  match names by prefix only (btree range scan). When that finds no service at all, each word of 4+
  letters is looked up in the tenant's vocabulary (``search_searchword``: nearest words by trigram
  distance through a GiST index) and a second statement searches the corrected words: typo tolerance
  costs nothing on ordinary queries, and a few thousand words, not every document, on the others.
* order: exact name or alias, then names starting with what was typed (shorter first), then the
  rest by ts_rank over the weights (A name and aliases > B display name, tags, team > C languages,
  repository > D description) or, with typo candidates, by edit distance or trigram similarity.
* facets (one GROUPING SETS pass plus languages) and the total over the filtered services, and the
  best teams and repositories. Candidates carry only the columns needed to rank and count; the JSON
  payloads are read for the returned rows only.

Isolation: the table is resolved through search_path, which django-tenants sets to the request's
tenant schema; ``current_tenant_schema()`` refuses to run on the public schema.
"""
from __future__ import annotations

import json

from django.db import connection

from search.backends.base import (
    FACETS, RELATED_LIMIT, SearchBackend, SearchQuery, current_tenant_schema, empty_facets, present,
)
from search.documents import normalize, tokens
from search.highlight import Highlighter
from search.models import DESCRIPTION_MARK

FUZZY_MIN_CHARS = 4  # shorter words have too few trigrams for a correction to mean anything
CORRECTIONS_PER_WORD = 3  # nearest vocabulary words tried for each query word
MIN_CORRECTION_SIMILARITY = 0.2  # "ldeger" -> "ledger" is 0.27: one swap in six letters
SHORT_QUERY_CHARS = 2  # "p", "pa": names by prefix; in longer queries such words only filter

_FACET_COLUMNS = {"lifecycle": "lifecycle", "tier": "tier", "team": "team", "health": "health"}
_COLUMNS = "d.key, d.kind, d.lifecycle, d.tier, d.team, d.health, d.languages, d.name_norm"
_BUCKET = """CASE WHEN d.name_norm = %({q})s OR strpos(' ' || d.names || ' ', ' ' || %({q})s || ' ') > 0 THEN 3
                  WHEN d.name_norm LIKE %({q}_prefix)s THEN 2 ELSE 1 END"""
# Typo candidates: edit distance to the whole name (one swapped or missing letter anywhere), or trigram
# similarity to the best-matching stretch of the names (a typo in part of a name), whichever is closer.
_TYPO_SCORE = """greatest(1 - levenshtein(left(%(q)s, 255), left(d.name_norm, 255))::float4
                              / greatest(length(%(q)s), length(d.name_norm), 1),
                          word_similarity(%(q)s, d.names))::float4"""
_FACETS_SQL = """(SELECT coalesce(json_agg(json_build_array(f, v, n)), '[]') FROM (
        SELECT CASE WHEN GROUPING(lifecycle) = 0 THEN 'lifecycle' WHEN GROUPING(tier) = 0 THEN 'tier'
                    WHEN GROUPING(team) = 0 THEN 'team' ELSE 'health' END,
               coalesce(lifecycle, tier, team, health), count(*)
        FROM s GROUP BY GROUPING SETS ((lifecycle), (tier), (team), (health))
        UNION ALL
        SELECT 'language', l, count(*) FROM (SELECT unnest(languages) AS l FROM s) langs GROUP BY l
    ) AS facet(f, v, n))"""


def _tsquery(words: list[str]) -> str:
    """Every word as a prefix of a name-like word, or whole in a description (search.models.DescriptionVector).
    Words are [0-9a-z]+ only (search.documents.tokens), so the quoted lexemes need no escaping."""
    return " & ".join(f"('{w}':* | '{DESCRIPTION_MARK}{w}')" for w in words)


def _filters(query: SearchQuery, params: dict) -> str:
    clauses = ["true"]  # service filters; the caller adds kind = 'service'
    if query.excludes_eol:
        clauses.append("lifecycle <> 'eol'")
    for name, values in query.filters.items():
        params[f"f_{name}"] = list(values)
        if name == "language":
            clauses.append(f"EXISTS (SELECT 1 FROM unnest(languages) l WHERE lower(l) = ANY(%(f_{name})s))")
        else:
            clauses.append(f"{_FACET_COLUMNS[name]} = ANY(%(f_{name})s)")
    return " AND ".join(clauses)


def _best(source: str, limit: str) -> str:
    """JSON payloads of the best ``limit`` candidates of ``source``; payloads are read for those rows only.
    Names that are or start with the query first, shorter first; the rest by rank. A top-N sort: no
    window function over all candidates. Byte order (COLLATE "C") for names: cheap under any locale."""
    return f"""(SELECT coalesce(json_agg(h.payload ORDER BY b.bucket DESC, b.rank DESC, b.len,
                                           b.name_norm COLLATE "C"), '[]')
            FROM (SELECT key, bucket, CASE WHEN bucket = 1 THEN score ELSE 0 END AS rank,
                         length(name_norm) AS len, name_norm
                  FROM {source} c ORDER BY 2 DESC, 3 DESC, 4, c.name_norm COLLATE "C" LIMIT {limit}) b
            JOIN search_searchhit h ON h.key = b.key)"""


def build_sql(query: SearchQuery, corrected: str | None = None) -> tuple[str, dict] | None:
    """The statement and its parameters for ``query``, or None when it has no words. ``corrected`` is a
    tsquery of the query's words and their vocabulary corrections (see ``corrected_tsquery``): candidates
    then come from it, ranked by closeness to what was typed."""
    words = tokens(query.q)
    if not words:
        return None
    q = normalize(query.q)
    repo_q = normalize(query.q.rsplit("/", 1)[-1]) or q  # "acme/pay" looks for repositories named pay...
    params = {"q": q, "q_prefix": f"{q}%", "repo": repo_q, "repo_prefix": f"{repo_q}%",
              "limit": query.limit, "related": RELATED_LIMIT}
    if corrected is not None:
        params["tsq"] = corrected
        text, rank = "d.search_vector @@ %(tsq)s::tsquery", _TYPO_SCORE
    elif len(q) <= SHORT_QUERY_CHARS:
        text, rank = "d.name_norm LIKE %(q_prefix)s", "0::float4"
    else:
        # Short words next to longer ones ("config i") are checked on the rows the longer ones find, not
        # looked up in the index: "i:*" alone would union the postings of every word starting with i.
        indexed = [w for w in words if len(w) > SHORT_QUERY_CHARS] or words
        checked = [w for w in words if w not in indexed]
        params["tsq"] = _tsquery(indexed)
        text = "d.search_vector @@ %(tsq)s::tsquery"
        if checked:
            params["tsq_checked"] = _tsquery(checked)
            text += " AND ts_match_vq(d.search_vector, %(tsq_checked)s::tsquery)"
        params["tsq_all"] = _tsquery(words)
        rank = "ts_rank(d.search_vector, %(tsq_all)s::tsquery)"
    bucket = _BUCKET.format(q="q")
    sql = f"""
        WITH s AS MATERIALIZED (
            SELECT {_COLUMNS}, {bucket} AS bucket, {rank} AS score
            FROM search_searchdocument d WHERE d.kind = 'service' AND {text} AND {_filters(query, params)}
        )
        SELECT
            {_best("s", "%(limit)s")},
            {_best(f"(SELECT {_COLUMNS}, {bucket} AS bucket, {rank} AS score FROM search_searchdocument d "
                   f"WHERE d.kind = 'team' AND {text})", "%(related)s")},
            {_best(f"(SELECT {_COLUMNS}, {_BUCKET.format(q='repo')} AS bucket, 0::float4 AS score "
                   "FROM search_searchdocument d WHERE d.kind = 'repository' AND d.name_norm LIKE %(repo_prefix)s)",
                   "%(related)s")},
            {_FACETS_SQL}
    """
    return sql, params


_CORRECTIONS_SQL = f"""
    SELECT t.tok, ARRAY(SELECT near.word FROM (
               SELECT v.word FROM search_searchword v ORDER BY v.word <-> t.tok LIMIT {CORRECTIONS_PER_WORD}) near
           WHERE similarity(near.word, t.tok) >= {MIN_CORRECTION_SIMILARITY})
    FROM unnest(%s::text[]) AS t(tok)
"""


def corrected_tsquery(words: list[str], corrections: dict[str, list[str]]) -> str | None:
    """A tsquery where each word of 4+ letters may also be one of its nearest vocabulary words. Shorter
    words are left out (too few trigrams to correct), and with three or more words one of them may match
    nothing at all ("routing-sync-corn"): ranking by closeness to the query sorts the rest out. Words and
    vocabulary are [0-9a-z]+ only, so nothing needs quoting."""
    long_words = [w for w in words if len(w) >= FUZZY_MIN_CHARS]
    if not long_words:
        return None
    options = [f"({' | '.join([f'{w}:*', *corrections.get(w, [])])})" for w in long_words]
    if len(options) < 3:
        return " & ".join(options)
    return " | ".join(f"({' & '.join(options[:i] + options[i + 1:])})" for i in range(len(options)))


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _run(sql: str, params: dict) -> tuple[list, list, list, dict, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        hits, teams, repositories, facet_rows = cursor.fetchone()
    facets = empty_facets()
    total = 0
    for name, value, count in _json(facet_rows):
        if name == "lifecycle":
            total += count  # every service has exactly one lifecycle: the lifecycle counts sum to the total
        if value:
            facets[name][value] = count
    return _json(hits), _json(teams), _json(repositories), facets, total


def _corrections(words: list[str]) -> dict[str, list[str]]:
    long_words = [w for w in words if len(w) >= FUZZY_MIN_CHARS]
    if not long_words:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_CORRECTIONS_SQL, [long_words])
        return {tok: list(near) for tok, near in cursor.fetchall()}


class PostgresBackend(SearchBackend):
    name = "postgres"

    def search(self, query: SearchQuery) -> dict:
        current_tenant_schema()
        built = build_sql(query)
        if built is None:
            return {"hits": [], "teams": [], "repositories": [], "facets": empty_facets(), "estimatedTotalHits": 0}
        hits, teams, repositories, facets, total = _run(*built)
        if total == 0:
            # Nothing matches every word as typed: maybe a typo. Correct the words against the vocabulary
            # and search again; ordinary queries never pay for this.
            words = tokens(query.q)
            corrected = corrected_tsquery(words, _corrections(words))
            if corrected is not None:
                hits, teams, _, facets, total = _run(*build_sql(query, corrected))
        highlighter = Highlighter(query.q)
        return {
            "hits": [present(doc, highlighter.matches(doc)) for doc in hits],
            "teams": [present(doc, highlighter.matches(doc)) for doc in teams],
            "repositories": [present(doc, highlighter.matches(doc)) for doc in repositories],
            "facets": {name: facets[name] for name in FACETS},
            "estimatedTotalHits": total,
        }
