"""Corrections: one module, one vocabulary. A correction wins over inference at every discovery; an owner
correction teaches services that look like the corrected one."""
from types import SimpleNamespace

import pytest

from ownership.corrections import (
    CORRECTION_LEARNED, CORRECTION_PROPAGATED, PROPAGATED_CONFIDENCE, USER_CORRECTION, effective_owner, similar_services, similarity,
)


def entry(name, tags=(), owner_tags=(), owner=None):
    return SimpleNamespace(name=name, tags=list(tags), owner_tags=list(owner_tags),
                           owner=SimpleNamespace(slug=owner) if owner else None)


def test_similar_services_share_a_specific_first_word_an_owner_tag_or_a_topic():
    source = entry("payment-api", tags=["checkout"], owner_tags=["pay-team"], owner="payments")
    others = [entry("payment-webhook"), entry("payments-ledger"), entry("fraud-scorer", tags=["checkout"]),
              entry("cert-rotator", owner_tags=["pay-team"]), entry("search-hub", tags=["search"]),
              entry("api-gateway")]  # "api" is too generic a word to say anything
    assert [s.name for s in similar_services(source, others)] == [
        "cert-rotator", "fraud-scorer", "payment-webhook", "payments-ledger"]
    assert "payment-" in similarity(source, others[0])
    assert similarity(source, others[3]) == "owner tag 'pay-team' like payment-api"


def test_a_topic_named_like_the_new_owner_says_nothing():
    source = entry("ledger", tags=["payments"])
    assert similarity(source, entry("cart", tags=["payments"]), owner="payments") is None
    assert similarity(source, entry("cart", tags=["payments"]), owner="risk") == (
        "repository topic 'payments' like ledger")


def test_similar_services_works_on_catalog_entries_too():
    source = SimpleNamespace(name="payment-api", tags=["checkout"], owner=SimpleNamespace(slug="payments"))
    others = [SimpleNamespace(name=n, tags=t) for n, t in (("payment-worker", []), ("cart", ["checkout"]), ("search", []))]
    assert [s.name for s in similar_services(source, others)] == ["cart", "payment-worker"]


INFERRED = {"owner": "risk", "confidence": 0.61234, "status": "owned", "source": "codeowners"}


@pytest.mark.parametrize("locked, expected", [
    ({}, ("risk", 0.612, "owned", "codeowners")),
    ({"owner": "payments"}, ("payments", 1.0, "owned", USER_CORRECTION)),
    ({"owner": None}, (None, 1.0, "unowned", USER_CORRECTION)),  # corrected to "nobody owns it"
    ({"owner_propagated": {"team": "payments", "confidence": PROPAGATED_CONFIDENCE}},
     ("payments", PROPAGATED_CONFIDENCE, "owned", CORRECTION_PROPAGATED)),
    ({"owner": "data", "owner_propagated": {"team": "payments", "confidence": PROPAGATED_CONFIDENCE}},
     ("data", 1.0, "owned", USER_CORRECTION)),
])
def test_effective_owner_lets_corrections_win(locked, expected):
    assert effective_owner(INFERRED, locked) == expected


def test_a_propagated_owner_yields_to_inference_that_is_at_least_as_sure():
    sure = {"owner": "risk", "confidence": 0.9, "status": "owned", "source": "codeowners"}
    locked = {"owner_propagated": {"team": "payments", "confidence": PROPAGATED_CONFIDENCE}}
    assert effective_owner(sure, locked) == ("risk", 0.9, "owned", "codeowners")


def test_an_unowned_service_has_no_owner_even_with_a_best_candidate():
    unowned = {"owner": "risk", "confidence": 0.3, "status": "unowned", "source": ""}
    assert effective_owner(unowned, {}) == (None, 0.3, "unowned", "")


LEARNED = {"team": "payments", "confidence": 0.75}


@pytest.mark.parametrize("locked, inferred, expected", [
    ({}, INFERRED, ("payments", 0.75, "owned", CORRECTION_LEARNED)),  # inference (0.61) is less sure
    ({}, {**INFERRED, "confidence": 0.75}, ("risk", 0.75, "owned", "codeowners")),  # as sure: inference
    ({"owner": "data"}, INFERRED, ("data", 1.0, "owned", USER_CORRECTION)),  # a person's correction first
    ({"owner_propagated": {"team": "risk", "confidence": PROPAGATED_CONFIDENCE}}, INFERRED,
     ("risk", PROPAGATED_CONFIDENCE, "owned", CORRECTION_PROPAGATED)),
])
def test_a_learned_owner_holds_only_below_corrections_and_surer_inference(locked, inferred, expected):
    assert effective_owner(inferred, locked, LEARNED) == expected
