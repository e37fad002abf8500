"""What a question names, in the current tenant: a service, a team, several candidates, or nothing.

In order: a console link (``/services/<id>``, ``/teams/<slug>``), an AWS ARN (catalog's resource index, exact;
then without a Lambda qualifier; then the resource's own name), a service's exact name or alias, an AWS
resource's exact name, a repository (``org/name``, its name alone or its GitHub URL), a team's slug or name,
and last the catalog's search (``search.query``: typos welcome), where one clearly best hit is taken as the
closest match and close calls are offered as choices. User text only ever reaches the ORM as a value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q
from rapidfuzz import fuzz

from catalog.models import Service, ServiceResource, Team
from search.backends.base import SearchQuery
from search.documents import normalize
from search.query import search

SERVICE_LINK = re.compile(r"/services/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
                          r"(?:[/?#]|$)")
TEAM_LINK = re.compile(r"^https?://[^/\s]+/teams/([A-Za-z0-9_-]{1,100})/?(?:[?#]|$)")
BARE_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
GITHUB_URL = re.compile(r"^(?:https?://)?(?:www\.)?github\.com/([A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}?)"
                        r"(?:\.git)?/?(?:[?#].*)?$", re.I)
LAMBDA_QUALIFIED = re.compile(r"^(arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+):[^:]+$")
MAX_ARN_CHARS = 512  # ServiceResource.external_id
CLOSEST_SCORE = 80  # rapidfuzz ratio (0..100) a lone best hit needs to be taken for what was meant
CLOSEST_LEAD = 8  # and its lead over the runner-up
MAX_CHOICES = 5


@dataclass
class Resolution:
    kind: str  # service | team | choices | none
    service: Service | None = None
    team: Team | None = None
    match: str = "exact"  # exact | closest | resource | repository | link
    matched: str = ""  # the ARN or repository that matched
    choices: list[dict] = field(default_factory=list)  # {"kind", "name", "owner", "id" | "slug"}


def _services():
    return Service.objects.filter(hidden=False).select_related("owner")


def _service_choice(service: Service) -> dict:
    owner = service.owner.name if service.owner_id and service.ownership_status != "unowned" else ""
    return {"kind": "service", "name": service.name, "owner": owner, "id": str(service.pk)}


def _team_choice(team: Team) -> dict:
    return {"kind": "team", "name": team.name or team.slug, "owner": team.name or team.slug, "slug": team.slug}


def _services_result(services: list[Service], match: str, matched: str = "") -> Resolution | None:
    services = list({s.pk: s for s in services}.values())
    if len(services) == 1:
        return Resolution("service", service=services[0], match=match, matched=matched)
    if services:
        return Resolution("choices", choices=[_service_choice(s) for s in services[:MAX_CHOICES]])
    return None


def by_link(text: str) -> Resolution | None:
    found = SERVICE_LINK.search(text) if "/services/" in text else None
    ident = found.group(1) if found else (text if BARE_ID.match(text) else None)
    if ident:
        service = _services().filter(pk=ident.lower()).first()
        return Resolution("service", service=service, match="link") if service else Resolution("none")
    team_link = TEAM_LINK.match(text)
    if team_link:
        team = Team.objects.filter(slug=team_link.group(1)).first()
        return Resolution("team", team=team, match="link") if team else Resolution("none")
    return None


def by_arn(arn: str) -> Resolution:
    arn = arn[:MAX_ARN_CHARS]
    resource = ServiceResource.objects.filter(external_id=arn, service__hidden=False).select_related(
        "service__owner").first()
    qualified = LAMBDA_QUALIFIED.match(arn)
    if resource is None and qualified:  # a version or alias of a function: the function
        resource = ServiceResource.objects.filter(external_id=qualified.group(1), service__hidden=False).select_related(
            "service__owner").first()
    if resource is not None:
        return Resolution("service", service=resource.service, match="resource", matched=resource.external_id)
    name = re.split(r"[:/]", arn.rstrip("/:"))[-1]
    if name:
        found = by_resource_name(name)
        if found is not None:
            return found
    return Resolution("none")


def by_resource_name(name: str) -> Resolution | None:
    resources = list(ServiceResource.objects.filter(name__iexact=name, service__hidden=False).select_related(
        "service__owner").order_by("external_id")[:20])
    result = _services_result([r.service for r in resources], "resource", resources[0].external_id if resources else "")
    return result


def by_name(text: str) -> Resolution | None:
    norm = normalize(text)
    names = {text, norm} - {""}
    services = list(_services().filter(Q(name__in=names) | Q(name__iexact=text) | Q(name__iexact=norm)
                                       | Q(display_name__iexact=text)
                                       | Q(aliases__contains=[text]) | Q(aliases__contains=[norm]))
                    .order_by("name")[:20])
    return _services_result(services, "exact")


def by_repository(text: str) -> Resolution | None:
    url = GITHUB_URL.match(text)
    repo = url.group(1) if url else text
    if "/" in repo:
        services = _services().filter(repo__iexact=repo)
    elif re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", repo):
        services = _services().filter(repo__iendswith=f"/{repo}")
    else:
        return None
    services = list(services.order_by("name")[:20])
    return _services_result(services, "repository", services[0].repo if services else "")


def by_team(text: str) -> Resolution | None:
    norm = normalize(text)
    team = (Team.objects.filter(Q(slug__iexact=text) | Q(slug__iexact=norm) | Q(name__iexact=text))
            .order_by("slug").first())
    return Resolution("team", team=team) if team else None


def _similarity(query: str, *names: str) -> float:
    target = normalize(query)
    return max((fuzz.ratio(target, normalize(n)) for n in names if n), default=0.0)


def by_search(text: str) -> Resolution:
    """The catalog's search (typo-tolerant): one clearly closest hit, else the best few as choices."""
    result = search(SearchQuery(q=text, limit=MAX_CHOICES, include_eol=True))
    scored = []
    for hit in result.get("hits") or []:
        scored.append((_similarity(text, hit.get("name"), hit.get("display_name"), *(hit.get("aliases") or [])),
                       "service", hit.get("id")))
    for team in result.get("teams") or []:
        scored.append((_similarity(text, team.get("name"), team.get("display_name")), "team", team.get("name")))
    for repo in result.get("repositories") or []:
        scored.append((_similarity(text, repo.get("repo_name"), repo.get("name")), "repository", repo.get("name")))
    if not scored:
        return Resolution("none")
    ranked = sorted(scored, key=lambda s: -s[0])
    best, runner_up = ranked[0], (ranked[1][0] if len(ranked) > 1 else 0.0)
    if len(scored) == 1 or (best[0] >= CLOSEST_SCORE and best[0] - runner_up >= CLOSEST_LEAD):
        picked = _pick(best[1], best[2])
        if picked is not None:
            if picked.kind in ("service", "team"):
                picked.match = "closest"
            return picked
    return Resolution("choices", choices=_choices(scored))


def _pick(kind: str, ref: str) -> Resolution | None:
    if kind == "service":
        service = _services().filter(pk=ref).first()
        return Resolution("service", service=service) if service else None
    if kind == "team":
        team = Team.objects.filter(slug=ref).first()
        return Resolution("team", team=team) if team else None
    return by_repository(ref)


def _choices(scored: list[tuple]) -> list[dict]:
    """The candidates in the search's own order (services, then teams, then repositories), at most a few."""
    ids = [ref for _, kind, ref in scored if kind == "service"]
    services = {str(s.pk): s for s in _services().filter(pk__in=ids)}
    teams = {t.slug: t for t in Team.objects.filter(slug__in=[ref for _, kind, ref in scored if kind == "team"])}
    out = []
    for _, kind, ref in scored:
        if kind == "service" and ref in services:
            out.append(_service_choice(services[ref]))
        elif kind == "team" and ref in teams:
            out.append(_team_choice(teams[ref]))
        elif kind == "repository":
            out.append({"kind": "repository", "name": ref, "owner": "", "repo": ref})
    return out[:MAX_CHOICES]


def resolve(text: str) -> Resolution:
    """The thing ``text`` names in the current tenant. Raises ``search.backends.base.SearchError`` when the
    search is needed and unavailable."""
    text = (text or "").strip()
    if not text:
        return Resolution("none")
    if text.lower().startswith("arn:"):
        return by_arn(text)
    for step in (by_link, by_name, by_resource_name, by_repository, by_team):
        found = step(text)
        if found is not None:
            return found
    return by_search(text)
