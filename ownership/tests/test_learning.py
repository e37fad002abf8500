"""Corrections that teach: a service discovered after an owner correction, that looks like the corrected one,
learns its owner at the ownership step of its discovery, while inference is less sure and never over a
person's own correction of it."""
import uuid

import pytest

from catalog import sync
from catalog.models import Service, Team
from catalog.reconcile import reconcile
from catalog.tests.test_reconcile import company
from discovery.models import Run
from ownership import inference, learning
from ownership.corrections import CORRECTION_LEARNED, USER_CORRECTION, correct
from ownership.models import Correction
from ownership.tests.test_inference import DIRECTORY, SIGNALS, hand_over, new_run
from peers.simulate import facts_from_scenario

TEAMS = [{"slug": "payments", "members": []}, {"slug": "billing", "members": []}]


def lambdas(*names):
    # each payment function carries a stale owner tag: inference alone says billing (tags only, modest confidence)
    return company(prod={"lambdas": [{"name": n, "tags": {"team": "search" if n.startswith("search") else "billing"}}
                                     for n in names]}, teams=TEAMS)


def discover(workspace, scenario) -> dict:
    """A discovery's catalog and ownership steps, as catalog.actions and ownership.tasks run them."""
    facts, links = facts_from_scenario(scenario)
    run = Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, selection_hash=uuid.uuid4().hex)
    sync.sync_teams(facts, links)
    sync.apply(reconcile(facts, links, existing=sync.existing_inputs()), run=run)
    return inference.infer(run.pk)


def owner(name):
    service = Service.objects.select_related("owner").get(name=name)
    return service.owner.slug if service.owner_id else None, service.owner_source, service.owner_confidence


def test_a_correction_teaches_a_service_discovered_later(workspace):
    discover(workspace, lambdas("payment-api", "search-indexer"))
    assert owner("payment-api")[:2] == ("billing", "tags")
    result = correct(Service.objects.get(name="payment-api"), "owner", "payments", user="dana", reason="reorg")
    assert result["propagated"] == 0  # nothing like it exists yet
    discover(workspace, lambdas("payment-api", "search-indexer", "payment-refunds"))
    refunds = Service.objects.get(name="payment-refunds")
    assert refunds.created_at > result["correction"].created_at  # discovered after the correction
    assert owner("payment-refunds") == ("payments", CORRECTION_LEARNED, 0.75)
    (entry,) = [e for e in refunds.evidence if e["rule"] == "ownership"]
    assert entry["detail"].startswith("owner payments learned from 1 correction by dana (name starts with 'payment-'")
    assert owner("search-indexer")[:2] == ("search", "tags")  # looks like nothing corrected
    assert owner("payment-api") == ("payments", USER_CORRECTION, 1.0)


def test_more_corrections_teach_more_surely_and_name_their_people(workspace):
    discover(workspace, lambdas("payment-api", "payment-ledger"))
    correct(Service.objects.get(name="payment-api"), "owner", "payments", user="dana")
    correct(Service.objects.get(name="payment-ledger"), "owner", "payments", user="eve")
    discover(workspace, lambdas("payment-api", "payment-ledger", "payment-refunds"))
    assert owner("payment-refunds") == ("payments", CORRECTION_LEARNED, 0.8)
    detail = [e for e in Service.objects.get(name="payment-refunds").evidence if e["rule"] == "ownership"][0]["detail"]
    assert "learned from 2 corrections by dana, eve" in detail


def test_a_persons_correction_is_never_overridden_by_a_learned_owner(workspace):
    discover(workspace, lambdas("payment-api", "payment-ledger"))
    correct(Service.objects.get(name="payment-api"), "owner", "payments", user="dana")
    # the similar service was given payments by propagation; a person says otherwise
    correct(Service.objects.get(name="payment-ledger"), "owner", "billing", user="eve")
    Service.objects.update(fingerprint="stale")  # force reconcile to rewrite both and hand them over again
    discover(workspace, lambdas("payment-api", "payment-ledger"))
    assert owner("payment-ledger") == ("billing", USER_CORRECTION, 1.0)
    assert owner("payment-api") == ("payments", USER_CORRECTION, 1.0)  # eve's correction looks like it, too


def test_disagreeing_corrections_teach_nothing_sure_enough(workspace):
    discover(workspace, lambdas("payment-api", "payment-ledger"))
    correct(Service.objects.get(name="payment-api"), "owner", "payments", user="dana")
    correct(Service.objects.get(name="payment-ledger"), "owner", "billing", user="eve")
    discover(workspace, lambdas("payment-api", "payment-ledger", "payment-refunds"))
    assert owner("payment-refunds")[:2] == ("billing", "tags")  # one each: inference decides


# --- against inference that knows better ----------------------------------------------------------------------


@pytest.fixture
def teams(workspace):
    return {slug: Team.objects.create(slug=slug, name=slug.title()) for slug in ("payments", "risk")}


def test_a_surer_inferred_owner_beats_a_learned_one(teams, workspace):
    corrected = Service.objects.create(key="svc:ledger-api", name="ledger-api")
    correct(corrected, "owner", "risk", user="dana")
    sure = Service.objects.create(key="svc:ledger-worker", name="ledger-worker")   # CODEOWNERS, commits...
    weak = Service.objects.create(key="svc:ledger-cron", name="ledger-cron")       # one stale tag
    run_id = new_run(workspace)
    hand_over(run_id, {sure.pk: {"signals": SIGNALS}, weak.pk: {"signals": {"tags": [{"team": "payments"}]}}},
              directory=DIRECTORY)
    inference.infer(run_id)
    assert owner("ledger-worker") == ("payments", "codeowners", 0.9)  # 0.90 > 0.75 learned
    assert owner("ledger-cron") == ("risk", CORRECTION_LEARNED, 0.75)  # tags alone: 0.65 < 0.75
    # the learned owner is re-decided at every step: once inference is surer, it yields
    second = new_run(workspace)
    hand_over(second, {weak.pk: {"signals": SIGNALS}}, seen=[sure.pk], directory=DIRECTORY)
    inference.infer(second)
    assert owner("ledger-cron") == ("payments", "codeowners", 0.9)


def test_only_the_latest_correction_of_a_service_teaches_and_only_to_an_existing_team(teams, workspace):
    corrected = Service.objects.create(key="svc:ledger-api", name="ledger-api")
    correct(corrected, "owner", "risk", user="dana")
    correct(Service.objects.get(pk=corrected.pk), "owner", "payments", user="eve")
    target = Service.objects.create(key="svc:ledger-cron", name="ledger-cron")
    assert learning.Learner.from_db().owner_for(target)["team"] == "payments"
    correct(Service.objects.get(pk=corrected.pk), "owner", None, user="eve")  # nobody owns it: teaches no team
    assert learning.Learner.from_db().owner_for(target) is None
    Correction.objects.filter(user="eve").delete()
    assert learning.Learner.from_db().owner_for(target)["users"] == ["dana"]
    teams["risk"].delete()
    assert learning.Learner.from_db().owner_for(target) is None


def test_owner_tags_and_topics_teach_like_names(teams, workspace):
    corrected = Service.objects.create(key="svc:a", name="alpha", tags=["checkout"])
    run_id = new_run(workspace)
    hand_over(run_id, {corrected.pk: {"signals": {"tags": [{"owner": "pay-squad"}]}}}, directory=DIRECTORY)
    inference.infer(run_id)
    correction = correct(Service.objects.get(pk=corrected.pk), "owner", "risk", user="dana")["correction"]
    assert correction.pattern == {"name": "alpha", "tags": ["checkout"], "owner_tags": ["pay-squad"]}
    learner = learning.Learner.from_db()
    by_tag = learner.owner_for(Service(name="zeta"), {"signals": {"tags": [{"owner": "pay-squad"}]}})
    assert (by_tag["team"], by_tag["why"]) == ("risk", "owner tag 'pay-squad' like alpha")
    assert learner.owner_for(Service(name="omega", tags=["checkout"]))["why"] == "repository topic 'checkout' like alpha"
    assert learner.owner_for(Service(name="omega", tags=["billing"])) is None
