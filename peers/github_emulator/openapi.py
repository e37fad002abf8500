"""GitHub's REST OpenAPI description (npm ``@octokit/openapi``, api.github.com) as the emulator reads it:
which GET operations exist, their path templates, documentation URLs and the empty value of their 200
response schema.

``routes/fallback.py`` uses it so that an endpoint GitHub serves but the emulator does not model answers
as GitHub does for a resource with nothing in it (``[]``, ``{"total_count": 0, "<items>": []}``), or
GitHub's 404 with that operation's documentation URL, and only a path GitHub does not serve answers the
plain ``Not Found``.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .graphql_api import PACKAGE_DIR, ensure_schema

OPENAPI_PATH = PACKAGE_DIR / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
_NO_EMPTY_VALUE = object()


@dataclass(frozen=True)
class Operation:
    template: str  # e.g. /repos/{owner}/{repo}/rulesets
    regex: re.Pattern[str]
    params: tuple[str, ...]  # path parameter names, in order
    integer_params: frozenset[str]  # those documented as integers
    literals: int  # literal segments: the more, the more specific the template
    doc: str  # the operation's documentation URL
    empty: Any  # the empty value of its 200 JSON schema, or _NO_EMPTY_VALUE

    @property
    def has_empty(self) -> bool:
        return self.empty is not _NO_EMPTY_VALUE


_lock = threading.Lock()
_spec: dict[str, Any] | None = None


def spec() -> dict[str, Any]:
    """The parsed description, read once per process."""
    global _spec
    with _lock:
        if _spec is None:
            ensure_schema()
            _spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
        return _spec


def version() -> str:
    return str(spec().get("info", {}).get("version", ""))


def resolve(node: Any) -> Any:
    """Follow ``$ref``s (components/schemas, components/responses, ...) to the object they name."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def response_schema(template: str, status: int = 200, method: str = "get") -> dict[str, Any] | None:
    """The JSON schema of an operation's response, or None when it documents no JSON body."""
    op = spec()["paths"].get(template, {}).get(method)
    response = resolve((op or {}).get("responses", {}).get(str(status)))
    schema = ((response or {}).get("content") or {}).get("application/json", {}).get("schema")
    return schema


def empty_value(schema: Any) -> Any:
    """``[]`` for a list, ``{"total_count": 0, "<items>": [], ...}`` for a paginated list object (every
    required property besides total_count an array), else ``_NO_EMPTY_VALUE``."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return _NO_EMPTY_VALUE
    if schema.get("type") == "array":
        return []
    props = {k: resolve(v) for k, v in (schema.get("properties") or {}).items()}
    arrays = [k for k, v in props.items() if isinstance(v, dict) and v.get("type") == "array"]
    required = set(schema.get("required") or props)
    if "total_count" in props and arrays and required <= {"total_count", *arrays}:
        return {"total_count": 0, **{k: [] for k in arrays if k in required or len(arrays) == 1}}
    return _NO_EMPTY_VALUE


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    ops = []
    for template, item in spec()["paths"].items():
        get = item.get("get")
        if not get:
            continue
        params = tuple(re.findall(r"\{([^}]+)\}", template))
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "/?$"
        declared = [resolve(p) for p in (item.get("parameters") or []) + (get.get("parameters") or [])]
        integers = frozenset(p["name"] for p in declared if p.get("in") == "path"
                             and resolve(p.get("schema") or {}).get("type") == "integer")
        literals = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
        doc = (get.get("externalDocs") or {}).get("url") or "https://docs.github.com/rest"
        ops.append(Operation(template, re.compile(pattern), params, integers, literals, doc,
                             empty_value(response_schema(template))))
    return tuple(ops)


def lookup(path: str) -> tuple[Operation, dict[str, str]] | None:
    """The GET operation whose template matches ``path`` (the most literal one), with its path arguments."""
    best: tuple[Operation, dict[str, str]] | None = None
    for op in operations():
        match = op.regex.match(path)
        if not match:
            continue
        args = dict(zip(op.params, match.groups()))
        if any(not args[p].isdigit() for p in op.integer_params if p in args):
            continue
        if best is None or op.literals > best[0].literals:
            best = (op, args)
    return best
