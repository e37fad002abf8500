"""The scorer (FORMAT.md's rules), the catalog export, and the product metric on every company we have."""
import pytest

from catalog.reconcile import ReconcileResult, ResourceClaim, ServiceDraft
from catalog.tests.test_reconcile import scenario_at
from peers.accuracy import catalog_from_drafts, default_scenarios, evaluate, format_table, score

A = "111111111111"


def truth(*services, excluded=()):
    return {"name": "t", "truth": {"services": [{"aliases": [], "owner": None, "repo": None, "resources": [], **s}
                                                for s in services], "excluded_repos": list(excluded)}}


def entry(name, owner=None, repo=None, resources=()):
    return {"name": name, "owner": owner, "repo": repo,
            "resources": [{"type": t, "name": n, "account": A, "region": "us-east-1"} for t, n in resources]}


def catalog(*entries):
    return {"format": "roster-catalog/1", "tenant": "t", "services": list(entries)}


def test_match_by_normalized_name_alias_or_repository():
    scenario = truth({"name": "payment-api", "aliases": ["pay_api"], "owner": "payments", "repo": "acme/payment-api"},
                     {"name": "ledger", "owner": "finance"}, {"name": "search", "repo": "acme/search-svc"})
    report = score(catalog(entry("Payment_API", "payments", "acme/payment-api"), entry("pay-api-2", "payments", None),
                           entry("ledger", "finance"), entry("search-thing", None, "acme/search-svc"),
                           entry("stray")), scenario)
    assert (report.entries, report.matched) == (5, 3)
    assert report.recall == 1.0 and report.precision == 0.6
    assert report.unmatched_entries == ["pay-api-2 (repo None)", "stray (repo None)"]
    assert report.duplicates == [] and report.owner_accuracy == 1.0 and report.repo_accuracy == 1.0
    assert report.accuracy == 0.6


def test_an_extra_match_is_a_duplicate_and_the_best_fitting_entry_keeps_the_match():
    scenario = truth({"name": "orders", "aliases": ["order-svc"], "repo": "acme/orders", "owner": "shop",
                      "resources": [f"ecs:{A}/us-east-1/orders"]})
    report = score(catalog(entry("order-svc", "shop"), entry("orders", "shop", "acme/orders", [("ecs_service", "orders")])),
                   scenario)
    assert report.matched == 1 and report.resource_coverage == 1.0
    assert report.duplicates == [{"entry": "order-svc", "of": ["orders"]}]
    assert report.accuracy == 0.5


def test_owner_and_repo_must_both_be_right_and_null_means_none():
    scenario = truth({"name": "a", "owner": None, "repo": None}, {"name": "b", "owner": "x", "repo": "acme/b"},
                     {"name": "c", "owner": "y", "repo": "acme/c"})
    report = score(catalog(entry("a"), entry("b", "z", "acme/b"), entry("c", "y", "acme/other")), scenario)
    assert report.owner_accuracy == round(2 / 3, 4) and report.repo_accuracy == round(2 / 3, 4)
    assert report.accuracy == round(1 / 3, 4)
    assert report.wrong_owners == [{"service": "b", "expected": "x", "got": "z", "status": None}]
    assert report.wrong_repos == [{"service": "c", "expected": "acme/c", "got": "acme/other"}]


def test_resource_coverage_maps_scenario_ref_kinds_to_resource_types():
    refs = [f"stack:{A}/us-east-1/s-prod", f"ecs:{A}/us-east-1/s", f"lambda:{A}/us-east-1/s-fn",
            f"api:{A}/us-east-1/s-api", f"rds:{A}/us-east-1/s-db", f"sqs:{A}/us-east-1/s-q"]
    scenario = truth({"name": "s", "resources": refs})
    got = entry("s", resources=[("cloudformation_stack", "s-prod"), ("ecs_service", "s"), ("lambda_function", "s-fn"),
                                ("apigateway_http_api", "s-api"), ("rds_instance", "s-db")])
    report = score(catalog(got), scenario)
    assert report.resource_coverage == round(5 / 6, 4)
    assert report.missing_resources == [{"service": "s", "resource": f"sqs:{A}/us-east-1/s-q"}]


def test_excluded_repositories_in_the_catalog_are_reported():
    report = score(catalog(entry("old", repo="acme/old")), truth({"name": "x"}, excluded=["acme/old"]))
    assert report.excluded_repo_entries == ["old"] and report.recall == 0.0 and report.accuracy == 0.0


def test_catalog_export_has_the_roster_catalog_shape():
    """The export carries what the ownership step infers from the draft's evidence, and its composite confidence."""
    evidence = {"signals": {"repo": "github:repo/acme/pay", "codeowners": None, "folder_keys": [], "catalog_info": [],
                            "commit_authors": {}, "permissions": [], "tags": [{"team": "payments"}]},
                "confidence": {"parts": [[0.4, 0.9], [0.3, "owner"], [0.3, 1.0]]}}
    draft = ServiceDraft(key="svc:pay", name="pay", repo="acme/pay", repo_confidence=1.0, confidence=0.94,
                         sources=["ecs_service"], owner_evidence=evidence,
                         resources=[ResourceClaim("arn:aws:ecs:us-east-1:1:service/prod/pay", "ecs_service", "pay", "1",
                                                  "us-east-1", "ecs_service", 0.9)])
    directory = {"teams": [{"slug": "payments", "name": "Payments", "parent": None, "members": []}],
                 "members": [], "memberships": []}
    out = catalog_from_drafts(ReconcileResult(services=[draft], excluded=[], directory=directory), "acme")
    assert out["format"] == "roster-catalog/1" and out["tenant"] == "acme"
    (svc,) = out["services"]
    # tags alone: the owner is certain (1.0) but thinly supported, so its confidence is discounted
    owner_confidence = svc["owner_confidence"]
    assert 0.5 < owner_confidence < 0.7
    assert {k: svc[k] for k in ("name", "owner", "ownership_status", "owner_source", "repo", "lifecycle")} \
        == {"name": "pay", "owner": "payments", "ownership_status": "owned", "owner_source": "tags",
            "repo": "acme/pay", "lifecycle": "production"}
    assert svc["confidence"] == round((0.4 * 0.9 + 0.3 * owner_confidence + 0.3 * 1.0) / 1.0, 2)
    assert svc["resources"][0] == {"type": "ecs_service", "name": "pay", "account": "1", "region": "us-east-1",
                                        "arn": "arn:aws:ecs:us-east-1:1:service/prod/pay", "rule": "ecs_service",
                                        "confidence": 0.9}


# --- the product metric, on every company we have ----------------------------------------------------------
@pytest.mark.parametrize("path", default_scenarios(), ids=lambda p: p.stem)
def test_unseen_style_companies_meet_the_accuracy_bar(path):
    report, row = evaluate(scenario_at(path))
    print("\n" + format_table([row]))
    detail = report.problems()
    assert report.accuracy >= 0.95, detail
    assert report.recall >= 0.97, detail
    assert report.resource_coverage >= 0.95, detail
    assert report.duplicates == [], detail
    assert report.excluded_repo_entries == [], detail
