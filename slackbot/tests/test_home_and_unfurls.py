"""The App Home tab (a Slack user matched to Roster users by e-mail, then their teams' services) and link unfurls
(console links to the tenant's own services, on its own hosts only)."""
import json

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Profile
from slackbot import home, unfurls

from .catalog_data import company

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(in_alpha, slack_settings):
    return company()


def person(username: str, email: str, *, teams=(), login: str = "", active: bool = True):
    user = get_user_model().objects.create_user(username, email=email, is_active=active)
    Profile.objects.create(user=user, teams=list(teams), github_login=login)
    return user


def shown(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_home_lists_the_services_of_the_users_teams(acme):
    person("dana", "Dana@Example.com", teams=["checkout"])
    view = home.view_for("dana@example.com")
    text = shown(view)
    assert view["type"] == "home" and "Checkout" in text
    for name in ("checkout-web", "orders-api", "orders-worker"):
        assert f"|{name}>" in text
    assert "|payments-api>" not in text


def test_a_github_login_on_a_team_counts_as_membership(acme):
    person("alice", "alice@example.com", login="alice")
    text = shown(home.view_for("alice@example.com"))
    assert "|payments-api>" in text and "#payments" in text


@pytest.mark.parametrize("email", [None, "", "nobody@example.com", "inactive@example.com", "noteam@example.com"])
def test_anyone_we_cannot_place_sees_how_to_ask(acme, email):
    person("inactive", "inactive@example.com", teams=["payments"], active=False)
    person("noteam", "noteam@example.com")
    text = shown(home.view_for(email))
    assert "/roster who owns payments-api" in text and "|payments-api>" not in text


def test_console_links_to_our_services_unfurl_into_a_card(acme):
    url = f"https://alpha.localhost/services/{acme['api'].pk}"
    cards = unfurls.unfurls([{"domain": "alpha.localhost", "url": url}])
    assert list(cards) == [url]
    assert "is owned by *Payments*" in shown(cards[url])


def test_other_links_are_left_alone(acme, tenant_beta):
    pk = acme["api"].pk
    links = [f"https://evil.example/services/{pk}", f"https://beta.localhost/services/{pk}",
             "https://alpha.localhost/teams/payments", f"https://alpha.localhost/services/{pk}x",
             "javascript:alert(1)", "https://alpha.localhost:99999/services/x", "not a url", 42, None,
             {"url": "ftp://alpha.localhost/services/" + str(pk)}]
    assert unfurls.unfurls([x if isinstance(x, dict) else {"url": x} for x in links]) == {}
    acme["batch"].hidden = True
    acme["batch"].save()
    assert unfurls.unfurls([{"url": f"https://alpha.localhost/services/{acme['batch'].pk}"}]) == {}


def test_at_most_a_few_links_are_unfurled_per_message(acme):
    url = f"https://alpha.localhost/services/{acme['api'].pk}"
    many = [{"url": f"{url}?n={i}"} for i in range(20)]
    assert len(unfurls.unfurls(many)) == unfurls.MAX_LINKS
