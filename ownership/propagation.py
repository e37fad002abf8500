"""Corrections: what people fixed wins over inference, and teaches it about similar services.

``apply_corrections`` applies each correction with weight 1.0 (the field is marked corrected and
discovery never overwrites it: corrections are re-applied on every run), then propagates owner
corrections. ``propagate`` finds services that share a pattern with the corrected one - the same
specific first name word (``payment-*``), a repository topic, or an owner-tag value - and proposes
the corrected owner for them at 0.85. A proposal never touches a service that has its own owner
correction, and never replaces an inferred owner that is already owned with at least 0.85.

Correction dicts: ``{"service_key", "field", "new_value"}`` plus optional ``service_id`` and
``service_name`` (used when the key changed). Fields: owner, repo, name, lifecycle, tier,
not_a_service, merge_into (or merge; new_value = target key or name), split_resources (or split;
new_value = {"name", "resources": [external ids]}).
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

from catalog import naming as N

PROPAGATED_CONFIDENCE = 0.85
# words and topics too common to say two services belong together
_GENERIC = frozenset({"api", "app", "svc", "service", "web", "aws", "lambda", "the", "new", "old", "core", "main",
                      "data", "platform", "internal", "legacy", "common", "shared", "prod", "staging", "dev", "test",
                      "backend", "frontend", "microservice", "microservices", "serverless", "docker", "kubernetes",
                      "terraform", "python", "java", "go", "golang", "typescript", "javascript", "node", "nodejs",
                      "ruby", "kotlin", "rust", "php", "csharp", "dotnet", "library", "website", "infrastructure"})
_FIELD_ALIASES = {"merge": "merge_into", "split": "split_resources"}


def _first_word(name: str) -> str | None:
    words = N.words(name)
    if len(words) < 2:
        return None
    first = N.singular(words[0])
    return first if len(first) >= 3 and first not in _GENERIC else None


def _find(drafts: list, correction: dict[str, Any]):
    key = correction.get("service_key")
    sid = correction.get("service_id")
    name = str(correction.get("service_name") or "").lower()
    for d in drafts:
        if key and d.key == key:
            return d
    for d in drafts:
        if sid is not None and d.existing_id is not None and str(d.existing_id) == str(sid):
            return d
    for d in drafts:
        names = {d.name.lower(), *(a.lower() for a in d.aliases)}
        if (name and name in names) or (key and str(key).removeprefix("svc:").lower() in names):
            return d
    return None


def _patterns(service) -> dict[str, set[str]]:
    return {"first_word": {w for w in [_first_word(service.name)] if w},
            "topic": {str(t).lower() for t in getattr(service, "tags", None) or [] if t and str(t).lower() not in _GENERIC},
            "tag_value": {str(v).lower() for v in getattr(service, "owner_tags", None) or [] if v}}


def similarity(source, other, owner: str | None = None) -> str | None:
    """Why ``other`` looks like ``source`` (the pattern they share), or None."""
    mine, theirs = _patterns(source), _patterns(other)
    if mine["first_word"] & theirs["first_word"]:
        return f"name starts with '{next(iter(mine['first_word']))}-' like {source.name}"
    shared = mine["tag_value"] & theirs["tag_value"]
    if shared:
        return f"owner tag '{sorted(shared)[0]}' like {source.name}"
    shared = mine["topic"] & theirs["topic"] - {str(owner or "").lower()}
    if shared:
        return f"repository topic '{sorted(shared)[0]}' like {source.name}"
    return None


def similar_services(source, candidates: Iterable) -> list:
    """Services (drafts or catalog entries: anything with ``name``, ``tags`` and optionally
    ``owner_tags``) that share a pattern with ``source``, in name order."""
    owner = getattr(getattr(source, "owner", None), "slug", None) or getattr(source, "owner", None)
    return sorted((c for c in candidates if c is not source and similarity(source, c, owner)), key=lambda c: c.name)


def propagate(correction: dict[str, Any], drafts: list) -> list[tuple[str, str, float, str]]:
    """``[(service_key, new_owner, 0.85, reason)]`` for services like the corrected one."""
    if _FIELD_ALIASES.get(correction.get("field"), correction.get("field")) != "owner" or not correction.get("new_value"):
        return []
    source = _find(drafts, correction)
    if source is None:
        return []
    owner = str(correction["new_value"])
    out = []
    for d in sorted(drafts, key=lambda d: d.key):
        if d is source or "owner" in d.corrected_fields or d.owner == owner:
            continue
        if d.ownership_status == "owned" and d.owner_confidence >= PROPAGATED_CONFIDENCE:
            continue
        reason = similarity(source, d, owner)
        if reason:
            out.append((d.key, owner, PROPAGATED_CONFIDENCE, reason))
    return out


def _set_owner(draft, owner: str | None, confidence: float, source: str) -> None:
    draft.owner = owner
    draft.owner_confidence = confidence
    draft.ownership_status = "owned" if owner else "unowned"
    draft.owner_source = source


def _merge(target, other) -> None:
    have = {r.external_id for r in target.resources}
    target.resources = sorted(target.resources + [r for r in other.resources if r.external_id not in have],
                              key=lambda r: (r.kind, r.account, r.region, r.name, r.external_id))
    target.aliases = sorted({*target.aliases, other.name, *other.aliases} - {target.name}, key=str.lower)
    for attr in ("environments", "accounts", "regions", "sources"):
        setattr(target, attr, sorted(set(getattr(target, attr)) | set(getattr(other, attr))))
    target.evidence = target.evidence + [dict(e) for e in other.evidence]
    if not target.repo and other.repo:
        target.repo, target.repo_rule, target.repo_confidence = other.repo, other.repo_rule, other.repo_confidence


def apply_corrections(drafts: list, corrections: Iterable[dict[str, Any]]) -> list:
    """Drafts with every correction applied (in order) and owner corrections propagated."""
    drafts = [copy.copy(d) for d in drafts]
    for d in drafts:
        d.corrected_fields = list(d.corrected_fields)
    corrections = list(corrections)
    removed: set[int] = set()
    owner_corrections = []
    for c in corrections:
        field = _FIELD_ALIASES.get(c.get("field"), c.get("field"))
        draft = _find([d for d in drafts if id(d) not in removed], c)
        if draft is None:
            continue
        value = c.get("new_value")
        note = {"rule": "user_correction", "facts": [], "confidence": 1.0, "detail": f"{field} corrected to {value!r}"}
        if field == "owner":
            _set_owner(draft, str(value) if value else None, 1.0, "user_correction")
            draft.runner_up, draft.runner_up_score = None, 0.0
            owner_corrections.append(c)
        elif field == "repo":
            draft.repo = str(value) if value else None
            draft.repo_rule, draft.repo_confidence = "user_correction", 1.0
            draft.repo_url = f"https://github.com/{value}" if value else ""
        elif field == "name" and value:
            draft.aliases = sorted({*draft.aliases, draft.name} - {str(value)}, key=str.lower)
            draft.name = str(value)
            draft.display_name = N.display_name(N.slug(str(value)))
        elif field in ("lifecycle", "tier") and value:
            setattr(draft, field, str(value))
        elif field == "not_a_service" and value not in (False, None, "false"):
            removed.add(id(draft))
        elif field == "merge_into" and value:
            target = _find([d for d in drafts if id(d) not in removed and d is not draft],
                           {"service_key": value, "service_name": str(value).removeprefix("svc:")})
            if target is None:
                continue
            _merge(target, draft)
            target.corrected_fields = sorted(set(target.corrected_fields) | {"merge_into"})
            target.evidence.append(dict(note, detail=f"{draft.name} merged into this service"))
            removed.add(id(draft))
            continue
        elif field == "split_resources" and isinstance(value, dict) and value.get("name"):
            moving = {str(r) for r in value.get("resources") or []}
            part = [r for r in draft.resources if r.external_id in moving]
            if not part:
                continue
            draft.resources = [r for r in draft.resources if r.external_id not in moving]
            new = copy.copy(draft)
            new.name = str(value["name"])
            new.key = "svc:" + N.slug(new.name)
            new.display_name = N.display_name(N.slug(new.name))
            new.aliases, new.resources, new.existing_id = [], part, None
            new.accounts = sorted({r.account for r in part if r.account})
            new.regions = sorted({r.region for r in part if r.region})
            new.evidence = [dict(note, detail=f"split from {draft.name}")]
            new.corrected_fields = ["split_resources"]
            drafts.append(new)
        else:
            continue
        draft.corrected_fields = sorted(set(draft.corrected_fields) | {field})
        draft.evidence = draft.evidence + [note]
    live = [d for d in drafts if id(d) not in removed]
    by_key = {d.key: d for d in live}
    for c in owner_corrections:
        for key, owner, confidence, reason in propagate(c, live):
            d = by_key[key]
            _set_owner(d, owner, confidence, "correction_propagation")
            d.evidence = d.evidence + [{"rule": "correction_propagation", "facts": [], "confidence": confidence,
                                        "detail": reason}]
    return live
