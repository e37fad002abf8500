"""Each tenant's signal weights adapt to its owner corrections: the signal that chose the wrong owner loses
weight, the signals that pointed at the corrected team gain, within bounds, explained in the evidence,
derived from the stored corrections (deleting one undoes it) and reset by editors, audited."""
import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.testing import token_for
from audit.models import AuditEvent
from catalog.models import Service, Team
from ownership import inference, weights
from ownership.corrections import correct
from ownership.models import Correction, WeightsReset
from ownership.scoring import WEIGHTS
from ownership.tests.test_inference import DIRECTORY, hand_over, new_run

URL, RESET = "/api/v1/ownership/weights/", "/api/v1/ownership/weights/reset/"
INFERRED = {"owner": "risk", "status": "owned", "source": "tags", "candidates": [
    {"team": "risk", "signals": {"tags": 1.0, "permissions": 1.0}},
    {"team": "payments", "signals": {"commits": 1.0, "catalog_info": 0.0}}]}


def test_a_correction_blames_the_winning_signal_and_credits_the_ones_that_pointed_at_the_team():
    assert weights.at_correction(INFERRED, "payments") == {"wrong": "tags", "right": ["commits"], "inferred": "risk"}
    assert weights.at_correction(INFERRED, "risk") == {}  # inference was right: nothing to learn
    assert weights.at_correction(INFERRED, None) == {"wrong": "tags", "right": [], "inferred": "risk"}
    unowned = {**INFERRED, "owner": None, "status": "unowned", "source": ""}
    assert weights.at_correction(unowned, "payments") == {"wrong": None, "right": ["commits"], "inferred": None}


def test_weights_move_by_a_step_per_net_correction_and_stay_within_bounds():
    one = weights.adapt([{"wrong": "tags", "right": ["commits", "permissions"]}])
    assert one.weights == {**WEIGHTS, "tags": 0.18, "commits": 0.275, "permissions": 0.165}
    assert one.counts["tags"] == {"raised": 0, "lowered": 1} and one.corrections == 1
    assert one.explain() == "weights adapted from 1 correction: commits 0.25->0.275, tags 0.2->0.18, permissions 0.15->0.165"
    many = weights.adapt([{"wrong": "tags", "right": ["commits"]}] * 12)
    assert many.weights["tags"] == WEIGHTS["tags"] * 0.5 and many.weights["commits"] == WEIGHTS["commits"] * 1.5
    assert many.weights["codeowners"] == WEIGHTS["codeowners"] and many.corrections == 12
    back = weights.adapt([{"wrong": "tags", "right": []}, {"wrong": "commits", "right": ["tags"]}])
    assert back.weights["tags"] == WEIGHTS["tags"] and back.counts["tags"] == {"raised": 1, "lowered": 1}
    assert weights.adapt([{}]).changed() == {} and weights.adapt([]).explain() == ""


# --- in a tenant ----------------------------------------------------------------------------------------------

def split(tag):
    """A stale owner tag and an admin grant say risk, the commits say payments: risk wins, mainly from its tag
    (spelled differently per service, so that no service learns from another's correction by its tag)."""
    return {"signals": {"repo": None, "tags": [{"team": tag}], "permissions": [["risk", "admin"]],
                        "commit_authors": {"alice": 5}}}


@pytest.fixture
def split_services(workspace):
    for slug in ("payments", "risk"):
        Team.objects.create(slug=slug, name=slug.title())
    made = [Service.objects.create(key=f"svc:{n}", name=n) for n in ("card-vault", "search-indexer", "fraud-scorer")]
    run_id = new_run(workspace)
    hand_over(run_id, {s.pk: split(tag) for s, tag in zip(made, ("risk", "team-risk", "risk-team"))},
              directory=DIRECTORY)
    inference.infer(run_id)
    return made


def rescore(workspace, services):
    run_id = new_run(workspace)
    hand_over(run_id, {}, seen=[s.pk for s in services], directory=DIRECTORY)
    inference.infer(run_id)
    return {s.name: Service.objects.get(pk=s.pk) for s in services}


def test_a_correction_adapts_the_weights_the_next_discovery_scores_with(split_services, workspace):
    vault, indexer, scorer = split_services
    before = {c["team"]: c["score"] for c in Service.objects.get(pk=indexer.pk).owner_candidates}
    assert Service.objects.get(pk=indexer.pk).owner_source == "tags"
    correction = correct(vault, "owner", "payments", user="dana", reason="the tag is stale")["correction"]
    assert correction.signals == {"wrong": "tags", "right": ["commits"], "inferred": "risk"}
    after = rescore(workspace, [indexer, scorer])["search-indexer"]
    scores = {c["team"]: c["score"] for c in after.owner_candidates}
    assert scores["payments"] > before["payments"] and scores["risk"] < before["risk"]
    (entry,) = [e for e in after.evidence if e["rule"] == "ownership"]
    assert entry["detail"].endswith("weights adapted from 1 correction: commits 0.25->0.275, tags 0.2->0.18")


def test_correcting_back_or_deleting_a_correction_undoes_its_weight(split_services):
    vault = split_services[0]
    correct(vault, "owner", "payments", user="dana")
    assert weights.current().changed() == {"commits": 0.275, "tags": 0.18}
    correct(Service.objects.get(pk=vault.pk), "owner", "risk", user="dana")  # back to what inference found
    assert weights.current().changed() == {}
    Correction.objects.filter(new_value="risk").delete()  # the earlier correction counts again ...
    assert weights.current().corrections == 1
    Correction.objects.all().delete()  # ... until it is gone too
    assert weights.current().changed() == {}


@pytest.fixture
def client_as(in_alpha):
    def make(role):
        client = APIClient(HTTP_HOST="alpha.localhost")
        client.credentials(HTTP_AUTHORIZATION="Token " + token_for(get_user_model().objects.create_user(f"w-{role}"), role))
        return client
    return make


def test_viewers_read_the_weights_and_editors_reset_them(split_services, client_as):
    correct(split_services[0], "owner", "payments", user="dana")
    correct(split_services[2], "owner", "payments", user="eve")
    viewer, editor = client_as("viewer"), client_as("editor")
    body = viewer.get(URL).json()
    assert body["defaults"] == WEIGHTS and body["corrections"] == 2 and body["bounds"] == [0.5, 1.5]
    assert body["weights"]["tags"] == 0.16 and body["weights"]["commits"] == 0.3
    assert body["counts"]["tags"] == {"raised": 0, "lowered": 2} and body["counts"]["commits"] == {"raised": 2, "lowered": 0}

    refused = viewer.post(RESET, {"reason": "try"}, format="json")
    assert refused.status_code == 403 and not WeightsReset.objects.exists()
    assert editor.post(RESET, {}, format="json").status_code == 400  # why is required
    done = editor.post(RESET, {"reason": "reorg: old corrections no longer apply"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["weights"] == WEIGHTS and done.json()["corrections"] == 0 and done.json()["reset_at"]
    assert viewer.get(URL).json()["weights"] == WEIGHTS
    event = AuditEvent.objects.get(action="ownership.weights_reset")
    assert event.actor == "w-editor" and event.data["reason"] == "reorg: old corrections no longer apply"
    assert event.data["before"] == {"commits": 0.3, "tags": 0.16} and event.data["corrections"] == 2
    # corrections stay (they still lock and teach); new ones move the weights again
    assert Correction.objects.count() == 2
    correct(split_services[1], "owner", "payments", user="dana")
    assert weights.current().changed() == {"commits": 0.275, "tags": 0.18}
