"""The ownership step of a discovery: who owns each service catalog has just persisted.

Catalog hands over, as data, what it saw about each service it rewrote (``catalog.sync.owners_to_infer``,
stored here by ``store_inputs`` in the same transaction as the services). The step (``infer``, run by
the ``ownership.infer_workspace`` task after reconcile) reads those rows back, scores the owner with the
ownership model (``ownership.scoring``) with the tenant's adapted weights (``ownership.weights``), lets
corrections win (``ownership.corrections.effective_owner``: a person's, a propagated one, then one learned
from corrections of similar services, ``ownership.learning``) and writes the owner fields of the service,
with an ``ownership_changed`` discovery event when the owner changes. Nothing else writes a service's owner
during a discovery.

What catalog hands over for one service (``OwnershipInput.evidence``, gathered by
``catalog.reconcile.owners``): ``{"signals": {...}, "confidence": {...}}``, the raw evidence, scored here
against the team directory of the same run (``TeamDirectoryInput``):

  - ``signals.repo``: the repository's fact id or null; ``signals.codeowners``: ``{"path", "rules"}``,
    the CODEOWNERS rules of that repository's file, or null; ``signals.folder_keys``: name keys of the
    service (a monorepo folder named after it owns it); ``signals.catalog_info``: owner strings of the
    catalog-info entities that speak for the service; ``signals.commit_authors``: ``{login: commits}``;
    ``signals.permissions``: ``[[team slug, permission], ...]``; ``signals.tags``: the service's resources'
    own tags, one dict per resource; ``signals.iac_codeowners`` (optional): the CODEOWNERS rules owning the
    infrastructure-repository folders that declare the service (``{"repo", "path", "folder", "pattern",
    "owners", ...}``), counted like path rules.
    ``signals.org`` (optional): the GitHub organization a bare team name
    means when teams of several orgs share it (the repository's org, or the org running the service's account).
    A team slug two orgs share is ``org/slug`` (``catalog.naming.team_keys``).
  - ``confidence``: ``{"parts": [[weight, value], ...]}``, the service's composite confidence as catalog
    weighs it, with ``"owner"`` as the value of the owner's part: the inferred owner's confidence, or
    no part at all when nobody owns the service.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from catalog.models import DiscoveryEvent, Service, Team
from catalog.naming import TeamDirectory
from ownership import learning, weights
from ownership.signals import composite_confidence, score
from ownership.corrections import CORRECTION_LEARNED, effective_owner
from ownership.models import OwnershipInput, TeamDirectoryInput

OWNER_FIELDS = ["owner", "owner_confidence", "ownership_status", "owner_source", "runner_up", "runner_up_score",
                "owner_candidates"]


def store_inputs(sender, *, run_id, inputs: dict, seen, directory: dict | None = None, **kwargs) -> None:
    """Receiver of ``catalog.sync.owners_to_infer``: keep what the step of run ``run_id`` will read.

    ``inputs``: ``{service id: evidence}`` of the services catalog rewrote; ``seen``: ids of the services
    it found unchanged, whose stored evidence still holds (they are scored again: the directory may have
    changed); ``directory``: the ``TeamDirectory`` arguments of this run, when evidence needs scoring."""
    now = timezone.now()
    OwnershipInput.objects.bulk_create(
        [OwnershipInput(service_id=pk, run_id=run_id, evidence=evidence, inferred=None, updated_at=now)
         for pk, evidence in inputs.items()],
        update_conflicts=True, unique_fields=["service"],
        update_fields=["run_id", "evidence", "inferred", "updated_at"])
    OwnershipInput.objects.filter(service_id__in=list(seen)).update(run_id=run_id)
    if directory is not None:
        TeamDirectoryInput.objects.exclude(run_id=run_id).delete()
        TeamDirectoryInput.objects.update_or_create(run_id=run_id, defaults={"data": directory})


def _evidence_with_owner(evidence: list, repo: str | None, inferred: dict, learned: dict | None = None,
                         adapted: str = "") -> list:
    """The service's evidence with one "ownership" entry: the learned owner when it holds, else what inference
    found, with the tenant's adapted weights when they differ from the defaults."""
    kept = [e for e in evidence or [] if e.get("rule") != "ownership"]
    facts = [repo] if repo else []
    if learned:
        kept.append({"rule": "ownership", "facts": facts, "confidence": learned["confidence"],
                     "detail": learning.describe(learned), "learned": learned})
    elif inferred.get("owner"):
        detail = f"owner {inferred['owner']} ({inferred['status']}) mainly from {inferred['source']}"
        kept.append({"rule": "ownership", "facts": facts, "confidence": inferred["confidence"],
                     "detail": f"{detail}; {adapted}" if adapted else detail})
    return kept


# --- the step ----------------------------------------------------------------------------------------


def _teams():
    teams = {t.slug: t for t in Team.objects.all()}

    def team(slug: str | None) -> Team | None:
        """A team by slug; an owner name no GitHub team has (a tag's) becomes an inferred team."""
        if not slug:
            return None
        if slug not in teams:
            teams[slug] = Team.objects.create(slug=slug, name=slug.replace("-", " ").title(), source="inferred")
        return teams[slug]

    return team


@transaction.atomic
def infer(run_id) -> dict:
    """Score and write the owner of every service reconcile run ``run_id`` claimed. Returns counts.

    As when reconcile rewrites only what changed, a service whose inferred (and learned) owner is what it was
    last time keeps the owner it has (a correction that propagated to it since included)."""
    rows = list(OwnershipInput.objects.filter(run_id=run_id).order_by("service_id"))
    saved = TeamDirectoryInput.objects.filter(run_id=run_id).first()
    directory = TeamDirectory.from_data(saved.data if saved else None)
    services = (Service.objects.select_for_update(of=("self",)).select_related("owner")
                .in_bulk([r.service_id for r in rows]))
    team = _teams()
    adapted, learner = weights.current(), learning.Learner.from_db()  # once per step: the corrections so far
    tuned, note = adapted.changed(), adapted.explain()
    stats = {"inferred": 0, "owners_changed": 0}
    events, decided = [], []
    for row in rows:
        service = services.get(row.service_id)
        if service is None:
            continue
        inferred = score(row.evidence, directory, adapted.weights)
        locked = service.locked_fields or {}
        learned = None if "owner" in locked or service.hidden else learner.owner_for(service, row.evidence)
        stats["inferred"] += 1
        # what decides the owner, compared with last time's; weights/learned only when there are any
        decision = {**inferred, **({"weights": tuned} if tuned else {}), **({"learned": learned} if learned else {})}
        if row.inferred == decision:
            continue
        row.inferred = decision
        decided.append(row)
        fields = [*OWNER_FIELDS, "confidence", "evidence"]
        stored = _columns(service, fields)
        before = service.owner.slug if service.owner_id else None
        owner, confidence, status, source = effective_owner(inferred, locked, learned)
        service.owner = team(owner)
        service.owner_confidence, service.ownership_status, service.owner_source = confidence, status, source
        service.runner_up = team(inferred.get("runner_up"))
        service.runner_up_score = round(float(inferred.get("runner_up_score") or 0.0), 3)
        service.owner_candidates = list(inferred.get("candidates") or [])[:10]
        composite = composite_confidence(row.evidence.get("confidence") or {}, inferred)
        if composite is not None:
            service.confidence = composite
        signals = row.evidence.get("signals") or {}
        service.evidence = _evidence_with_owner(service.evidence, signals.get("repo"), inferred,
                                                learned if source == CORRECTION_LEARNED else None, note)
        if _columns(service, fields) != stored:  # an owner that did not change is not rewritten
            service.save(update_fields=[*fields, "updated_at"])
        after = service.owner.slug if service.owner_id else None
        if after != before:
            stats["owners_changed"] += 1
            events.append(DiscoveryEvent(run_id=run_id, service=service, service_name=service.name,
                                         event_type="ownership_changed", field="owner", old_value=before,
                                         new_value=after, confidence=service.owner_confidence,
                                         reason=service.owner_source))
    DiscoveryEvent.objects.bulk_create(events)
    OwnershipInput.objects.bulk_update(decided, ["inferred"], batch_size=1000)
    return stats


def _columns(service: Service, fields: list[str]) -> dict:
    return {f: getattr(service, Service._meta.get_field(f).attname) for f in fields}
