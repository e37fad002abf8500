"""Tenant admins get an install link from the API (POST /api/v1/slack/install-link/); nobody else does."""
import pytest
from rest_framework.test import APIClient

from accounts import policy
from accounts.testing import user_with_token
from audit.models import AuditEvent
from slackbot import install_links

pytestmark = [
    pytest.mark.django_db, pytest.mark.urls("slackbot.tests.urls"),
    pytest.mark.skipif("slack-install-link" not in policy.API,
                       reason="accounts.policy.API has no slack-install-link line yet (fail closed until it does)"),
]


def post(token: str):
    return APIClient().post("/api/v1/slack/install-link/", HTTP_HOST="alpha.localhost",
                            HTTP_AUTHORIZATION=f"Token {token}")


def test_an_admin_gets_a_link_into_their_tenant(in_alpha, slack_settings):
    slack_settings.ROSTER_SLACK_PUBLIC_URL = "https://roster.example.com"
    _, token = user_with_token("slack-admin", "admin")
    answer = post(token)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["url"].startswith("https://roster.example.com/slack/install?tenant=")
    assert body["expires_in"] == 3600 and body["workspaces"] == []
    from urllib.parse import parse_qs, urlsplit

    grant = install_links.read(parse_qs(urlsplit(body["url"]).query)["tenant"][0])
    assert grant.tenant == in_alpha and grant.by == "slack-admin"
    assert AuditEvent.objects.filter(action="slack.install_link_issued", actor="slack-admin").exists()


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_others_are_refused(in_alpha, slack_settings, role):
    _, token = user_with_token(f"slack-{role}", role)
    assert post(token).status_code == 403
