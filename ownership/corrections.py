"""Corrections, the one place for their rules: what a person fixed wins over what discovery inferred.

``correct`` stores a correction (who, when, old, new, reason), applies it at once and locks the field
(``Service.locked_fields``). Catalog's reconcile keeps locked catalog fields (name, repo, lifecycle, tier,
split resources, merges) when it persists; the owner is this app's: ``effective_owner`` decides it at
every discovery, from the inferred owner and the locks. An owner correction teaches inference:
``propagate_owner`` gives the corrected team to similar services (``similar_services``: the same specific
first name word, an owner-tag value or a repository topic) at ``PROPAGATED_CONFIDENCE``, remembered as the
``owner_propagated`` lock, which holds until inference is at least as sure of another owner. The correction
also keeps what it teaches later discoveries: the service's pattern (``Correction.pattern``, read by
``ownership.learning`` for services found after it) and which signals were wrong and right
(``Correction.signals``, read by ``ownership.weights``).

Vocabulary: the fields of ``Correction.Field``; owner sources ``user_correction``, ``correction_propagated``
and ``correction_learned``; locks ``owner``, ``owner_propagated`` plus the corrected field names.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from django.db import transaction

from audit import events
from catalog import naming
from catalog.choices import OwnershipStatus
from catalog.models import DiscoveryEvent, Service, ServiceResource, Team
from ownership import weights
from ownership.models import Correction, OwnershipInput

USER_CORRECTION = "user_correction"
CORRECTION_PROPAGATED = "correction_propagated"
CORRECTION_LEARNED = "correction_learned"  # ownership.learning: corrections of similar services
PROPAGATED_CONFIDENCE = 0.85
VALID_LIFECYCLES = ("production", "staging", "experimental", "deprecated", "eol")
VALID_TIERS = ("critical", "standard", "experimental")


class CorrectionError(ValueError):
    pass


def _record(service: Service, field: str, old, new, *, user: str, reason: str) -> Correction:
    correction = Correction.objects.create(service=service, service_name=service.name, field=field, old_value=old,
                                           new_value=new, reason=reason[:500], user=user)
    DiscoveryEvent.objects.create(service=service, service_name=service.name, event_type="correction_applied",
                                  field=field, old_value=old, new_value=new, confidence=1.0,
                                  reason=f"corrected by {user}: {reason}"[:500])
    events.record("correction.applied", actor=user, obj=correction, service=service.name, field=field,
                  old=old, new=new)
    return correction


def _lock(service: Service, field: str, value) -> None:
    service.locked_fields = {**(service.locked_fields or {}), field: value}


@transaction.atomic
def correct(service: Service, field: str, value, *, user: str, reason: str = "") -> dict:
    """Returns {"correction": Correction, "propagated": n, "service": Service}."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    handler = {
        "owner": _owner, "repo": _repo, "name": _name, "lifecycle": _lifecycle, "tier": _tier,
        "not_a_service": _not_a_service, "merge": _merge, "split": _split,
    }.get(field)
    if handler is None:
        raise CorrectionError(f"cannot correct {field!r}")
    return handler(service, value, user=user, reason=reason)


def _owner(service, value, *, user, reason):
    team = Team.objects.filter(slug=value).first() if value else None
    if value and team is None:
        raise CorrectionError(f"no team {value!r}")
    old = service.owner.slug if service.owner_id else None
    similar = similar_to(service)  # the pattern of the service as it was, before the correction
    pattern, signals = _teaching(service, team.slug if team else None)
    service.owner = team
    service.owner_confidence, service.ownership_status = 1.0, (OwnershipStatus.OWNED if team else OwnershipStatus.UNOWNED)
    service.owner_source = USER_CORRECTION
    _lock(service, "owner", value or None)
    service.save()
    correction = _record(service, "owner", old, value, user=user, reason=reason)
    propagated = propagate_owner(service, team, correction, similar) if team else 0
    correction.propagated_count, correction.pattern, correction.signals = propagated, pattern, signals
    correction.save(update_fields=["propagated_count", "pattern", "signals"])
    return {"correction": correction, "propagated": propagated, "service": service}


def _teaching(service: Service, team: str | None) -> tuple[dict, dict]:
    """What an owner correction keeps for later discoveries, read before it changes the service: its pattern
    (name, topics and owner-tag values, as ``similarity`` compares them) and what inference had found, as
    ``weights.at_correction`` judges it (from the ownership step's last result, else the service's fields)."""
    stored = OwnershipInput.objects.filter(service=service).values_list("evidence", "inferred").first()
    evidence, inferred = stored or ({}, None)
    tags = ((evidence or {}).get("signals") or {}).get("tags") or ()
    owner_tags = sorted({v for t in tags if isinstance(t, dict) for v in naming.owner_tag_values(t)})
    if inferred is None:
        inferred = {"owner": service.owner.slug if service.owner_id else None, "status": service.ownership_status,
                    "source": service.owner_source, "candidates": service.owner_candidates or []}
    pattern = {"name": service.name, "tags": list(service.tags or []), "owner_tags": owner_tags}
    return pattern, weights.at_correction(inferred, team)


def similar_to(service: Service) -> list[Service]:
    candidates = list(Service.objects.exclude(pk=service.pk).filter(hidden=False).select_related("owner"))
    return similar_services(service, candidates)


def propagate_owner(service: Service, team: Team, correction: Correction, similar: list[Service]) -> int:
    """Similar services take the corrected owner at ``PROPAGATED_CONFIDENCE``, unless a person corrected
    them directly. Returns how many services improved."""
    improved = 0
    for other in similar:
        locked = other.locked_fields or {}
        if "owner" in locked:
            continue
        if other.owner_id == team.pk and other.owner_confidence >= PROPAGATED_CONFIDENCE:
            continue
        old = other.owner.slug if other.owner_id else None
        other.locked_fields = {**locked, "owner_propagated": {"team": team.slug, "confidence": PROPAGATED_CONFIDENCE,
                                                             "correction": correction.pk}}
        other.owner, other.owner_confidence, other.ownership_status = team, PROPAGATED_CONFIDENCE, OwnershipStatus.OWNED
        other.owner_source = CORRECTION_PROPAGATED
        other.save()
        DiscoveryEvent.objects.create(service=other, service_name=other.name, event_type="ownership_changed",
                                      field="owner", old_value=old, new_value=team.slug,
                                      confidence=PROPAGATED_CONFIDENCE,
                                      reason=f"propagated from the correction of {service.name}")
        improved += 1
    return improved


# --- similar services -------------------------------------------------------------------------------------
# words and topics too common to say two services belong together
_GENERIC = frozenset({"api", "app", "svc", "service", "web", "aws", "lambda", "the", "new", "old", "core", "main",
                      "data", "platform", "internal", "legacy", "common", "shared", "prod", "staging", "dev", "test",
                      "backend", "frontend", "microservice", "microservices", "serverless", "docker", "kubernetes",
                      "terraform", "python", "java", "go", "golang", "typescript", "javascript", "node", "nodejs",
                      "ruby", "kotlin", "rust", "php", "csharp", "dotnet", "library", "website", "infrastructure"})


def _first_word(name: str) -> str | None:
    words = naming.words(name)
    if len(words) < 2:
        return None
    first = naming.singular(words[0])
    return first if len(first) >= 3 and first not in _GENERIC else None


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
    """Services (anything with ``name``, ``tags`` and optionally ``owner_tags``) that share a pattern with
    ``source``, in name order."""
    owner = getattr(getattr(source, "owner", None), "slug", None) or getattr(source, "owner", None)
    return sorted((c for c in candidates if c is not source and similarity(source, c, owner)), key=lambda c: c.name)


# --- the owner at every discovery ---------------------------------------------------------------------------


def effective_owner(inferred: dict, locked: dict, learned: dict | None = None) -> tuple[str | None, float, str, str]:
    """``(team slug, confidence, status, source)`` of a service: its owner correction, else a propagated
    owner inference is less sure of, else a learned owner (``ownership.learning``: team, confidence)
    inference is less sure of, else what inference found (``inferred``: owner, confidence, status, source)."""
    if "owner" in locked:
        owner = locked["owner"] or None
        return owner, 1.0, (OwnershipStatus.OWNED if owner else OwnershipStatus.UNOWNED), USER_CORRECTION
    propagated = locked.get("owner_propagated")
    confidence = float(inferred.get("confidence") or 0.0)
    if propagated and confidence < float(propagated["confidence"]):
        return propagated["team"], float(propagated["confidence"]), OwnershipStatus.OWNED, CORRECTION_PROPAGATED
    if learned and confidence < float(learned["confidence"]):
        return learned["team"], float(learned["confidence"]), OwnershipStatus.OWNED, CORRECTION_LEARNED
    status = inferred.get("status") or OwnershipStatus.UNOWNED
    owner = inferred.get("owner") if status != OwnershipStatus.UNOWNED else None
    return owner, round(confidence, 3), status, inferred.get("source") or ""


def _repo(service, value, *, user, reason):
    old = service.repo or None
    service.repo = value or ""
    service.repo_url = f"https://github.com/{value}" if value else ""
    service.repo_confidence, service.repo_rule = 1.0, USER_CORRECTION
    _lock(service, "repo", value or None)
    service.save()
    return {"correction": _record(service, "repo", old, value, user=user, reason=reason), "propagated": 0,
            "service": service}


def _name(service, value, *, user, reason):
    value = (value or "").strip()
    if not value:
        raise CorrectionError("name cannot be empty")
    if Service.objects.filter(name=value).exclude(pk=service.pk).exists():
        raise CorrectionError(f"another service is already named {value!r}")
    old = service.name
    service.aliases = sorted(set(service.aliases or []) | {old})
    service.name = value
    _lock(service, "name", value)
    service.save()
    return {"correction": _record(service, "name", old, value, user=user, reason=reason), "propagated": 0,
            "service": service}


def _choice(field, allowed):
    def handler(service, value, *, user, reason):
        if value not in allowed:
            raise CorrectionError(f"{field} must be one of {', '.join(allowed)}")
        old = getattr(service, field)
        setattr(service, field, value)
        _lock(service, field, value)
        service.save()
        return {"correction": _record(service, field, old, value, user=user, reason=reason), "propagated": 0,
                "service": service}
    return handler


_lifecycle = _choice("lifecycle", VALID_LIFECYCLES)
_tier = _choice("tier", VALID_TIERS)


def _not_a_service(service, value, *, user, reason):
    hidden = bool(value if value is not None else True)
    old = service.hidden
    service.hidden = hidden
    _lock(service, "not_a_service", hidden)
    service.save()
    return {"correction": _record(service, "not_a_service", old, hidden, user=user, reason=reason),
            "propagated": 0, "service": service}


def _merge(service, value, *, user, reason):
    """Merge ``service`` into the service named or identified by ``value``: one entry from now on."""
    target = Service.objects.filter(pk=value).first() if _is_uuid(value) else Service.objects.filter(
        name=value).first()
    if target is None or target.pk == service.pk:
        raise CorrectionError("merge needs another existing service (id or name)")
    ServiceResource.objects.filter(service=service).update(service=target)
    target.aliases = sorted(set(target.aliases or []) | {service.name, *(service.aliases or [])})
    target.save(update_fields=["aliases", "updated_at"])
    service.hidden, service.merged_into = True, target
    _lock(service, "merge", str(target.pk))
    service.save()
    correction = _record(service, "merge", None, target.name, user=user, reason=reason)
    return {"correction": correction, "propagated": 0, "service": target}


def _split(service, value, *, user, reason):
    """Split resources off into a new service: value = {"name": ..., "resources": [arn, ...]}."""
    if not isinstance(value, dict) or not value.get("name") or not value.get("resources"):
        raise CorrectionError('split needs {"name": ..., "resources": [ARNs of this service]}')
    if Service.objects.filter(name=value["name"]).exists():
        raise CorrectionError(f"a service named {value['name']!r} exists already")
    moving = ServiceResource.objects.filter(service=service, external_id__in=value["resources"])
    if moving.count() != len(set(value["resources"])):
        raise CorrectionError("every resource to split off must belong to this service")
    new = Service.objects.create(
        key=f"split:{service.key}:{value['name']}", name=value["name"], display_name=value["name"],
        owner=service.owner, owner_confidence=service.owner_confidence, ownership_status=service.ownership_status,
        owner_source=service.owner_source, lifecycle=service.lifecycle, confidence=1.0,
        locked_fields={"resources": list(value["resources"]), "name": value["name"]}, sources=[USER_CORRECTION],
    )
    moving.update(service=new)
    correction = _record(service, "split", None, value, user=user, reason=reason)
    return {"correction": correction, "propagated": 0, "service": new}


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
