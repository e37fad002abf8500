"""Name normalization: how one service's many spellings are recognised as the same name.

Real names drift: ``payment-api``, ``payment_api``, ``PaymentApiProd``, ``svc-payment-api-staging``,
``paymentapi``, ``payments-api``. Everything here is pure and deterministic.

- ``words``: split on separators and camel case ("ImportSchedulerProd" -> import scheduler prod).
- ``canonical``: the lowercase-kebab service name, with environment words, a ``svc`` prefix or
  suffix, a CDK ``Stack`` suffix and (for API Gateway) an ``api`` suffix removed.
- ``compact``: the comparison key: canonical words singularized and joined with no separator,
  so ``push-manager``, ``push_manager``, ``PushManager`` and ``pushmanager`` are one key, and so are
  ``identitys-processor`` and ``identity-processor``.
- ``name_keys``: every key a name should be found under (for ``payment-svc`` both
  ``payment`` and ``payment-service``; for ``payment-gateway-service`` also ``payment-gateway``;
  for ``acme-billing-api`` in org ``acme`` also ``billing-api``).
- ``TeamDirectory``, ``owner_tag_values``, ``tag_votes``, ``team_keys``: team names (``catalog.team_names``,
  re-exported here).

No app imports: reconcile (catalog) and the ownership model (ownership) both build on it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from rapidfuzz.distance import Levenshtein

# Deployment stages. A word here is an environment marker wherever it sits in an AWS name
# (suffix "-prod", SAM/CDK "Prod", Serverless "{service}-{stage}-{function}", API "{stage}-{service}").
ENV_ALIASES = {
    "prod": "prod", "production": "prod", "prd": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging", "nonprod": "staging",
    "dev": "dev", "develop": "dev", "development": "dev", "sandbox": "dev", "sbx": "dev",
    "qa": "qa", "uat": "qa", "test": "test",
}
# Stage words too common inside real names ("ab-test-runner") to be read as a stage mid-name.
END_ONLY_ENV = frozenset({"test"})
# Words that name what one function of a service does. Only used to cut the last word off a
# three-or-more word Lambda name when no known service name is a prefix of it.
FUNCTION_WORDS = frozenset({
    "handler", "reader", "writer", "cleanup", "sync", "webhook", "webhooks", "authorizer", "auth", "processor",
    "consumer", "producer", "worker", "cron", "scheduler", "trigger", "listener", "poller", "dispatcher",
    "notifier", "api", "create", "get", "list", "update", "delete", "put", "post", "main", "fn", "func",
    "function", "lambda", "job", "task", "ingest", "migrate", "migration", "resolver", "validator",
    "transformer", "backfill", "index", "indexer", "router", "callback", "hook", "edge", "stream", "query",
    "command", "notify", "publisher", "subscriber", "report", "export", "import", "batch", "retry", "dlq",
})
# Words that say a resource holds data for a service ("payments-db", "orders-queue").
DATA_WORDS = frozenset({
    "db", "database", "rds", "pg", "postgres", "postgresql", "mysql", "aurora", "cluster", "instance",
    "queue", "events", "event", "dlq", "deadletter", "topic", "cache", "store", "data", "fifo", "messages",
    "jobs", "tasks", "images", "repo", "registry", "replica", "primary", "writer", "reader", "main",
})
NOISE_PREFIX = frozenset({"svc"})
NOISE_SUFFIX = frozenset({"svc", "stack"})

# Generated parts of names that say nothing about the service: a StackSet instance's prefix and
# UUID suffix, an AWS region ("-eu-west-1" in multi-region stack names).
_STACKSET = re.compile(r"^StackSet-|-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_REGION = re.compile(r"(?<![A-Za-z0-9])(?:us-gov|us|eu|ap|sa|ca|me|af|il|mx|cn)-"
                     r"(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d(?![A-Za-z0-9])")
_AREAS = frozenset({"us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"})
_DIRECTION = re.compile(r"(north|south|east|west|central|northeast|northwest|southeast|southwest)(\d?)")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def words(name: str) -> tuple[str, ...]:
    """Lowercase words of a name: separators and camel-case boundaries split words.

    Digits stay attached to the word they follow ("frauddb6" -> frauddb6, "v2" -> v2)."""
    out: list[str] = []
    for part in _SPLIT.split(name or ""):
        if not part:
            continue
        if part.islower() or part.isupper() or part.isdigit():
            out.append(part.lower())
            continue
        pieces = _CAMEL.findall(part)
        merged: list[str] = []
        for piece in pieces:
            if piece.isdigit() and merged:
                merged[-1] += piece
            else:
                merged.append(piece.lower())
        out.extend(merged)
    return tuple(out)


def data_words(name: str) -> tuple[str, ...]:
    """Words of a data resource's name with its stage removed and a glued-on data word split off
    ("remit-schedulerdb" -> remit scheduler db, "frauddb6" -> fraud db 6)."""
    tokens = words(_REGION.sub("-", name or ""))
    head, env, tail = split_env(tokens)
    tokens = head + tail if env else tokens
    if not tokens:
        return tokens
    last = tokens[-1]
    digits = ""
    while last and last[-1].isdigit():
        digits, last = last[-1] + digits, last[:-1]
    for word in ("database", "queue", "cache", "db", "dlq"):
        if last.endswith(word) and len(last) - len(word) >= 3:
            return tokens[:-1] + (last[: -len(word)], word) + ((digits,) if digits else ())
    return tokens


def _drop_regions(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Remove region words left by camel case ("StackEuWest1" -> stack eu west1)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        m = _DIRECTION.fullmatch(tokens[i + 1]) if tokens[i] in _AREAS and i + 1 < len(tokens) else None
        if m and m.group(2):
            i += 2
        elif m and i + 2 < len(tokens) and tokens[i + 2].isdigit():
            i += 3
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def env_word(word: str) -> str | None:
    return ENV_ALIASES.get(word)


def split_env(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """Find a stage in a name: (service words, stage, words after the stage).

    ``orders-prod-create`` -> (orders,), prod, (create,); ``prod-orders`` -> (orders,), prod, ();
    ``ImportSchedulerProd`` -> (import, scheduler), prod, (). A name that is only a stage is kept."""
    for i, tok in enumerate(tokens):
        env = ENV_ALIASES.get(tok)
        if env is None or (tok in END_ONLY_ENV and 0 < i < len(tokens) - 1):
            continue
        if i == 0:
            if len(tokens) > 1:
                rest = tokens[1:]
                inner, env2, after = split_env(rest)
                return inner, env, after
            return tokens, None, ()
        return tokens[:i], env, tokens[i + 1:]
    return tokens, None, ()


def _strip_noise(tokens: tuple[str, ...]) -> tuple[str, ...]:
    while len(tokens) > 1 and tokens[-1] in NOISE_SUFFIX:
        tokens = tokens[:-1]
    while len(tokens) > 1 and tokens[0] in NOISE_PREFIX:
        tokens = tokens[1:]
    return tokens


@lru_cache(maxsize=65536)
def service_words(name: str, *, kind: str = "", strip_env: bool = True,
                  drop_prefixes: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Words of the service a resource name refers to.

    ``kind`` tunes the rules: for API Gateway a trailing ``api`` word is dropped (when two words
    is left); for Lambda the words after a middle stage (Serverless function name) are dropped.
    ``drop_prefixes``: leading words that name the company ("acme-billing-prod" in org acme)."""
    tokens = _drop_regions(words(_REGION.sub("-", _STACKSET.sub("", name or ""))))
    if strip_env:
        head, env, tail = split_env(tokens)
        if env is not None:
            # "svc-x-prod-events": what follows the stage belongs to the resource, not the service
            tokens = head if (tail and kind in ("lambda_function", "sqs_queue", "rds_instance")) or not tail else head + tail
    tokens = _strip_noise(tokens)
    if len(tokens) > 2 and tokens[0] in drop_prefixes:
        tokens = tokens[1:]
    if kind in ("apigateway_rest_api", "apigateway_http_api") and len(tokens) > 1 and tokens[-1] == "api":
        tokens = tokens[:-1]
    return tokens


def canonical(name: str, *, kind: str = "", strip_env: bool = True, drop_prefixes: frozenset[str] = frozenset()) -> str:
    """Lowercase-kebab service name for a resource or repository name."""
    return "-".join(service_words(name, kind=kind, strip_env=strip_env, drop_prefixes=drop_prefixes))


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def compact(name: str) -> str:
    """Comparison key of an already canonical (or any) name: singular words, no separators."""
    return "".join(singular(w) for w in words(name))


def compact_words(tokens: tuple[str, ...]) -> str:
    return "".join(singular(w) for w in tokens)


def name_keys(name: str, *, kind: str = "", strip_env: bool = True, drop_prefixes: frozenset[str] = frozenset()) -> set[str]:
    """All comparison keys a name is known by (empty for a name made only of noise)."""
    return set(_name_keys(name, kind, strip_env, drop_prefixes))


@lru_cache(maxsize=65536)
def _name_keys(name: str, kind: str, strip_env: bool, drop_prefixes: frozenset[str]) -> frozenset[str]:
    """See ``name_keys``.

    Variants, each only while at least two words are left: without a leading company word
    (``acme-billing-api``), without a trailing ``service`` (``payment-gateway-service``), an API's
    name with its ``api`` word; and ``payment-svc`` is also ``payment-service``."""
    tokens = service_words(name, kind=kind, strip_env=strip_env)
    variants = [tokens]
    if len(tokens) > 2 and tokens[0] in drop_prefixes:
        variants.append(tokens[1:])
    if kind in ("apigateway_rest_api", "apigateway_http_api"):
        variants.append(service_words(name, strip_env=strip_env))
    keys = set()
    for toks in variants:
        if toks:
            keys.add(compact_words(toks))
        if len(toks) > 2 and toks[-1] == "service":
            keys.add(compact_words(toks[:-1]))
    raw = split_env(words(name))[0] if strip_env else words(name)
    if len(raw) > 1 and raw[-1] == "svc":
        keys.add(compact_words(raw[:-1] + ("service",)))
    keys.discard("")
    return frozenset(keys)


def is_abbreviation(short: str, long: str) -> bool:
    """``stmt`` of ``statement``, ``clm`` of ``claim``, ``ref`` of ``referral``: same first letter,
    the letters in order, shorter."""
    if len(short) < 2 or len(short) >= len(long) or short[0] != long[0]:
        return False
    rest = iter(long)
    return all(ch in rest for ch in short)


def _resegment(tokens: list[str], other: list[str]) -> list[str]:
    """Split compound words ("statementscheduler") at a word the other name has ("scheduler")."""
    if len(tokens) >= len(other):
        return tokens
    out: list[str] = []
    for tok in tokens:
        for w in (other[-1], other[0]):
            if tok != w and tok.endswith(w) and len(tok) - len(w) >= 2:
                out.extend([tok[: -len(w)], w])
                break
            if tok != w and tok.startswith(w) and len(tok) - len(w) >= 2:
                out.extend([w, tok[len(w):]])
                break
        else:
            out.append(tok)
    return out


def abbreviation_match(a: Iterable[str], b: Iterable[str]) -> bool:
    """Two multi-word names that are the same words, some abbreviated: ``stmt-scheduler`` and
    ``statementscheduler``, ``clm-worker`` and ``claims-worker``. The last word (what the service
    is: api, worker, scheduler) must be identical; ``risk-worker`` never matches ``risk-consumer-worker``."""
    x = [singular(w) for w in a]
    y = [singular(w) for w in b]
    if x == y:
        return False
    x, y = _resegment(x, y), _resegment(y, x)
    if len(x) != len(y) or len(x) < 2 or x[-1] != y[-1]:
        return False
    shortened = 0
    for p, q in zip(x, y):
        if p == q:
            continue
        if is_abbreviation(p, q) or is_abbreviation(q, p):
            shortened += 1
            continue
        return False
    return shortened > 0


def display_name(canonical_name: str) -> str:
    return " ".join(w.capitalize() if not w.isupper() else w for w in canonical_name.split("-") if w)


def env_of(name: str) -> str | None:
    return split_env(words(name))[1]


def distance(a: str, b: str) -> int:
    return Levenshtein.distance(a, b)


def fuzzy_equal(a: str, b: str) -> int | None:
    """Levenshtein distance between two compact keys when they are close enough to be one name.

    At most 2 edits, and never where two edits change the meaning: both keys at least 8
    characters, sharing their first and last 3 ("sms-api" / "sso-api" and "formulary-api" /
    "formulary-ui" are different services; "identity-processor" / "identitys-processor" are not)."""
    if a == b:
        return 0
    if min(len(a), len(b)) < 8 or a[:3] != b[:3] or a[-3:] != b[-3:]:
        return None
    d = Levenshtein.distance(a, b, score_cutoff=2)
    return d if d <= 2 else None


def slug(value: str) -> str:
    return "-".join(words(value))


# Team names live in their own module; these names stay importable from here.
from catalog.team_names import (  # noqa: E402,F401
    OWNER_TAG_KEYS, TeamDirectory, owner_tag_values, tag_votes, team_keys,
)
