"""The default backend: PostgreSQL full-text search plus pg_trgm, inside the tenant's own schema.

The index is the ``search_searchdocument`` table itself (see search.models), so there is nothing to
push: indexing writes rows, and this module only reads them. One statement answers a query (two when
typos are corrected):

* candidates: services whose tsvector matches every query word as a prefix (``word:*``; a partial
  GIN index holds services only), teams likewise, repositories by name prefix. One or two characters
  match names by prefix only (btree range scan). When that finds no service at all, each word of 4+
  letters is looked up in the tenant's vocabulary (``search_searchword``: nearest words by trigram
  distance through a GiST index) by the same statement, and a second one searches the corrected words:
  typo tolerance costs nothing on ordinary queries, and a few thousand words, not every document, and
  one more round trip on the others.
* order: exact name or alias, then names starting with what was typed (shorter first), then the
  rest by ts_rank over the weights (A name and aliases > B display name, tags, team > C languages,
  repository > D description) or, with typo candidates, by edit distance or trigram similarity
  (on a shortlist: see TYPO_SHORTLIST).
* facets (one GROUPING SETS pass plus languages) and the total over the filtered services, and the
  best teams and repositories. Candidates carry only the columns needed to rank and count; the JSON
  payloads are read for the returned rows only.

Isolation: every table is named with the request's tenant schema (``current_tenant_schema()``, which
refuses the public schema), not left to search_path. Statements run prepared, with generic plans: see
``_fetch_one``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from django.db import connection

from search.backends.base import (
    FACETS, RELATED_LIMIT, SearchBackend, SearchQuery, current_tenant_schema, empty_facets, empty_result, present,
)
from search.documents import normalize, tokens
from search.highlight import Highlighter
from search.models import DESCRIPTION_MARK

FUZZY_MIN_CHARS = 4  # shorter words have too few trigrams for a correction to stand in for them
CORRECTED_MIN_CHARS = 3  # ...but a 3-letter word's nearest words may narrow the strict typo query
CORRECTIONS_PER_WORD = 3  # nearest vocabulary words tried for each query word
MIN_CORRECTION_SIMILARITY = 0.2  # "ldeger" -> "ledger" is 0.27: one swap in six letters
SHORT_QUERY_CHARS = 2  # "p", "pa": names by prefix; in longer queries such words only filter
PREPARED_PER_CONNECTION = 24  # see _fetch_one

_FACET_COLUMNS = {"lifecycle": "lifecycle", "tier": "tier", "team": "team", "health": "health"}
_COLUMNS = "d.key, d.kind, d.lifecycle, d.tier, d.team, d.health, d.languages, d.name_norm"
_BUCKET = """CASE WHEN d.name_norm = %({q})s OR strpos(' ' || d.names || ' ', ' ' || %({q})s || ' ') > 0 THEN 3
                  WHEN d.name_norm LIKE %({q}_prefix)s THEN 2 ELSE 1 END"""
# Typo candidates are ranked in two steps. Edit distance to the start of the names, as long as what was
# typed (a typo while typing a name's beginning, or in the whole name), shortlists TYPO_SHORTLIST of them;
# these are ordered by edit distance to the whole name or trigram similarity to the best-matching stretch
# of the names (a typo in a later part of a name), whichever is closer. Word similarity costs several
# microseconds a row: over every service of a common word ("worker") it was most of a typo query's time.
TYPO_SHORTLIST = 100
_TYPO_PREFIX_SCORE = """(1 - levenshtein(left(%(q)s, 255), left(d.name_norm, least(length(%(q)s), 255)))::float4
                             / greatest(length(%(q)s), 1))::float4"""
_TYPO_SCORE = """greatest(1 - levenshtein(left(%(q)s, 255), left({t}.name_norm, 255))::float4
                              / greatest(length(%(q)s), length({t}.name_norm), 1),
                          word_similarity(%(q)s, {t}.names))::float4"""
_FACETS_SQL = """(SELECT coalesce(json_agg(json_build_array(f, v, n)), '[]') FROM (
        SELECT CASE WHEN GROUPING(lifecycle) = 0 THEN 'lifecycle' WHEN GROUPING(tier) = 0 THEN 'tier'
                    WHEN GROUPING(team) = 0 THEN 'team' ELSE 'health' END,
               coalesce(lifecycle, tier, team, health), count(*)
        FROM s GROUP BY GROUPING SETS ((lifecycle), (tier), (team), (health))
        UNION ALL
        SELECT 'language', l, count(*) FROM (SELECT unnest(languages) AS l FROM s) langs GROUP BY l
    ) AS facet(f, v, n))"""


# A query word's nearest vocabulary words (GiST KNN over search_searchword), close enough to be a typo of it.
_NEAREST_WORDS = f"""ARRAY(SELECT near.word FROM (
        SELECT v.word FROM search_searchword v ORDER BY v.word <-> t.tok LIMIT {CORRECTIONS_PER_WORD}) near
    WHERE similarity(near.word, t.tok) >= {MIN_CORRECTION_SIMILARITY})"""


# Names starting with a parameter, as a range the (kind, name_norm) pattern-ops index answers even in a
# generic plan (LIKE 'q%' only uses the index when the planner sees the pattern). The LIKE keeps it exact.
_PREFIX_RANGE = ("d.name_norm ~>=~ %({q})s AND d.name_norm ~<~ %({q}_next)s AND d.name_norm LIKE %({q}_prefix)s")


def _next_string(prefix: str) -> str:
    """The least string above every string starting with ``prefix``, in byte (and so code point) order."""
    chars = list(prefix)
    while chars and ord(chars[-1]) >= 0x10FFFF:
        chars.pop()
    if not chars:
        return "\U0010ffff" * 2
    return "".join(chars[:-1]) + chr(ord(chars[-1]) + 1)


def _tsquery(words: list[str]) -> str:
    """Every word as a prefix of a name-like word, or whole in a description (search.models.DescriptionVector).
    Words are [0-9a-z]+ only (search.documents.tokens), so the quoted lexemes need no escaping."""
    return " & ".join(f"('{w}':* | '{DESCRIPTION_MARK}{w}')" for w in words)


def _filters(names: tuple[str, ...], excludes_eol: bool) -> str:
    """Service filters over ``%(f_<name>)s`` parameters; the caller adds kind = 'service'."""
    clauses = ["true"]
    if excludes_eol:
        clauses.append("lifecycle <> 'eol'")
    for name in names:
        if name == "language":
            clauses.append(f"EXISTS (SELECT 1 FROM unnest(languages) l WHERE lower(l) = ANY(%(f_{name})s::text[]))")
        else:
            clauses.append(f"{_FACET_COLUMNS[name]} = ANY(%(f_{name})s::text[])")
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


@dataclass(frozen=True)
class TypoQuery:
    """The candidates of a query none of whose services matched as typed (see ``typo_query``)."""

    strict: str | None  # every word of 3+ letters as typed or corrected, as a tsquery
    checked: str | None  # shorter words, as prefixes, checked on what ``strict`` finds
    loose: str | None  # when strict finds nothing: see ``corrected_tsquery``


def _typo_candidates(strict: bool, checked: bool, loose: bool, bucket: str, filters: str) -> str:
    """The services of a typo query: those matching every word (as typed or corrected) when there are
    any, and only then those of the looser query. One scan when the strict query finds something (the
    loose one is skipped by a one-time filter), no extra round trip when it does not."""
    def scan(tsq: str, extra: str = "") -> str:
        return (f"SELECT {_COLUMNS}, d.names, {bucket} AS bucket, {_TYPO_PREFIX_SCORE} AS score "
                f"FROM search_searchdocument d WHERE d.kind = 'service' AND d.search_vector @@ {tsq}::tsquery "
                f"AND {filters}{extra}")

    if not strict:
        return f"s AS MATERIALIZED ({scan('%(tsq)s')})"
    strict_scan = scan("%(tsq_strict)s", " AND ts_match_vq(d.search_vector, %(tsq_checked)s::tsquery)" if checked else "")
    if not loose:
        return f"s AS MATERIALIZED ({strict_scan})"
    return f"""strict AS MATERIALIZED ({strict_scan}),
        s AS MATERIALIZED (SELECT * FROM strict UNION ALL
                           {scan('%(tsq)s', ' AND NOT EXISTS (SELECT FROM strict)')})"""


def build_sql(query: SearchQuery, schema: str, typo: TypoQuery | None = None) -> tuple[str, dict] | None:
    """The statement and its parameters for ``query`` over the tables of ``schema``, or None when it has no
    words. With ``typo``, candidates come from the query's words and their vocabulary corrections, ranked
    by closeness to what was typed."""
    words = tokens(query.q)
    if not words:
        return None
    q = normalize(query.q)
    repo_q = normalize(query.q.rsplit("/", 1)[-1]) or q  # "acme/pay" looks for repositories named pay...
    params = {"q": q, "q_prefix": f"{q}%", "q_next": _next_string(q), "repo": repo_q, "repo_prefix": f"{repo_q}%",
              "repo_next": _next_string(repo_q), "limit": query.limit, "related": RELATED_LIMIT}
    params.update({f"f_{name}": list(values) for name, values in query.filters.items()})
    checked: list[str] | str | None = None
    if typo is not None:
        mode, checked = "typo", typo.checked
        params.update(tsq=typo.loose or typo.strict, tsq_strict=typo.strict, tsq_checked=typo.checked)
    elif len(q) <= SHORT_QUERY_CHARS:
        mode = "short"
    else:
        # Short words next to longer ones ("config i") are checked on the rows the longer ones find, not
        # looked up in the index: "i:*" alone would union the postings of every word starting with i.
        mode = "words"
        indexed = [w for w in words if len(w) > SHORT_QUERY_CHARS] or words
        checked = [w for w in words if w not in indexed]
        params.update(tsq=_tsquery(indexed), tsq_checked=_tsquery(checked) if checked else None,
                      tsq_all=_tsquery(words))
    fixable = [w for w in words if len(w) >= CORRECTED_MIN_CHARS] if typo is None else []
    if fixable:
        params["fixable"] = fixable
    sql = _statement(schema, mode, bool(checked), tuple(query.filters), query.excludes_eol, bool(fixable),
                     typo is not None and typo.strict is not None, typo is not None and typo.loose is not None)
    return sql, {name: value for name, value in params.items() if value is not None}


@lru_cache(maxsize=1024)
def _statement(schema: str, mode: str, checked: bool, filter_names: tuple[str, ...], excludes_eol: bool,
               fixable: bool, strict: bool, loose: bool) -> str:
    """The SQL text of one shape of query, with every value a parameter: built once per shape and schema
    (building and qualifying it each time cost as much as a short query's execution)."""
    columns, services, bucket, filters = _COLUMNS, "s", _BUCKET.format(q="q"), _filters(filter_names, excludes_eol)
    if mode == "typo":
        text, team_rank = "d.search_vector @@ %(tsq)s::tsquery", _TYPO_SCORE.format(t="d")
        candidates = _typo_candidates(strict, checked, loose, bucket, filters)
        services = f"""(SELECT key, bucket, {_TYPO_SCORE.format(t='c')} AS score, name_norm FROM (
                           SELECT * FROM s ORDER BY bucket DESC, score DESC, length(name_norm), name_norm COLLATE "C"
                           LIMIT {TYPO_SHORTLIST}) c)"""
    else:
        if mode == "short":
            text, rank = _PREFIX_RANGE.format(q="q"), "0::float4"
        else:
            text = "d.search_vector @@ %(tsq)s::tsquery"
            if checked:
                text += " AND ts_match_vq(d.search_vector, %(tsq_checked)s::tsquery)"
            # Ranked only where the name does not already start with the query: those sort first regardless.
            rank = ("CASE WHEN d.name_norm LIKE %(q_prefix)s THEN 0::float4 "
                    "ELSE ts_rank(d.search_vector, %(tsq_all)s::tsquery) END")
        team_rank = rank
        candidates = f"""s AS MATERIALIZED (
            SELECT {columns}, {bucket} AS bucket, {rank} AS score
            FROM search_searchdocument d WHERE d.kind = 'service' AND {text} AND {filters})"""
    corrections = "'[]'::json"
    if fixable:
        # When no service matches, the same round trip brings back the typo corrections to try next.
        corrections = f"(SELECT coalesce(json_object_agg(t.tok, {_NEAREST_WORDS}), '{{}}') " \
                      "FROM unnest(%(fixable)s::text[]) AS t(tok) WHERE NOT EXISTS (SELECT FROM s))"
    sql = f"""
        WITH {candidates}
        SELECT
            {_best(services, "%(limit)s")},
            {_best(f"(SELECT {_COLUMNS}, {bucket} AS bucket, {team_rank} AS score FROM search_searchdocument d "
                   f"WHERE d.kind = 'team' AND {text})", "%(related)s")},
            {_best("(SELECT d.key, CASE WHEN d.name_norm = %(repo)s THEN 3 ELSE 2 END AS bucket, 0::float4 AS score, "
                   "d.name_norm FROM search_searchdocument d "
                   f"WHERE d.kind = 'repository' AND {_PREFIX_RANGE.format(q='repo')})", "%(related)s")},
            {_FACETS_SQL},
            {corrections}
    """
    return _SEARCH_TABLES.sub(f"{connection.ops.quote_name(schema)}.\\g<0>", sql)


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


def typo_query(words: list[str], corrections: dict[str, list[str]]) -> TypoQuery | None:
    """What to search when no service matched ``words`` as typed. Strict first: every word of 3+ letters
    as typed (a prefix) or one of its corrections, and shorter words as prefixes; a typo in one word of
    "tax-engibe" then finds "tax-engine" among a handful of services instead of ranking every "engine".
    Only when that finds nothing, the loose ``corrected_tsquery``."""
    strict_words = [w for w in words if len(w) >= CORRECTED_MIN_CHARS]
    strict = " & ".join(f"({' | '.join([f'{w}:*', *corrections.get(w, [])])})" for w in strict_words) or None
    short = [w for w in words if len(w) < CORRECTED_MIN_CHARS]
    checked = " & ".join(f"{w}:*" for w in short) if strict and short else None
    loose = corrected_tsquery(words, corrections)
    if loose is not None and loose == strict and checked is None:
        loose = None  # the same query: nothing looser to fall back on
    if strict is None and loose is None:
        return None
    return TypoQuery(strict=strict, checked=checked, loose=loose)


_SEARCH_TABLES = re.compile(r"\bsearch_search(?:document|hit|word)\b")


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _fetch_one(sql: str, params: dict) -> tuple:
    """Run a search statement as a prepared statement with a generic plan, on the request's connection.

    Every keystroke is the same few statements with different values: planning them each time cost more
    than running them. The statements name their tables with the tenant's schema (``_statement``), so they
    need no ``SET search_path`` either, and a statement prepared for one tenant can never read another's
    tables. Django's cursors bind values client side (no prepared statements), so this one call uses a
    psycopg server-side binding cursor on the same connection. A prepared statement holds ~0.4 MB in its
    PostgreSQL backend: psycopg keeps at most PREPARED_PER_CONNECTION of them and deallocates the least
    recently used (a tenant needs 3-6; more tenants than that per connection are re-prepared as they come
    back). plan_cache_mode only matters to statements with parameters, and Django's own queries arrive
    with their values inlined, so forcing generic plans on the session leaves them as they were.
    """
    connection.ensure_connection()
    raw = connection.connection
    with connection.wrap_database_errors:
        if not getattr(raw, "_roster_generic_plans", False):
            raw.prepared_max = PREPARED_PER_CONNECTION
            raw.execute("SET plan_cache_mode = force_generic_plan")
            # Inside a transaction a rollback undoes the SET: remember it only once it is the session's.
            raw._roster_generic_plans = raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        threshold = raw.prepare_threshold  # None: Django turns prepared statements off for its own queries
        raw.prepare_threshold = 0
        try:
            with psycopg.Cursor(raw) as cursor:
                set_json_loads(orjson.loads, cursor)  # the hits' payloads: the json module is 3x slower
                cursor.execute(sql, params, prepare=True)
                return cursor.fetchone()
        finally:
            raw.prepare_threshold = threshold


def _run(sql: str, params: dict) -> tuple[list, list, list, dict, int, dict]:
    hits, teams, repositories, facet_rows, corrections = _fetch_one(sql, params)
    facets = empty_facets()
    total = 0
    for name, value, count in _json(facet_rows):
        if name == "lifecycle":
            total += count  # every service has exactly one lifecycle: the lifecycle counts sum to the total
        if value:
            facets[name][value] = count
    return _json(hits), _json(teams), _json(repositories), facets, total, _json(corrections) or {}


class PostgresBackend(SearchBackend):
    name = "postgres"

    def search(self, query: SearchQuery) -> dict:
        schema = current_tenant_schema()
        built = build_sql(query, schema)
        if built is None:
            return empty_result()
        hits, teams, repositories, facets, total, corrections = _run(*built)
        typo = None
        if total == 0:
            # Nothing matches every word as typed: maybe a typo. Search again with the words' nearest
            # vocabulary words, which the first statement returned; ordinary queries never pay for this.
            typo = typo_query(tokens(query.q), corrections)
            if typo is not None:
                hits, teams, _, facets, total, _ = _run(*build_sql(query, schema, typo))
        highlighter = Highlighter(query.q, fuzzy=typo is not None)
        return {
            "hits": [present(doc, highlighter.matches(doc)) for doc in hits],
            "teams": [present(doc, highlighter.matches(doc)) for doc in teams],
            "repositories": [present(doc, highlighter.matches(doc)) for doc in repositories],
            "facets": {name: facets[name] for name in FACETS},
            "estimatedTotalHits": total,
        }
