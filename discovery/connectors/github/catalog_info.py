"""Read Backstage ``catalog-info.yaml`` files (one or more YAML documents, one entity each).

Owner and system are entity references (``[kind:][namespace/]name``). An owner keeps all three
parts: ``owner`` (the name), ``owner_kind`` (``group`` when the reference has none, as Backstage
defaults owners to groups) and ``owner_ref``, the canonical ``kind:namespace/name``
(``group:platform/payments``, ``user:default/jdoe``), so whoever matches it can tell a person from a
team and one namespace from another. An e-mail address is a person, whatever kind it was written
with: ``owner_kind`` "user", never a group named after its mailbox. Names keep their case; Backstage
compares references case-insensitively, and so should whoever matches them.

``metadata.annotations["github.com/project-slug"]`` (``org/repo``), Backstage's link from an entity
to its repository, is kept as ``project_slug`` (else the GitHub repository that
``backstage.io/source-location`` names): a catalog file may describe a repository other than the
one holding it. Scaffolder skeletons (``${{ values.name }}``, ``{{ cookiecutter.x }}``) are templates
of entities, not entities: a placeholder name skips the document, a placeholder owner or slug is
dropped, each with a warning.

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
# Template syntax of the scaffolders that write catalog files: Backstage (${{ }}), cookiecutter and
# Jinja ({{ }}, {% %}), ERB/EJS (<% %>), shell-style ${VAR}.
_PLACEHOLDER = re.compile(r"\$\{\{|\{\{|\{%|<%|\$\{[A-Za-z_]")
# domain labels exclude the dot, so there is one way to split a domain (no backtracking on a long one)
_EMAIL = re.compile(r"^(?:mailto:)?[^@\s/:]+@[^@\s/:.]+(?:\.[^@\s/:.]+)+$", re.I)
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_SOURCE_LOCATION = re.compile(r"^(?:url:)?https?://[^/\s]*github[^/\s]*/([^/\s]+)/([^/\s#?]+)", re.I)
PROJECT_SLUG = "github.com/project-slug"
SOURCE_LOCATION = "backstage.io/source-location"
MAX_REF = 512  # an entity reference longer than this is junk, not a name
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


def is_placeholder(value: Any) -> bool:
    """Whether ``value`` holds template syntax (a scaffolder skeleton's ``${{ values.name }}``)."""
    return isinstance(value, str) and _PLACEHOLDER.search(value) is not None


def is_email(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_REF and _EMAIL.match(value.strip()) is not None


def owner_fields(ref: Any) -> tuple[dict, str | None]:
    """``spec.owner`` -> ({owner, owner_kind, owner_ref}, problem). An e-mail address is a person
    (kind "user"); a template placeholder or an over-long value is no owner."""
    empty = {"owner": None, "owner_kind": None, "owner_ref": None}
    name = ref.get("name") if isinstance(ref, dict) else ref
    if is_placeholder(name):
        return empty, f"owner {name[:80]!r} is a template placeholder, not an owner"
    if isinstance(name, str) and len(name) > MAX_REF:
        return empty, f"owner longer than {MAX_REF} characters ignored"
    text = ref.strip() if isinstance(ref, str) else None
    if text and is_email(text):
        email = text.split(":", 1)[1] if text.lower().startswith("mailto:") else text
        return {"owner": email, "owner_kind": "user", "owner_ref": f"user:default/{email}"}, None
    parsed = parse_entity_ref(ref, "group")
    if parsed is None:
        return empty, None
    kind, namespace, name = parsed
    if is_email(name):  # "group:jdoe@acme.com": still a person
        kind = "user"
    return {"owner": name, "owner_kind": kind, "owner_ref": f"{kind}:{namespace}/{name}"}, None


def project_slug(annotations: Any) -> tuple[str | None, str | None]:
    """The ``org/repo`` an entity's annotations link it to (project-slug, else a GitHub
    source-location), and a problem when the slug was there but unusable."""
    if not isinstance(annotations, dict):
        return None, None
    raw = annotations.get(PROJECT_SLUG)
    if raw is not None:
        slug = _str(raw)
        if slug and len(slug) <= MAX_REF:
            slug = slug.strip("/").removesuffix(".git")
            if _SLUG.match(slug):
                return slug, None
        shown = slug[:80] if slug else raw
        return None, f"{PROJECT_SLUG} {shown!r} is {'a template placeholder' if is_placeholder(slug) else 'not org/repo'}"
    location = _str(annotations.get(SOURCE_LOCATION))
    m = _SOURCE_LOCATION.match(location) if location and len(location) <= MAX_REF else None
    if m and not is_placeholder(location):
        slug = f"{m.group(1)}/{m.group(2).removesuffix('.git')}"
        return (slug, None) if _SLUG.match(slug) else (None, None)
    return None, None


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


def _entity(doc: dict, line: int) -> tuple[dict | None, list[str]]:
    """(the entity, problems): no entity when the document is not one; problems about parts of it
    (a placeholder owner, a bad slug) do not cost the entity."""
    kind = _str(doc.get("kind"))
    metadata = doc.get("metadata")
    if kind is None:
        return None, ["document has no kind"]
    if not isinstance(metadata, dict) or _str(metadata.get("name")) is None:
        return None, [f"{kind} entity has no metadata.name"]
    name = _str(metadata.get("name"))
    if is_placeholder(name) or is_placeholder(kind):
        shown = name if is_placeholder(name) else kind
        return None, [f"{shown[:80]!r} is a template placeholder: a skeleton of an entity, not an entity"]
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    kind = KNOWN_KINDS.get(kind.lower(), kind)
    owner, owner_problem = owner_fields(spec.get("owner"))
    system = parse_entity_ref(spec.get("system"), "system")
    if system and is_placeholder(system[2]):
        system = None
    slug, slug_problem = project_slug(metadata.get("annotations"))
    tags = metadata.get("tags")
    return {
        "entity_kind": kind,
        "name": name,
        "namespace": _str(metadata.get("namespace")) or "default",
        "title": _str(metadata.get("title")),
        "description": _str(metadata.get("description")),
        **owner,
        "system": system[2] if system else None,
        "type": _str(spec.get("type")),
        "lifecycle": _str(spec.get("lifecycle")),
        "tags": [t for t in map(_str, tags) if t and not is_placeholder(t)] if isinstance(tags, list) else [],
        "project_slug": slug,
        "line": line,
    }, [f"{kind} {name}: {p}" for p in (owner_problem, slug_problem) if p]


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
            entity, problems = _entity(doc, start)
            warnings.extend({"line": start, "reason": problem} for problem in problems)
            if entity is not None:
                entities.append(entity)
    return entities, warnings
