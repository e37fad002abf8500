"""Document building: pure functions of (unsaved) model instances, no database."""
import re
from datetime import datetime, timezone

from catalog.models import Service, Team
from search.documents import (
    normalize, repository_document, repository_key, row_fields, service_document, team_document, tokens,
)
from search.highlight import matches_position

WHEN = datetime(2026, 2, 27, 14, 30, tzinfo=timezone.utc)


def payments_team():
    return Team(slug="payments", name="Payments Team", members=["ana", "bo"], updated_at=WHEN)


def gateway(**fields):
    values = dict(name="payment-gateway", display_name="Payment Gateway", aliases=["pgw"],
                  description="Handles checkout via Stripe. " + "x" * 900, service_type="api", lifecycle="production",
                  tier="critical", tech_stack=["TypeScript", "Node.js"], repo="acme/payment-gateway",
                  repo_url="https://github.com/acme/payment-gateway", health="healthy", tags=["stripe", "checkout"],
                  confidence=0.92, owner_confidence=0.9, regions=["us-east-1"], updated_at=WHEN)
    values.update(fields)
    return Service(**values)


def test_normalize_and_tokens():
    assert normalize("  Order Ledger__Worker! ") == "order-ledger-worker"
    assert normalize("Zahlungs-Gerät") == "zahlungs-gerat"
    assert tokens("payment-gateway v2") == ["payment", "gateway", "v2"]


def test_service_document_follows_the_seed_shape():
    svc = gateway()
    doc = service_document(svc, tenant_id="t_acme", team=payments_team(),
                           resource_kinds=["ecs_service", "rds_instance", "ecs_service", "apigateway_http_api"])
    assert doc["id"] == f"service-{svc.id}" and doc["ref"] == str(svc.id)
    assert doc["tenant_id"] == "t_acme" and doc["kind"] == "service"
    assert doc["team_name"] == "Payments Team" and doc["team_slug"] == "payments"
    assert doc["repo_name"] == "payment-gateway" and doc["language"] == "TypeScript"
    assert doc["aws_services"] == ["apigateway", "ecs", "rds"]
    assert doc["health_status"] == "healthy" and doc["updated_at"] == int(WHEN.timestamp())
    assert len(doc["description"]) == 500


def test_row_fields_weight_names_above_context_above_description():
    row = row_fields(service_document(gateway(), tenant_id="t_acme", team=payments_team()))
    assert row["text_a"] == "payment gateway pgw"
    assert set(row["text_b"].split()) == {"payment", "gateway", "stripe", "checkout", "payments", "team"}
    assert set(row["text_c"].split()) == {"typescript", "node", "js", "payment", "gateway"}  # not the org "acme"
    assert row["text_d"].startswith("handles checkout via stripe")
    assert row["name_norm"] == "payment-gateway" and row["names"] == "payment-gateway pgw"
    assert (row["lifecycle"], row["tier"], row["team"], row["health"]) == ("production", "critical", "payments",
                                                                         "healthy")
    assert row["languages"] == ["TypeScript", "Node.js"]


def test_team_and_repository_documents():
    team = payments_team()
    tdoc = team_document(team, tenant_id="t_acme", services_count=4)
    assert (tdoc["name"], tdoc["display_name"], tdoc["members_count"], tdoc["services_count"]) == (
        "payments", "Payments Team", 2, 4)
    assert row_fields(tdoc)["names"] == "payments payments-team"

    worker = gateway(name="payment-gateway-worker", tech_stack=["Go"], owner=team)
    rdoc = repository_document("acme/payment-gateway", [worker, gateway(owner=team)], tenant_id="t_acme",
                               teams={team.id: team})
    assert rdoc["services"] == ["payment-gateway", "payment-gateway-worker"]
    assert rdoc["tech_stack"] == ["Go", "Node.js", "TypeScript"] and rdoc["team_slug"] == "payments"
    assert row_fields(rdoc)["name_norm"] == "payment-gateway"


def test_repository_keys_are_valid_meilisearch_ids_and_case_insensitive():
    key = repository_key("Acme/Payment_Gateway")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", key)
    assert key == repository_key("acme/payment_gateway") != repository_key("acme/payment-gateway")


def test_matches_position_prefixes_and_typos():
    doc = {"name": "payment-gateway", "display_name": "Payment Gateway", "tags": ["pay", "checkout"],
           "description": "Stripe gateway"}
    found = matches_position(doc, "gate pay")
    assert found["name"] == [{"start": 0, "length": 3}, {"start": 8, "length": 4}]
    assert found["tags"] == [{"start": 0, "length": 3, "indices": [0]}]
    assert found["description"] == [{"start": 7, "length": 4}]
    typo = matches_position(doc, "paymnet")
    assert typo["name"][0]["start"] == 0 and "description" not in typo
    assert matches_position(doc, "zzzz") == {}


def test_words_found_as_typed_are_not_aligned_with_look_alike_names():
    from search.highlight import Highlighter

    doc = {"name": "paymant-router", "team_name": "payments"}
    assert set(Highlighter("payments", fuzzy=True).matches(doc)) == {"name", "team_name"}
    assert Highlighter("payments", fuzzy=False).matches(doc) == {"team_name": [{"start": 0, "length": 8}]}
