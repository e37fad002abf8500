"""Build the denormalized search documents (seed §3.2) from catalog rows, and the table row for each.

Pure functions of model instances and plain values: nothing here touches the database, so the shape
of what every backend indexes is tested without one.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from search.models import DocumentKind

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_TOKEN = re.compile(r"[0-9a-z]+")
DESCRIPTION_CHARS = 500  # enough for a result line; keeps documents (and responses) small


def fold(text: str) -> str:
    """Lowercase and strip accents, so "Zahlungs-Gerät" matches "gerat"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize(text: str) -> str:
    """The canonical form of a name: folded, every run of separators one hyphen ("Order Ledger" -> order-ledger)."""
    return _NOT_ALNUM.sub("-", fold(text)).strip("-")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def _words(*values) -> str:
    """Space-separated tokens of strings and lists of strings, for a tsvector weight class."""
    out: list[str] = []
    for value in values:
        for item in (value if isinstance(value, (list, tuple)) else [value]):
            if item:
                out.extend(tokens(str(item)))
    return " ".join(out)


def _epoch(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def service_key(service_id) -> str:
    return f"service-{service_id}"


def team_key(team_id) -> str:
    return f"team-{team_id}"


def repository_key(repo: str) -> str:
    # Meilisearch ids allow [A-Za-z0-9_-] only; "org/name" does not fit, so hash it (stable).
    return "repository-" + hashlib.sha1(repo.lower().encode()).hexdigest()[:32]


def repo_name(repo: str) -> str:
    return repo.rsplit("/", 1)[-1] if repo else ""


def _aws_services(resource_kinds: Iterable[str]) -> list[str]:
    """ecs_service -> ecs, rds_instance -> rds, apigateway_http_api -> apigateway."""
    return sorted({kind.split("_", 1)[0] for kind in resource_kinds if kind})


def service_document(service, *, tenant_id: str, team=None, resource_kinds: Iterable[str] = ()) -> dict:
    """The document for one Service. ``team`` is its owner (passed so bulk builds need no query per service)."""
    tech = [t for t in (service.tech_stack or []) if t]
    return {
        "id": service_key(service.id),
        "kind": DocumentKind.SERVICE.value,
        "ref": str(service.id),
        "tenant_id": tenant_id,
        "name": service.name,
        "display_name": service.display_name or "",
        "aliases": [a for a in (service.aliases or []) if a],
        "description": (service.description or "")[:DESCRIPTION_CHARS],
        "entry_type": service.entry_type or "",
        "service_type": service.service_type or service.component_type or "",
        "lifecycle": service.lifecycle or "",
        "tier": service.tier or "",
        "team_name": team.name if team else "",
        "team_slug": team.slug if team else "",
        "owner_confidence": round(float(service.owner_confidence or 0.0), 4),
        "tech_stack": tech,
        "language": tech[0] if tech else "",
        "repo": service.repo or "",
        "repo_name": repo_name(service.repo or ""),
        "repo_url": service.repo_url or "",
        "health_status": service.health or "unknown",
        "aws_services": _aws_services(resource_kinds),
        "aws_regions": list(service.regions or []),
        "tags": [t for t in (service.tags or []) if t],
        "confidence_score": round(float(service.confidence or 0.0), 4),
        "updated_at": _epoch(service.updated_at),
    }


def team_document(team, *, tenant_id: str, services_count: int) -> dict:
    return {
        "id": team_key(team.id),
        "kind": DocumentKind.TEAM.value,
        "ref": str(team.id),
        "tenant_id": tenant_id,
        "name": team.slug,
        "display_name": team.name or team.slug,
        "description": (team.description or "")[:DESCRIPTION_CHARS],
        "github_org": team.github_org or "",
        "members_count": len(team.members or []),
        "services_count": services_count,
        "updated_at": _epoch(team.updated_at),
    }


def repository_document(repo: str, services: list, *, tenant_id: str, teams: dict | None = None) -> dict:
    """A repository, from the (visible) services that claim it; ``teams`` maps owner_id -> Team."""
    teams = teams or {}
    services = sorted(services, key=lambda s: s.name)
    first = services[0]
    owners = [teams[s.owner_id] for s in services if s.owner_id in teams]
    languages = sorted({t for s in services for t in (s.tech_stack or []) if t})
    return {
        "id": repository_key(repo),
        "kind": DocumentKind.REPOSITORY.value,
        "ref": repo,
        "tenant_id": tenant_id,
        "name": repo,
        "repo_name": repo_name(repo),
        "repo_url": first.repo_url or "",
        "description": (first.description or "")[:DESCRIPTION_CHARS],
        "services": [s.name for s in services],
        "team_name": owners[0].name if owners else "",
        "team_slug": owners[0].slug if owners else "",
        "tech_stack": languages,
        "updated_at": max((_epoch(s.updated_at) or 0) for s in services) or None,
    }


def row_fields(doc: dict) -> dict:
    """The SearchDocument columns for a document (everything but key, indexed_at and source_updated_at);
    the document itself is stored as the SearchHit payload."""
    kind = doc["kind"]
    if kind == DocumentKind.SERVICE:
        names = [doc["name"], *doc["aliases"]]
        text_a = _words(doc["name"], doc["aliases"])
        text_b = _words(doc["display_name"], doc["tags"], doc["team_name"], doc["team_slug"])
        text_c = _words(doc["tech_stack"], doc["repo_name"])  # not the org: every service would match it
        facets = {"lifecycle": doc["lifecycle"], "tier": doc["tier"], "team": doc["team_slug"],
                  "health": doc["health_status"], "languages": doc["tech_stack"]}
    elif kind == DocumentKind.TEAM:
        names = [doc["name"], doc["display_name"]]
        text_a = _words(doc["name"], doc["display_name"])
        text_b = text_c = ""
        facets = {}
    else:
        names = [doc["repo_name"], doc["name"]]
        text_a = _words(doc["repo_name"])
        text_b = _words(doc["services"], doc["team_name"], doc["team_slug"])
        text_c = _words(doc["tech_stack"])
        facets = {}
    return {
        "kind": kind,
        "ref": doc["ref"],
        "name_norm": normalize(doc["name"] if kind != DocumentKind.REPOSITORY else doc["repo_name"]),
        "names": " ".join(dict.fromkeys(normalize(n) for n in names if n)),
        "text_a": text_a,
        "text_b": text_b,
        "text_c": text_c,
        "text_d": _words(doc["description"]),
        "lifecycle": facets.get("lifecycle", ""),
        "tier": facets.get("tier", ""),
        "team": facets.get("team", ""),
        "health": facets.get("health", ""),
        "languages": facets.get("languages", []),
    }
