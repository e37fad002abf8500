"""/roster answered in a tenant: what a question names (service, ARN, resource, repository, team, console
link, typo) and what the answer says; another tenant's catalog is never seen; hostile text is only ever a
value (ORM, search) and comes back escaped."""
import json

import pytest
from django_tenants.utils import tenant_context

from slackbot import answers, lookup
from slackbot.commands import parse

from .catalog_data import LAMBDA, QUEUE, company, service

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(in_alpha, slack_settings):
    return company()


def ask(text: str) -> dict:
    return answers.run(parse(text))


def shown(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_who_owns_a_service_by_name(acme):
    message = ask("who owns payments-api")
    first = message["blocks"][0]["text"]["text"]
    assert f"<https://alpha.localhost/services/{acme['api'].pk}|payments-api>" in first
    assert "is owned by *Payments* (`payments`), 92% confident" in first
    text = shown(message)
    assert "Evidence: CODEOWNERS 100% · commits 72%" in text and "#payments" in text
    assert "payments@example.com" in text


@pytest.mark.parametrize("question, how", [
    (f"who owns {LAMBDA}", "resource"),
    (f"who owns {LAMBDA}:live", "resource"),  # an alias of the function
    (f"who owns {QUEUE}", "resource"),
    ("who owns arn:aws:sqs:eu-west-1:999999999999:payments-settlements", "resource"),  # same name elsewhere
    ("who owns payments-settlements", "resource"),
    ("who owns acme/payments-api", "exact"),  # also the repository, but a service of that name wins
    ("who owns https://github.com/acme/payments-api", "repository"),
    ("who owns payapi", "exact"),  # an alias
    ("who owns paymnts-api", "closest"),  # a typo
    ("payments api", "exact"),  # no verb; spelled out
])
def test_the_many_ways_to_name_a_service(acme, question, how):
    found = lookup.resolve(parse(question).query)
    assert found.kind == "service" and found.service == acme["api"]
    assert found.match == how if how != "exact" else found.match in ("exact", "repository")


def test_a_console_link_names_its_service(acme):
    found = lookup.resolve(f"https://alpha.localhost/services/{acme['web'].pk}")
    assert (found.kind, found.service, found.match) == ("service", acme["web"], "link")


def test_an_ambiguous_owner_is_said_and_the_runner_up_offered(acme):
    first = ask("who owns checkout-web")["blocks"][0]["text"]["text"]
    assert "*ambiguous*" in first and "best guess *Checkout* (55%)" in first and "also *Payments* (50%)" in first


def test_an_unowned_service_offers_its_candidates(acme):
    first = ask("who owns legacy-batch")["blocks"][0]["text"]["text"]
    assert "*no clear owner*" in first and "Candidates: *Checkout* (30%)" in first


def test_a_team_answers_with_its_channel_and_services(acme):
    message = ask("oncall payments")
    assert "is a team (`payments`), owner of 1 service." in message["blocks"][0]["text"]["text"]
    assert "#payments" in shown(message)


def test_close_calls_are_offered_as_choices(acme):
    message = ask("who owns orders")
    text = shown(message)
    assert "Several things match “orders”" in text
    assert "orders-api" in text and "orders-worker" in text


def test_nothing_found_says_so(acme):
    assert "Nothing in the catalog matches “zebra-quux-9”" in shown(ask("who owns zebra-quux-9"))


def test_search_lists_services_with_owners(acme):
    text = shown(ask("search payments"))
    assert "Search results for “payments”" in text and "payments-api" in text and "Payments (92%)" in text


def test_another_tenants_catalog_is_never_seen(acme, tenant_beta):
    with tenant_context(tenant_beta):
        ledger = service("beta-secret-ledger", None)
        from search import indexing

        indexing.rebuild()
        assert f"/services/{ledger.pk}|beta-secret-ledger>" in shown(ask("who owns beta-secret-ledger"))
        for question in ("who owns payments-api", f"who owns https://alpha.localhost/services/{acme['api'].pk}",
                         f"who owns {LAMBDA}"):
            answer = shown(ask(question))  # found things are links: "<url|name>"
            assert "Nothing in the catalog matches" in answer and "|payments-api>" not in answer
    for question in ("who owns beta-secret-ledger", "search beta-secret-ledger", "who owns beta secret ledger",
                     f"who owns https://beta.localhost/services/{ledger.pk}"):
        answer = shown(ask(question))
        assert "Nothing in the catalog matches" in answer and "|beta-secret-ledger>" not in answer


@pytest.mark.parametrize("hostile", [
    "<!channel> please", "<https://evil.example|payments-api>", "' OR 1=1; --", "$(rm -rf /) `id`",
    "{{ settings.SECRET_KEY }}", "%(password)s", "\x00\x1b[31mred", "arn:" + "a" * 5000, "../../etc/passwd",
    "*" * 500, "🙂" * 300, "payments-api\n<!here>",
])
def test_hostile_text_is_only_a_value_and_comes_back_escaped(acme, hostile):
    for verb in ("who owns", "search", "oncall"):
        message = answers.run(parse(f"{verb} {hostile}"))
        text = shown(message)
        assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
        assert message["blocks"] and message["text"]
