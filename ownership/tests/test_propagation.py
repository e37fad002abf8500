"""Corrections override inference and survive re-discovery; owner corrections teach similar services."""
from types import SimpleNamespace

from catalog.reconcile import ResourceClaim, ServiceDraft
from catalog.tests.test_reconcile import company, run
from ownership.propagation import apply_corrections, propagate, similar_services


def draft(name, owner=None, status="unowned", confidence=0.0, tags=(), owner_tags=(), resources=()):
    return ServiceDraft(key="svc:" + name, name=name, owner=owner, ownership_status=status, owner_confidence=confidence,
                        tags=list(tags), owner_tags=list(owner_tags),
                        resources=[ResourceClaim(r, "lambda_function", r, "1", "us-east-1", "x", 0.6) for r in resources])


def catalog():
    return [draft("payment-api"), draft("payment-webhook", "risk", "owned", 0.55), draft("payments-ledger", "risk", "ambiguous", 0.6),
            draft("payment-gateway", "risk", "owned", 0.95),          # strongly inferred: left alone
            draft("fraud-scorer", tags=["checkout"]),                 # shares a repository topic
            draft("cert-rotator", owner_tags=["pay-team"]),           # shares an owner-tag value
            draft("search-hub", tags=["search"]), draft("api-gateway")]  # unrelated; "api" is too generic a word


def test_propagation_reaches_services_sharing_a_pattern_and_counts_them():
    drafts = catalog()
    drafts[0].tags, drafts[0].owner_tags = ["checkout"], ["pay-team"]
    proposals = propagate({"service_key": "svc:payment-api", "field": "owner", "new_value": "payments"}, drafts)
    assert [(k, o, c) for k, o, c, _ in proposals] == [
        ("svc:cert-rotator", "payments", 0.85), ("svc:fraud-scorer", "payments", 0.85),
        ("svc:payment-webhook", "payments", 0.85), ("svc:payments-ledger", "payments", 0.85)]
    assert "payment-" in dict((k, r) for k, _, _, r in proposals)["svc:payment-webhook"]


def test_propagation_never_overrides_another_correction():
    drafts = apply_corrections(catalog(), [{"service_key": "svc:payment-webhook", "field": "owner", "new_value": "risk"}])
    proposals = propagate({"service_key": "svc:payment-api", "field": "owner", "new_value": "payments"}, drafts)
    assert [k for k, *_ in proposals] == ["svc:payments-ledger"]


def test_apply_corrections_overrides_inference_and_propagates():
    corrections = [{"service_key": "svc:payment-webhook", "field": "owner", "new_value": "risk"},
                   {"service_key": "svc:payment-api", "field": "owner", "new_value": "payments"}]
    out = {d.key: d for d in apply_corrections(catalog(), corrections)}
    assert (out["svc:payment-api"].owner, out["svc:payment-api"].owner_confidence, out["svc:payment-api"].owner_source) \
        == ("payments", 1.0, "user_correction")
    assert out["svc:payment-webhook"].owner == "risk" and out["svc:payment-webhook"].corrected_fields == ["owner"]
    assert (out["svc:payments-ledger"].owner, out["svc:payments-ledger"].owner_confidence,
            out["svc:payments-ledger"].owner_source) == ("payments", 0.85, "correction_propagation")
    assert out["svc:payment-gateway"].owner == "risk"


def test_every_correction_field():
    drafts = [draft("a", resources=["arn:a1", "arn:a2"]), draft("b", resources=["arn:b1"]), draft("c"), draft("d")]
    out = apply_corrections(drafts, [
        {"service_key": "svc:a", "field": "repo", "new_value": "acme/a-repo"},
        {"service_key": "svc:a", "field": "lifecycle", "new_value": "deprecated"},
        {"service_key": "svc:a", "field": "tier", "new_value": "critical"},
        {"service_key": "svc:a", "field": "split_resources", "new_value": {"name": "a-worker", "resources": ["arn:a2"]}},
        {"service_key": "svc:b", "field": "merge_into", "new_value": "svc:a"},
        {"service_key": "svc:c", "field": "name", "new_value": "charlie"},
        {"service_key": "svc:d", "field": "not_a_service", "new_value": True}])
    by = {d.name: d for d in out}
    assert set(by) == {"a", "a-worker", "charlie"}
    a = by["a"]
    assert (a.repo, a.repo_rule, a.repo_confidence, a.lifecycle, a.tier) == ("acme/a-repo", "user_correction", 1.0,
                                                                           "deprecated", "critical")
    assert [r.external_id for r in a.resources] == ["arn:a1", "arn:b1"] and "b" in a.aliases
    assert [r.external_id for r in by["a-worker"].resources] == ["arn:a2"]
    assert by["charlie"].key == "svc:c" and by["charlie"].aliases == ["c"]


def test_corrections_survive_rediscovery():
    sc = company(prod={"lambdas": [{"name": "cert-rotator", "tags": {"team": "sre"}}, {"name": "log-shipper"}]})
    corrections = [{"service_key": "svc:cert-rotator", "field": "owner", "new_value": "platform"},
                   {"service_key": "svc:log-shipper", "field": "not_a_service", "new_value": True}]
    for _ in range(2):
        result = run(sc, corrections=corrections)
        (svc,) = result.services
        assert (svc.name, svc.owner, svc.owner_confidence, svc.corrected_fields) == ("cert-rotator", "platform", 1.0, ["owner"])
        assert result.stats["corrections_applied"] == 1


def test_similar_services_works_on_catalog_entries_too():
    source = SimpleNamespace(name="payment-api", tags=["checkout"], owner=SimpleNamespace(slug="payments"))
    others = [SimpleNamespace(name=n, tags=t) for n, t in (("payment-worker", []), ("cart", ["checkout"]), ("search", []))]
    assert [s.name for s in similar_services(source, others)] == ["cart", "payment-worker"]
