"""The ownership step: what catalog handed over about each service is scored, corrections win, and only
owners that change are written, with a discovery event."""
import uuid

import pytest

from catalog.models import DiscoveryEvent, Service, Team
from catalog.sync import owners_to_infer
from catalog.tests.test_reconcile import company, run
from discovery.models import Run
from catalog.naming import TeamDirectory
from ownership import inference, signals
from ownership.models import OwnershipInput, TeamDirectoryInput

DIRECTORY = {
    "teams": [{"slug": "payments", "name": "Payments", "parent": None, "members": ["alice", "bob"]},
              {"slug": "risk", "name": "Risk", "parent": None, "members": ["carol"]}],
    "members": [{"login": "alice", "email": "alice@acme.test"}, {"login": "carol", "email": "carol@acme.test"}],
    "memberships": [["dan", "risk"]],
}
SIGNALS = {
    "repo": "github:repo/acme/ledger",
    "codeowners": {"path": ".github/CODEOWNERS", "rules": [{"pattern": "*", "owners": ["alice@acme.test"], "order": 0}]},
    "folder_keys": ["ledger"],
    "catalog_info": [],
    "commit_authors": {"alice": 9, "carol": 1},
    "permissions": [["payments", "push"], ["payments", "admin"], ["risk", "triage"]],  # the strongest grant counts
    "tags": [{"team": "payments"}, {"owner": "risk"}],
}
CONFIDENCE = {"parts": [[0.4, 0.9], [0.3, "owner"], [0.3, 0.8]]}


def test_raw_evidence_is_scored_by_the_ownership_model():
    directory = TeamDirectory.from_data(DIRECTORY)
    got = signals.owner_signals(SIGNALS, directory)
    assert got.codeowners == {"payments": 1.0} and got.permissions == {"payments": "admin", "risk": "triage"}
    assert got.commits == {"payments": 9.0, "risk": 1.0} and got.tags == {"payments": 1.0, "risk": 1.0}
    inferred = signals.score({"signals": SIGNALS}, directory)
    assert (inferred["owner"], inferred["status"], inferred["source"], inferred["runner_up"]) == (
        "payments", "owned", "codeowners", "risk")
    assert [c["team"] for c in inferred["candidates"]] == ["payments", "risk"]
    assert signals.score({"signals": {}}, directory)["status"] == "unowned"


def test_in_memory_inference_of_a_reconcile_result():
    sc = company(prod={"lambdas": [{"name": "cert-rotator", "tags": {"team": "sre"}}, {"name": "log-shipper"}]},
                 teams=[{"slug": "sre"}])
    owners = signals.infer_drafts(run(sc))
    assert {k: (v["owner"], v["status"], v["confidence"], v["service_confidence"]) for k, v in owners.items()} == {
        "svc:cert-rotator": ("sre", "owned", 0.65, 0.62),  # tags alone: modest confidence
        "svc:log-shipper": (None, "unowned", 0.0, 0.6)}


def test_membership_links_count_like_team_members():
    directory = TeamDirectory.from_data(DIRECTORY)
    assert directory.teams_of_user("dan") == ("risk",)


def test_the_owner_joins_the_composite_confidence_with_catalogs_weights():
    assert signals.composite_confidence(CONFIDENCE, {"owner": "payments", "confidence": 0.6}) == 0.78
    assert signals.composite_confidence(CONFIDENCE, {"owner": None, "confidence": 0.0}) == 0.86
    assert signals.composite_confidence({}, {"owner": "payments", "confidence": 0.6}) is None


@pytest.fixture
def services(workspace):
    Team.objects.create(slug="payments", name="Payments")
    return [Service.objects.create(key=f"svc:{name}", name=name, confidence=0.5,
                                   evidence=[{"rule": "tag", "facts": [], "confidence": 0.8, "detail": "x"}])
            for name in ("ledger", "cart")]


def new_run(workspace):
    return Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, selection_hash=uuid.uuid4().hex).pk


def hand_over(run_id, inputs, seen=(), directory=None):
    owners_to_infer.send(sender=Service, run_id=run_id, inputs=inputs, seen=list(seen), directory=directory)


def test_scored_evidence_sets_owner_confidence_and_its_evidence(services, workspace):
    ledger, _ = services
    run_id = new_run(workspace)
    hand_over(run_id, {ledger.pk: {"signals": SIGNALS, "confidence": CONFIDENCE}}, directory=DIRECTORY)
    assert inference.infer(run_id) == {"inferred": 1, "owners_changed": 1}
    ledger.refresh_from_db()
    assert (ledger.owner.slug, ledger.ownership_status, ledger.owner_source, ledger.runner_up.slug) == (
        "payments", "owned", "codeowners", "risk")
    assert Team.objects.get(slug="risk").source == "inferred"  # named by a tag, no GitHub team row yet
    # by hand: every signal is there (weight 0.40 + 0.25 + 0.20 + 0.15 = 1.0, full support), and payments has
    # codeowners 1.0, commits 0.81 / 0.82 (9:1, squared), tags 0.5, permissions 1.0 (admin):
    # 0.40 + 0.25 * 0.9878 + 0.20 * 0.5 + 0.15 = 0.897 -> 0.90
    assert ledger.owner_confidence == 0.90
    # the service's composite by catalog's parts, the owner's in the middle: 0.4 * 0.9 + 0.3 * 0.90 + 0.3 * 0.8
    assert ledger.confidence == 0.87
    assert [e["rule"] for e in ledger.evidence] == ["tag", "ownership"]
    assert ledger.evidence[-1]["facts"] == ["github:repo/acme/ledger"]
    event = DiscoveryEvent.objects.get(run_id=run_id)
    assert (event.event_type, event.old_value, event.new_value, event.reason) == (
        "ownership_changed", None, "payments", "codeowners")


def test_evidence_naming_nobody_leaves_the_service_unowned_at_its_own_confidence(services, workspace):
    ledger, cart = services
    run_id = new_run(workspace)
    hand_over(run_id, {ledger.pk: {"signals": {"repo": None, "tags": [{}]},
                                   "confidence": {"parts": [[0.4, 0.9], [0.3, "owner"]]}}}, directory=DIRECTORY)
    assert inference.infer(run_id) == {"inferred": 1, "owners_changed": 0}
    ledger.refresh_from_db()
    # no owner: the owner's part drops out of the composite instead of counting as zero
    assert (ledger.owner_id, ledger.ownership_status, ledger.confidence) == (None, "unowned", 0.9)
    assert [e["rule"] for e in ledger.evidence] == ["tag"]
    assert cart.owner_id is None and not OwnershipInput.objects.filter(service=cart).exists()


def test_corrections_win_and_an_unchanged_owner_is_not_rewritten(services, workspace):
    ledger, cart = services
    Service.objects.filter(pk=cart.pk).update(locked_fields={"owner": "payments"})
    first, second = new_run(workspace), new_run(workspace)
    nobody = {"signals": {}, "confidence": {}}
    hand_over(first, {ledger.pk: {"signals": SIGNALS, "confidence": CONFIDENCE}, cart.pk: nobody},
              directory=DIRECTORY)
    inference.infer(first)
    cart.refresh_from_db()
    assert (cart.owner.slug, cart.owner_confidence, cart.owner_source) == ("payments", 1.0, "user_correction")
    stamps = dict(Service.objects.values_list("name", "updated_at"))
    hand_over(second, {}, seen=[ledger.pk, cart.pk], directory=DIRECTORY)  # both unchanged in the next run
    assert inference.infer(second) == {"inferred": 2, "owners_changed": 0}
    assert dict(Service.objects.values_list("name", "updated_at")) == stamps
    assert not DiscoveryEvent.objects.filter(run_id=second).exists()
    assert list(TeamDirectoryInput.objects.values_list("run_id", flat=True)) == [second]  # the latest only


def test_a_propagated_owner_holds_until_the_inferred_owner_changes(services, workspace):
    ledger, _ = services
    risk_codeowners = {"pattern": "*", "owners": ["carol@acme.test"], "order": 0}
    sure = {"signals": {"codeowners": {"path": "CODEOWNERS", "rules": [risk_codeowners]}}}
    first, second, third = new_run(workspace), new_run(workspace), new_run(workspace)
    hand_over(first, {ledger.pk: sure}, directory=DIRECTORY)
    inference.infer(first)
    # a correction of a similar service propagates its owner here (ownership.corrections.propagate_owner)
    Service.objects.filter(pk=ledger.pk).update(
        owner=Team.objects.get(slug="payments"), owner_confidence=0.85, owner_source="correction_propagated",
        locked_fields={"owner_propagated": {"team": "payments", "confidence": 0.85}})
    hand_over(second, {}, seen=[ledger.pk], directory=DIRECTORY)  # nothing changed: the propagated owner stays
    inference.infer(second)
    ledger.refresh_from_db()
    assert (ledger.owner.slug, ledger.owner_source) == ("payments", "correction_propagated")
    surer = {"signals": {**sure["signals"], "commit_authors": {"carol": 12}}}  # CODEOWNERS and commits agree
    hand_over(third, {ledger.pk: surer}, directory=DIRECTORY)  # inference changed and is surer than the propagated owner
    inference.infer(third)
    ledger.refresh_from_db()
    assert (ledger.owner.slug, ledger.owner_source) == ("risk", "codeowners")
