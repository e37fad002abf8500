"""The PostgreSQL backend against the real database: ranking, typos, prefixes, filters, facets, isolation."""
import pytest
from django.db import connection

from search import indexing
from search.backends.base import SearchError, SearchQuery
from catalog.models import Service
from search.backends.postgres import PostgresBackend, _next_string, corrected_tsquery, typo_query
from search.tests import factories
from search.tests.conftest import inside

pytestmark = pytest.mark.django_db


def seed():
    payments = factories.team("payments", "Payments Team")
    platform = factories.team("platform", "Platform Team")
    factories.service("payment-gateway", owner=payments, tech_stack=["TypeScript", "Node.js"], tier="critical",
                      repo="acme/payment-gateway", description="Handles checkout via Stripe.", tags=["stripe"],
                      health="healthy")
    factories.service("payment-gateway-worker", owner=payments, tech_stack=["Go"], repo="acme/payment-gateway",
                      description="Retries failed captures.")
    factories.service("order-ledger", owner=platform, tech_stack=["Python"], repo="acme/order-ledger",
                      description="Double-entry ledger of orders.", health="degraded")
    factories.service("legacy-billing", owner=payments, lifecycle="eol", tech_stack=["Java"],
                      description="Old payment billing.")
    factories.service("audit-trail", owner=platform, description="Stores every payment event for auditors.",
                      aliases=["paytrail"], tech_stack=["Python"])
    factories.service("hidden-thing", hidden=True, description="payment")
    indexing.rebuild()


def names(result):
    return [hit["name"] for hit in result["hits"]]


def run(q, **kwargs):
    return PostgresBackend().search(SearchQuery(q=q, **kwargs))


def test_prefix_as_you_type_puts_names_starting_with_the_input_first(alpha):
    with inside(alpha):
        seed()
        assert names(run("pay"))[:2] == ["payment-gateway", "payment-gateway-worker"]
        assert names(run("payment-gateway-w"))[0] == "payment-gateway-worker"
        assert names(run("p"))[:2] == ["payment-gateway", "payment-gateway-worker"]
        assert names(run("order led")) == ["order-ledger"]


def test_exact_name_beats_longer_names_and_aliases_count_as_names(alpha):
    with inside(alpha):
        seed()
        assert names(run("payment-gateway"))[0] == "payment-gateway"
        assert names(run("paytrail"))[0] == "audit-trail"


def test_name_matches_rank_above_description_matches(alpha):
    with inside(alpha):
        seed()
        found = names(run("payment"))
        # audit-trail mentions payment only in its description (and alias prefix), so it comes after the names.
        assert found[:2] == ["payment-gateway", "payment-gateway-worker"]
        assert "audit-trail" in found


def test_one_typo_still_finds_the_service(alpha):
    with inside(alpha):
        seed()
        assert names(run("paymnet-gateway"))[0] == "payment-gateway"
        assert names(run("order-ldeger"))[0] == "order-ledger"
        assert names(run("ordr-ledger"))[0] == "order-ledger"


def test_matches_position_marks_the_typed_prefix_and_typos(alpha):
    with inside(alpha):
        seed()
        hit = run("pay")["hits"][0]
        assert hit["_matchesPosition"]["name"] == [{"start": 0, "length": 3}]
        typo = run("order-ldeger")["hits"][0]
        assert typo["_matchesPosition"]["name"][0] == {"start": 0, "length": 5}
        assert typo["_matchesPosition"]["name"][1]["start"] == 6


def test_eol_is_hidden_unless_asked(alpha):
    with inside(alpha):
        seed()
        assert "legacy-billing" not in names(run("billing"))
        assert names(run("billing", include_eol=True)) == ["legacy-billing"]
        assert names(run("billing", filters={"lifecycle": ("eol",)})) == ["legacy-billing"]


def test_filters_and_facets(alpha):
    with inside(alpha):
        seed()
        result = run("payment")
        assert result["facets"]["team"] == {"payments": 2, "platform": 1}
        assert result["facets"]["language"]["Go"] == 1
        assert result["facets"]["tier"] == {"critical": 1, "standard": 2}
        assert result["estimatedTotalHits"] == 3
        only_go = run("payment", filters={"language": ("go",)})
        assert names(only_go) == ["payment-gateway-worker"]
        assert only_go["facets"]["team"] == {"payments": 1}
        assert names(run("payment", filters={"team": ("platform",)})) == ["audit-trail"]
        assert names(run("payment", filters={"tier": ("critical", "standard"), "team": ("payments",)})) == [
            "payment-gateway", "payment-gateway-worker"]
        assert names(run("ledger", filters={"health": ("degraded",)})) == ["order-ledger"]


def test_hidden_services_are_not_indexed(alpha):
    with inside(alpha):
        seed()
        assert "hidden-thing" not in names(run("hidden"))


def test_teams_and_repositories_are_findable(alpha):
    with inside(alpha):
        seed()
        result = run("payments")
        assert [t["name"] for t in result["teams"]] == ["payments"]
        assert result["teams"][0]["services_count"] == 3
        assert result["teams"][0]["display_name"] == "Payments Team"
        repos = run("payment-gateway")["repositories"]
        assert repos[0]["id"] == "acme/payment-gateway"
        assert repos[0]["services"] == ["payment-gateway", "payment-gateway-worker"]
        assert run("platform team")["teams"][0]["name"] == "platform"


def test_a_query_never_returns_another_tenants_documents(alpha, beta):
    with inside(alpha):
        seed()
        alpha_ids = {h["id"] for h in run("payment", include_eol=True)["hits"]}
    with inside(beta):
        factories.service("payment-gateway", description="beta's own gateway")
        factories.service("beta-only-payment-router")
        indexing.rebuild()
        result = run("payment", include_eol=True)
        assert names(result) == ["payment-gateway", "beta-only-payment-router"]
        assert not {h["id"] for h in result["hits"]} & alpha_ids
        assert result["teams"] == [] and result["facets"]["team"] == {}
    with inside(alpha):
        assert "beta-only-payment-router" not in names(run("beta-only-payment-router"))


def test_searching_outside_a_tenant_is_refused(alpha):
    connection.set_schema_to_public()
    with pytest.raises(SearchError):
        run("payment")


def test_queries_without_words_return_nothing(alpha):
    with inside(alpha):
        seed()
        result = run("  -- ")
        assert result["hits"] == [] and result["estimatedTotalHits"] == 0


def test_descriptions_match_whole_words_and_names_match_prefixes(alpha):
    with inside(alpha):
        seed()
        assert names(run("stores")) == ["audit-trail"]  # a whole description word
        assert names(run("store")) == []  # not a prefix of one ("Stores every payment event")...
        assert names(run("audi"))[0] == "audit-trail"  # ...while names complete as you type
        assert names(run("strip")) == ["payment-gateway"]  # tags are prefix-matched too


def test_typos_in_short_words_and_unknown_words_are_ranked_by_edit_distance(alpha):
    with inside(alpha):
        for name in ("payment-simulator", "payment-tax-simulator", "payment-fx-simulator", "routing-sync-cron",
                     "routing-sync-job"):
            factories.service(name)
        indexing.rebuild()
        found = names(run("payment-atx-simulator"))  # two edits from -tax- (and from -fx-), four from the rest
        assert set(found[:2]) == {"payment-tax-simulator", "payment-fx-simulator"}
        assert found.index("payment-tax-simulator") < found.index("payment-simulator")
        assert names(run("routing-sync-corn"))[0] == "routing-sync-cron"  # "corn" matches nothing at all


def test_a_one_letter_word_narrows_what_the_other_words_find(alpha):
    with inside(alpha):
        seed()
        assert names(run("payment w")) == ["payment-gateway-worker"]
        assert set(names(run("gateway p"))) == {"payment-gateway", "payment-gateway-worker"}


def test_corrected_tsquery_lets_one_word_of_three_or_more_miss():
    corrections = {"paymnet": ["payment", "payments"]}
    assert corrected_tsquery(["paymnet", "gateway"], corrections) == "(paymnet:* | payment | payments) & (gateway:*)"
    assert corrected_tsquery(["a", "gateway", "v2"], {}) == "(gateway:*)"  # short words are left out
    assert corrected_tsquery(["sync", "corn", "routing"], {}) == (
        "((corn:*) & (routing:*)) | ((sync:*) & (routing:*)) | ((sync:*) & (corn:*))")
    assert corrected_tsquery(["ab", "cd"], {}) is None


def test_typo_query_is_strict_first_then_loose():
    typo = typo_query(["tax", "engibe"], {"tax": ["tax"], "engibe": ["engine"]})
    assert typo.strict == "(tax:* | tax) & (engibe:* | engine)"  # every word of 3+ letters, as typed or corrected
    assert typo.checked is None and typo.loose == "(engibe:* | engine)"  # if that finds nothing: the long words
    monitor = typo_query(["fx", "mointor", "ui"], {"mointor": ["monitor"]})
    assert monitor.strict == "(mointor:* | monitor)" and monitor.checked == "fx:* & ui:*"
    assert monitor.loose == "(mointor:* | monitor)"  # the same words, but without the short ones: looser
    assert typo_query(["paymnet", "gateway"], {"paymnet": ["payment"]}).loose is None  # nothing looser to try
    assert typo_query(["ab", "cd"], {}) is None


def test_a_typo_in_one_word_keeps_the_other_words_required(alpha):
    with inside(alpha):
        for name in ("tax-engine", "ledger-tax-engine", "fx-engine", "search-engine", "rules-engine"):
            factories.service(name)
        indexing.rebuild()
        result = run("tax-engibe")
        assert names(result) == ["tax-engine", "ledger-tax-engine"]
        assert result["estimatedTotalHits"] == 2


def test_when_no_service_has_every_word_the_typo_query_loosens(alpha):
    with inside(alpha):
        for name in ("geo-worker", "payment-worker", "ledger-worker-cron"):
            factories.service(name)
        indexing.rebuild()
        found = names(run("xeo-worker"))  # "xeo" is no known word's typo: only "worker" is required
        assert found[0] == "geo-worker" and set(found) == {"geo-worker", "payment-worker", "ledger-worker-cron"}


def test_next_string_bounds_every_string_with_the_prefix():
    assert _next_string("con") == "coo"
    assert _next_string("a-") == "a."
    assert _next_string("ger\u00e4") == "ger\u00e5" and _next_string("a\U0010ffff") == "b"
    assert "con" <= "conz" < _next_string("con") and not ("coo" < _next_string("con"))


def test_statements_name_the_tenant_schema_whatever_the_connection_search_path(alpha, beta):
    """Search statements are prepared once per connection and reused across tenants; each names its
    tenant's tables, so a session search_path left on another tenant (by an earlier ORM query) leaks nothing."""
    with inside(alpha):
        factories.service("alpha-router")
        indexing.rebuild()
    with inside(beta):
        factories.service("beta-router")
        indexing.rebuild()
    with inside(alpha):
        assert Service.objects.filter(name="alpha-router").exists()  # the session's search_path: alpha
        for _ in range(3):
            connection.set_tenant(beta)  # no query runs, so the session still points at alpha
            assert names(run("router")) == ["beta-router"]
            connection.set_tenant(alpha)
            assert names(run("router")) == ["alpha-router"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(generic_plans) FROM pg_prepared_statements "
                           "WHERE statement LIKE %s", ["%search_searchdocument%"])
            prepared, generic = cursor.fetchone()
        assert prepared >= 2 and generic >= 6  # one statement per tenant, run on generic plans
