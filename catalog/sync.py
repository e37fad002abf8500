"""Persist a reconcile result: teams, services, their resources and repository, with discovery events.

Identity is stable (catalog.identity.match_existing), only services whose fingerprint changed are
rewritten, and corrections (Service.locked_fields) always win over what discovery inferred.
"""
from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from catalog.identity import match_existing
from catalog.models import DiscoveryEvent, Service, ServiceResource, Team
from discovery import facts as kinds

# Fields a correction can lock, and how they map onto the model.
LOCKABLE = ("owner", "repo", "name", "lifecycle", "tier")


def sync_teams(facts, links) -> dict[str, Team]:
    """GitHub teams become catalog teams (slug, name, parent, members). Teams are never deleted here."""
    existing = {t.slug: t for t in Team.objects.all()}
    parents = {}
    for fact in facts:
        if fact.kind != kinds.GH_TEAM:
            continue
        attrs = fact.attributes
        slug = fact.name
        team = existing.get(slug) or Team(slug=slug)
        new = (attrs.get("name") or slug, attrs.get("description") or "", attrs.get("org") or fact.account,
               sorted(attrs.get("members") or []))
        if team._state.adding or (team.name, team.description, team.github_org, team.members) != new:
            team.name, team.description, team.github_org, team.members = new
            team.source = "github"
            team.save()
        existing[slug] = team
        parents[slug] = attrs.get("parent")
    for slug, parent in parents.items():
        parent_team = existing.get(parent) if parent else None
        if existing[slug].parent_id != (parent_team.pk if parent_team else None):
            existing[slug].parent = parent_team
            existing[slug].save(update_fields=["parent", "updated_at"])
    return existing


def existing_inputs() -> list[dict]:
    resource_ids = defaultdict(list)
    for service_id, external_id in ServiceResource.objects.values_list("service_id", "external_id"):
        resource_ids[service_id].append(external_id)
    return [
        {"id": s.pk, "name": s.name, "aliases": list(s.aliases or []), "resource_ids": resource_ids.get(s.pk, []),
         "repo": s.repo or None, "key": s.key}
        for s in Service.objects.filter(merged_into__isnull=True)
    ]


def _ownership(draft) -> dict:
    own = getattr(draft, "ownership", None)
    get = (lambda k, d=None: getattr(own, k, d)) if own is not None else (lambda k, d=None: getattr(draft, k, d))
    return {
        "owner": get("owner") if own is not None else get("owner"),
        "confidence": float(get("confidence", 0.0) if own is not None else (get("owner_confidence", 0.0) or 0.0)),
        "status": get("status", "unowned") if own is not None else get("ownership_status", "unowned"),
        "source": get("source", "") if own is not None else get("owner_source", ""),
        "runner_up": get("runner_up"),
        "runner_up_score": float(get("runner_up_score", 0.0) or 0.0),
        "candidates": get("candidates", []) if own is not None else get("owner_candidates", []),
    }


def _team(slug: str | None, teams: dict[str, Team]) -> Team | None:
    if not slug:
        return None
    if slug not in teams:
        teams[slug] = Team.objects.create(slug=slug, name=slug.replace("-", " ").title(), source="inferred")
    return teams[slug]


def _unique_name(name: str, service_id, taken: dict[str, object]) -> str:
    candidate, n = name, 2
    while candidate in taken and taken[candidate] != service_id:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def apply(result, *, run) -> dict:
    """Write drafts onto services. Returns stats and the ids of services no draft claimed (unseen_ids)."""
    now = timezone.now()
    teams = {t.slug: t for t in Team.objects.all()}
    services = {s.pk: s for s in Service.objects.all()}
    drafts = list(result.services)
    mapping = match_existing(drafts, existing_inputs())
    taken = {s.name: s.pk for s in services.values()}
    stats = {"services_created": 0, "services_updated": 0, "services_unchanged": 0, "owned": 0, "ambiguous": 0,
             "unowned": 0}

    # Merge corrections redirect every draft of the merged service into its target.
    grouped: dict[object, list] = defaultdict(list)
    for draft in drafts:
        target = mapping.get(draft.key)
        seen = set()
        while target in services and services[target].merged_into_id and target not in seen:
            seen.add(target)
            target = services[target].merged_into_id
        grouped[target if target in services else ("new", draft.key)].append(draft)

    # Split corrections pin resources to the service they were split into.
    pinned = {ext: s.pk for s in services.values() for ext in (s.locked_fields or {}).get("resources", [])}
    claimed_ids, unchanged = set(), []
    for target, group in grouped.items():
        draft = max(group, key=lambda d: (len(d.resources), d.confidence))
        service = services.get(target) if not isinstance(target, tuple) else None
        created = service is None
        if created:
            service = Service(key=draft.key)
        claimed_ids.add(service.pk)
        resources = {}
        for d in group:
            for claim in d.resources:
                if pinned.get(claim.external_id, service.pk) == service.pk:
                    resources[claim.external_id] = claim
        aliases = sorted({a for d in group for a in [d.name, *d.aliases]} - {service.name if not created else ""})
        fingerprint = "|".join(sorted(d.fingerprint for d in group))
        revived = service.lifecycle in ("deprecated", "eol") and "lifecycle" not in (service.locked_fields or {})
        if not created and service.fingerprint == fingerprint and not revived:
            service.missed_scans, service.last_seen_at = 0, now
            unchanged.append(service.pk)
            stats["services_unchanged"] += 1
            _count_ownership(stats, service.ownership_status)
            continue
        before = _snapshot(service) if not created else None
        own = _ownership(draft)
        locked = dict(service.locked_fields or {})
        name = locked.get("name") or (service.name if not created else draft.name)
        service.name = _unique_name(name, service.pk, taken)
        taken[service.name] = service.pk
        service.display_name = draft.display_name or service.name
        service.aliases = [a for a in aliases if a != service.name]
        service.description = draft.description or ""
        service.entry_type = draft.entry_type or "service"
        service.component_type = draft.component_type or ""
        service.service_type = draft.service_type or ""
        service.environments = sorted({e for d in group for e in d.environments})
        service.accounts = sorted({a for d in group for a in d.accounts})
        service.regions = sorted({r for d in group for r in d.regions})
        service.tech_stack = list(draft.tech_stack or [])
        service.sources = sorted({s for d in group for s in d.sources})
        service.evidence = [e for d in group for e in d.evidence][:100]
        service.confidence = round(max(d.confidence for d in group), 3)
        service.health = draft.health or "unknown"
        service.tags = sorted(getattr(draft, "tags", []) or [])
        repo = locked["repo"] if "repo" in locked else draft.repo
        service.repo = repo or ""
        service.repo_url = f"https://github.com/{repo}" if repo else ""
        service.repo_default_branch = getattr(draft, "repo_default_branch", "") or ""
        service.repo_confidence = 1.0 if "repo" in locked else float(draft.repo_confidence or 0.0)
        service.repo_rule = "user_correction" if "repo" in locked else (draft.repo_rule or "")
        if "lifecycle" in locked:
            service.lifecycle = locked["lifecycle"]
        elif created or service.lifecycle in ("deprecated", "eol"):
            service.lifecycle = "production"  # seen again: alive
        if "tier" in locked:
            service.tier = locked["tier"]
        _apply_owner(service, own, locked, teams)
        service.fingerprint = fingerprint
        service.locked_fields = locked
        service.missed_scans, service.last_seen_at = 0, now
        service.save()
        ServiceResource.objects.filter(service=service).exclude(external_id__in=list(resources)).delete()
        ServiceResource.objects.filter(external_id__in=list(resources)).exclude(service=service).delete()
        ServiceResource.objects.bulk_create(
            [ServiceResource(service=service, external_id=c.external_id, kind=c.kind, name=c.name, account=c.account,
                             region=c.region, rule=c.rule, confidence=c.confidence) for c in resources.values()],
            update_conflicts=True, unique_fields=["external_id"],
            update_fields=["service", "kind", "name", "account", "region", "rule", "confidence"],
        )
        # (service.save() above queues its search re-index for after the commit: search.signals)
        _events(service, before, run, own)
        stats["services_created" if created else "services_updated"] += 1
        _count_ownership(stats, service.ownership_status)
    # Seen again, nothing to rewrite: one UPDATE for all of them rather than one per service.
    Service.objects.filter(pk__in=unchanged).update(missed_scans=0, last_seen_at=now)
    stats["services"] = len(grouped)
    stats["unseen_ids"] = [pk for pk, s in services.items() if pk not in claimed_ids and not s.merged_into_id
                           and not (s.locked_fields or {}).get("resources")]
    return stats


def _count_ownership(stats, status):
    stats[status if status in ("owned", "ambiguous", "unowned") else "unowned"] += 1


def _apply_owner(service: Service, own: dict, locked: dict, teams: dict[str, Team]) -> None:
    if "owner" in locked:
        service.owner = _team(locked["owner"], teams)
        service.owner_confidence, service.ownership_status, service.owner_source = 1.0, "owned", "user_correction"
    elif locked.get("owner_propagated") and own["confidence"] < float(locked["owner_propagated"]["confidence"]):
        prop = locked["owner_propagated"]
        service.owner = _team(prop["team"], teams)
        service.owner_confidence, service.ownership_status = float(prop["confidence"]), "owned"
        service.owner_source = "correction_propagated"
    else:
        service.owner = _team(own["owner"], teams) if own["status"] != "unowned" else None
        service.owner_confidence = round(own["confidence"], 3)
        service.ownership_status = own["status"]
        service.owner_source = own["source"] or ""
    service.runner_up = _team(own["runner_up"], teams) if own["runner_up"] else None
    service.runner_up_score = round(own["runner_up_score"], 3)
    service.owner_candidates = list(own["candidates"] or [])[:10]


def _snapshot(service: Service) -> dict:
    return {"owner": service.owner.slug if service.owner_id else None, "repo": service.repo or None,
            "name": service.name, "lifecycle": service.lifecycle, "owner_confidence": service.owner_confidence,
            "resources": service.resources.count()}


def _events(service: Service, before: dict | None, run, own: dict) -> None:
    after = _snapshot(service)
    rows = []

    def add(event_type, field="", old=None, new=None, confidence=None, reason=""):
        rows.append(DiscoveryEvent(run=run, service=service, service_name=service.name, event_type=event_type,
                                   field=field, old_value=old, new_value=new, confidence=confidence, reason=reason))

    if before is None:
        add("service_created", new={"name": after["name"], "repo": after["repo"], "owner": after["owner"]},
            confidence=service.confidence, reason="; ".join(sorted({e.get("rule", "") for e in service.evidence}))[:500])
        if after["repo"]:
            add("repo_linked", "repo", None, after["repo"], service.repo_confidence, service.repo_rule)
        if after["owner"]:
            add("ownership_changed", "owner", None, after["owner"], service.owner_confidence, service.owner_source)
    else:
        if before["owner"] != after["owner"]:
            add("ownership_changed", "owner", before["owner"], after["owner"], service.owner_confidence,
                service.owner_source)
        if before["repo"] != after["repo"]:
            if before["repo"]:
                add("repo_unlinked", "repo", before["repo"], None, None, "no longer matched")
            if after["repo"]:
                add("repo_linked", "repo", before["repo"], after["repo"], service.repo_confidence, service.repo_rule)
        changed = {k: (before[k], after[k]) for k in ("name", "lifecycle", "resources") if before[k] != after[k]}
        if changed:
            add("service_updated", ",".join(changed), {k: v[0] for k, v in changed.items()},
                {k: v[1] for k, v in changed.items()}, service.confidence, "discovered facts changed")
    DiscoveryEvent.objects.bulk_create(rows)
