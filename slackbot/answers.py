"""Answer one ``/roster`` command in the current tenant: look the question up (``slackbot.lookup``), gather the
routing (``slackbot.routing``) and the evidence, and render it (``slackbot.messages``). Also the service card
that link unfurls show. Runs inside the tenant's schema; the caller picked the tenant from the workspace."""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.db import connection

from catalog.models import Service, Team
from search.backends.base import SearchError, SearchQuery
from search.query import search
from slackbot import lookup, messages, routing
from slackbot.commands import HELP, SEARCH, Command


def console_base() -> str:
    """The current tenant's console, e.g. ``https://acme.roster.example.com`` (ROSTER_SLACK_CONSOLE_URL)."""
    tenant = connection.tenant
    domain = tenant.get_primary_domain() if hasattr(tenant, "get_primary_domain") else None
    host = domain.domain if domain is not None else tenant.schema_name
    return settings.ROSTER_SLACK_CONSOLE_URL.format(host=host).rstrip("/")


def service_url(base: str, service) -> str:
    return f"{base}/services/{service.pk}"


def team_url(base: str, team) -> str:
    return f"{base}/teams/{team.slug}"


def _candidates(service: Service) -> list[dict]:
    raw = [c for c in (service.owner_candidates or []) if isinstance(c, dict) and c.get("team")][:5]
    names = dict(Team.objects.filter(slug__in=[c["team"] for c in raw]).values_list("slug", "name"))
    return [{"slug": c["team"], "name": names.get(c["team"]) or c["team"], "score": c.get("score")} for c in raw]


def _evidence(service: Service) -> str:
    owner = service.owner.slug if service.owner_id else None
    signals = next((c.get("signals") for c in (service.owner_candidates or [])
                    if isinstance(c, dict) and c.get("team") == owner), None)
    return messages.evidence_line(service.owner_source or "", signals)


def service_answer(service: Service, base: str, *, verb: str, query: str = "", match: str = "exact",
                   matched: str = "") -> dict:
    return {
        "verb": verb, "query": query, "match": match, "matched": matched,
        "service": {"id": str(service.pk), "name": service.name, "url": service_url(base, service)},
        "routing": routing.for_service(service),
        "evidence": _evidence(service) if service.owner_id else "",
        "candidates": _candidates(service),
    }


def team_answer(team: Team, base: str, *, verb: str, query: str = "", match: str = "exact") -> dict:
    return {
        "verb": verb, "query": query, "match": match,
        "team": {"id": str(team.pk), "slug": team.slug, "name": team.name, "url": team_url(base, team)},
        "routing": routing.for_team(team),
        "services": team.services.filter(hidden=False).count(),
    }


def _choice_urls(choices: list[dict], base: str) -> list[dict]:
    for choice in choices:
        if choice.get("id"):
            choice["url"] = f"{base}/services/{choice['id']}"
        elif choice.get("slug"):
            choice["url"] = f"{base}/teams/{choice['slug']}"
        elif choice.get("repo"):
            choice["url"] = f"{base}/services?{urlencode({'q': choice['repo']})}"
    return choices


def _search(query: str, base: str) -> dict:
    result = search(SearchQuery(q=query, limit=8))
    hits = [{"name": h.get("name"), "owner": h.get("team_name") or h.get("team_slug") or "",
             "confidence": h.get("owner_confidence"), "url": f"{base}/services/{h.get('id')}"}
            for h in result.get("hits") or []]
    teams = [{"name": t.get("display_name") or t.get("name"), "url": f"{base}/teams/{t.get('name')}"}
             for t in result.get("teams") or []]
    repos = [{"name": r.get("name")} for r in result.get("repositories") or []]
    return {"query": query, "hits": hits, "teams": teams, "repositories": repos}


def run(command: Command) -> dict:
    """The message answering ``command`` (help, search, who owns, oncall) in the current tenant."""
    if command.verb == HELP:
        return messages.help_message()
    base = console_base()
    try:
        if command.verb == SEARCH:
            return messages.search_results(_search(command.query, base))
        found = lookup.resolve(command.query)
    except SearchError:
        return messages.unavailable()
    if found.kind == "service":
        return messages.service_answer(service_answer(found.service, base, verb=command.verb, query=command.query,
                                                      match=found.match, matched=found.matched))
    if found.kind == "team":
        return messages.team_answer(team_answer(found.team, base, verb=command.verb, query=command.query,
                                                match=found.match))
    if found.kind == "choices":
        return messages.choices({"verb": command.verb, "query": command.query,
                                 "choices": _choice_urls(found.choices, base)})
    return messages.not_found({"verb": command.verb, "query": command.query})


def service_card(service: Service) -> dict:
    """The unfurl of a console link to ``service``."""
    return messages.service_card(service_answer(service, console_base(), verb="who_owns"))
