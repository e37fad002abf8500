"""Read Backstage ``catalog-info.yaml`` files (one or more YAML documents, one entity each).

Owner and system are entity references (``[kind:][namespace/]name``). We keep the plain
``name`` in ``owner`` and the reference's kind in ``owner_kind`` (``group`` when the reference
has none, as Backstage defaults owners to groups), so ``group:default/payments`` ->
owner "payments", owner_kind "group"; ``user:alice`` -> owner "alice", owner_kind "user".
The namespace is dropped: GitHub teams and users have none. Names keep their case; Backstage
compares references case-insensitively, and so should whoever matches them.

A broken document costs only itself: the file is split at ``---`` document markers first,
so documents after a syntax error are still read. Documents are loaded with deploy_targets'
bounded loader: one nested too deeply, too large, or whose aliases expand past the node limit
("billion laughs") is a warning, never a stalled worker.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from discovery.connectors.github.deploy_targets import safe_load_all

CATALOG_INFO_NAMES = ("catalog-info.yaml", "catalog-info.yml")

# Canonical spelling of the kinds Backstage defines; other kinds are kept as written.
KNOWN_KINDS = {k.lower(): k for k in (
    "Component", "System", "Group", "API", "Resource", "Domain", "User", "Location", "Template",
)}

_DOC_MARKER = re.compile(r"^(---|\.\.\.)(\s|$)")
# A document libyaml rejects is parsed again by the pure-Python parser, whose error positions are the
# ones people know, but that parser is slow: at most this much text per file gets the second parse.
PRECISE_ERRORS_CHARS = 32 * 1024


def parse_entity_ref(ref: Any, default_kind: str) -> tuple[str, str, str] | None:
    """``[kind:][namespace/]name`` (or the older ``{kind, namespace, name}`` mapping) ->
    (kind lowercased, namespace, name); None when it is not a usable reference."""
    if isinstance(ref, dict):
        name = ref.get("name")
        if not isinstance(name, (str, int)) or isinstance(name, bool) or not str(name).strip():
            return None
        kind = str(ref.get("kind") or default_kind).lower()
        return kind, str(ref.get("namespace") or "default"), str(name).strip()
    if isinstance(ref, bool) or not isinstance(ref, (str, int)):
        return None
    text = str(ref).strip()
    kind, namespace = default_kind, "default"
    if ":" in text:
        kind, text = text.split(":", 1)
    if "/" in text:
        namespace, text = text.split("/", 1)
    kind, namespace, text = kind.strip().lower(), namespace.strip(), text.strip()
    if not text or not kind:
        return None
    return kind, namespace or "default", text


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split a YAML stream at document markers -> [(1-based first line, chunk text)]."""
    chunks: list[tuple[int, list[str]]] = []
    start, cur = 1, []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if _DOC_MARKER.match(line):
            if line.startswith("..."):
                cur.append(line)  # ends the current document
                chunks.append((start, cur))
                start, cur = lineno + 1, []
                continue
            header_only = all(not ln.strip() or ln.lstrip().startswith(("%", "#")) for ln in cur)
            if cur and not header_only:
                chunks.append((start, cur))
                start, cur = lineno, []
            elif not cur:
                start = lineno
        cur.append(line)
    if cur:
        chunks.append((start, cur))
    return [(s, "\n".join(lines)) for s, lines in chunks]


def _entity(doc: dict, line: int) -> tuple[dict | None, str | None]:
    kind = _str(doc.get("kind"))
    metadata = doc.get("metadata")
    if kind is None:
        return None, "document has no kind"
    if not isinstance(metadata, dict) or _str(metadata.get("name")) is None:
        return None, f"{kind} entity has no metadata.name"
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    kind = KNOWN_KINDS.get(kind.lower(), kind)
    owner = parse_entity_ref(spec.get("owner"), "group")
    system = parse_entity_ref(spec.get("system"), "system")
    tags = metadata.get("tags")
    return {
        "entity_kind": kind,
        "name": _str(metadata.get("name")),
        "namespace": _str(metadata.get("namespace")) or "default",
        "title": _str(metadata.get("title")),
        "description": _str(metadata.get("description")),
        "owner": owner[2] if owner else None,
        "owner_kind": owner[0] if owner else None,
        "system": system[2] if system else None,
        "type": _str(spec.get("type")),
        "lifecycle": _str(spec.get("lifecycle")),
        "tags": [t for t in map(_str, tags) if t] if isinstance(tags, list) else [],
        "line": line,
    }, None


def parse_catalog_info(text: str | None) -> tuple[list[dict], list[dict]]:
    """Entities and warnings ({line, reason}) of a catalog-info file. Never raises."""
    entities: list[dict] = []
    warnings: list[dict] = []
    if not text or not isinstance(text, str):
        return entities, warnings
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    precise = PRECISE_ERRORS_CHARS
    for start, chunk in _chunks(text):
        docs: list[Any] = []
        try:
            try:
                docs = safe_load_all(chunk)
            except yaml.MarkedYAMLError:
                if len(chunk) > precise:
                    raise
                precise -= len(chunk)
                docs = safe_load_all(chunk, pure=True)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = start + mark.line if mark else start
            warnings.append({"line": line, "reason": f"invalid YAML: {exc.problem or exc}"})
            continue
        except (yaml.YAMLError, RecursionError, ValueError) as exc:
            warnings.append({"line": start, "reason": f"invalid YAML: {exc}"})
            continue
        for doc in docs:
            if doc is None:
                continue
            if not isinstance(doc, dict):
                warnings.append({"line": start, "reason": f"document is a {type(doc).__name__}, not a mapping"})
                continue
            entity, problem = _entity(doc, start)
            if problem:
                warnings.append({"line": start, "reason": problem})
            else:
                entities.append(entity)
    return entities, warnings
