"""Persist a reconcile result: teams, services, their resources and repository, with discovery events.

A draft is the entry reconcile matched it to (``draft.existing_id``: catalog.identity), only services
whose fingerprint changed are rewritten, and corrections (Service.locked_fields) always win over what
discovery found. The owner is not written here: ownership infers it in the next step of the discovery,
from what ``apply`` hands over through ``owners_to_infer``.

Corrections saved while a reconcile runs are kept: ``apply`` reads the services it writes only once it
holds off every other writer of services (``current_services``), and they wait for its transaction to end.
"""
from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from catalog import naming
from catalog.models import DiscoveryEvent, Service, ServiceResource, Team
from catalog.reconcile import last_deploy
from discovery import facts as kinds

# Sent by apply() inside its transaction, for the ownership step that follows reconcile (ownership
# connects to it; catalog does not import who listens). Keyword arguments, all data: run_id; inputs,
# {service id: what reconcile saw about its owner} for the services rewritten; seen, the ids of the
# services found unchanged; directory, the team directory's arguments (or None).
owners_to_infer = Signal()


def sync_teams(facts, links) -> dict[str, Team]:
    """GitHub teams become catalog teams (slug, name, parent, members). Teams are never deleted here.
    A team whose slug a team of another organization has too is ``org/slug`` (``naming.team_keys``)."""
    existing = {t.slug: t for t in Team.objects.all()}
    parents = {}
    facts = [f for f in facts if f.kind == kinds.GH_TEAM]
    org_of = {f.external_id: (f.attributes or {}).get("org") or f.account for f in facts}
    keys = naming.team_keys((org_of[f.external_id], f.name) for f in facts)
    for fact in facts:
        attrs = fact.attributes
        org = org_of[fact.external_id]
        slug = keys[(org, fact.name)]
        team = existing.get(slug) or Team(slug=slug)
        new = (attrs.get("name") or slug, attrs.get("description") or "", attrs.get("org") or fact.account,
               sorted(attrs.get("members") or []))
        if team._state.adding or (team.name, team.description, team.github_org, team.members) != new:
            team.name, team.description, team.github_org, team.members = new
            team.source = "github"
            # Only discovery's fields: a routing change (oncall) saved meanwhile is not written back over.
            team.save(update_fields=None if team._state.adding else
                      ["name", "description", "github_org", "members", "source", "updated_at"])
        existing[slug] = team
        parents[slug] = keys.get((org, attrs.get("parent")), attrs.get("parent"))
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


def _unique_name(name: str, service_id, taken: dict[str, object]) -> str:
    candidate, n = name, 2
    while candidate in taken and taken[candidate] != service_id:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def current_services() -> dict:
    """Every service as it is now, and nobody else writes one until the caller's transaction ends.

    ``LOCK TABLE ... IN EXCLUSIVE MODE`` lets readers (the API, search) go on and makes every writer of a
    service (a correction's ``select_for_update``, ownership inference, another UPDATE) wait; one that
    committed before it is seen by the read that follows. A row-by-row ``select_for_update`` instead could
    deadlock with a correction, which locks its service and then the similar services it propagates to."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Service._meta.db_table)} IN EXCLUSIVE MODE")
    return {s.pk: s for s in Service.objects.all()}


@transaction.atomic
def apply(result, *, run) -> dict:
    """Write drafts onto services. Returns stats and the ids of services no draft claimed (unseen_ids).

    Runs in a transaction (the caller's, when it has one): the services it rewrites are read under the
    lock of ``current_services``, so what a correction locked meanwhile (``locked_fields``), and the owner
    it set, are what is written back."""
    now = timezone.now()
    services = current_services()
    drafts = list(result.services)
    mapping = {d.key: d.existing_id for d in drafts if d.existing_id is not None}
    taken = {s.name: s.pk for s in services.values()}
    stats = {"services_created": 0, "services_updated": 0, "services_unchanged": 0}
    owners: dict = {}

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
            continue
        before = _snapshot(service) if not created else None
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
        service.last_deploy = last_deploy.newest(d.last_deploy for d in group)
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
        _events(service, before, run)
        owners[service.pk] = draft.owner_evidence
        stats["services_created" if created else "services_updated"] += 1
    # Seen again, nothing to rewrite: one UPDATE for all of them rather than one per service.
    Service.objects.filter(pk__in=unchanged).update(missed_scans=0, last_seen_at=now)
    owners_to_infer.send(sender=Service, run_id=run.pk, inputs=owners, seen=unchanged,
                         directory=result.directory)
    stats["services"] = len(grouped)
    stats["unseen_ids"] = [pk for pk, s in services.items() if pk not in claimed_ids and not s.merged_into_id
                           and not (s.locked_fields or {}).get("resources")]
    return stats


def _snapshot(service: Service) -> dict:
    return {"repo": service.repo or None, "name": service.name, "lifecycle": service.lifecycle,
            "resources": service.resources.count(), "last_deploy": service.last_deploy}


def _events(service: Service, before: dict | None, run) -> None:
    """What changed, for the discovery events (the owner's changes are the ownership step's)."""
    after = _snapshot(service)
    rows = []

    def add(event_type, field="", old=None, new=None, confidence=None, reason=""):
        rows.append(DiscoveryEvent(run=run, service=service, service_name=service.name, event_type=event_type,
                                   field=field, old_value=old, new_value=new, confidence=confidence, reason=reason))

    if before is None:
        add("service_created", new={"name": after["name"], "repo": after["repo"]},
            confidence=service.confidence, reason="; ".join(sorted({e.get("rule", "") for e in service.evidence}))[:500])
        if after["repo"]:
            add("repo_linked", "repo", None, after["repo"], service.repo_confidence, service.repo_rule)
    else:
        if before["repo"] != after["repo"]:
            if before["repo"]:
                add("repo_unlinked", "repo", before["repo"], None, None, "no longer matched")
            if after["repo"]:
                add("repo_linked", "repo", before["repo"], after["repo"], service.repo_confidence, service.repo_rule)
        if last_deploy.changed(before["last_deploy"], after["last_deploy"]):
            add("service_updated", "last_deploy", before["last_deploy"], after["last_deploy"], None,
                "another deploy was found" if after["last_deploy"] else "no deploy is known any more")
        changed = {k: (before[k], after[k]) for k in ("name", "lifecycle", "resources") if before[k] != after[k]}
        if changed:
            add("service_updated", ",".join(changed), {k: v[0] for k, v in changed.items()},
                {k: v[1] for k, v in changed.items()}, service.confidence, "discovered facts changed")
    DiscoveryEvent.objects.bulk_create(rows)
