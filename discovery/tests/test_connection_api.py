"""The connections API refuses config that would turn Roster's credentials against their owner."""
import pytest
from rest_framework.test import APIClient

from discovery.models import Connection

GHES = "https://github.example.com/api/v3"
ROLE = "arn:aws:iam::111111111111:role/RosterDiscovery"


@pytest.fixture
def api(in_alpha, settings):
    from accounts.testing import user_with_token

    settings.ROSTER_GITHUB_ENTERPRISE_URLS = [GHES]
    _, token = user_with_token("conn-admin", "admin")
    client = APIClient(HTTP_HOST="alpha.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def create(api, **body):
    return api.post("/api/v1/connections/", body, format="json")


def aws_body(name="prod", **config):
    return {"provider": "aws", "name": name,
            "config": {"account_id": "111111111111", "role_arn": ROLE, "regions": ["us-east-1"], **config}}


@pytest.fixture
def github(api):
    response = create(api, provider="github", name="gh", config={"org": "acme"}, secret={"token": "ghp_x"})
    assert response.status_code == 201, response.content
    return response.json()


def test_patching_base_url_to_a_foreign_host_is_refused(api, github):
    response = api.patch(f"/api/v1/connections/{github['id']}/",
                         {"config": {"org": "acme", "base_url": "https://attacker.example/api/v3"}}, format="json")
    assert response.status_code == 400
    assert "not a GitHub API this Roster allows" in str(response.json()["config"])
    assert "base_url" not in Connection.objects.get(pk=github["id"]).config


def test_creating_with_a_foreign_base_url_is_refused(api):
    for url in ("https://attacker.example", "http://169.254.169.254/latest", "http://127.0.0.1:6379"):
        response = create(api, provider="github", name="gh", config={"org": "acme", "base_url": url},
                          secret={"token": "t"})
        assert response.status_code == 400, url


def test_moving_the_token_needs_the_token(api, github):
    """Even to an allowed Enterprise host, someone who cannot see the token may not send it elsewhere."""
    url = f"/api/v1/connections/{github['id']}/"
    response = api.patch(url, {"config": {"org": "acme", "base_url": GHES}}, format="json")
    assert response.status_code == 400 and response.json()["secret"] == ["changing base_url requires the secret again"]
    response = api.patch(url, {"config": {"org": "other-org"}}, format="json")
    assert response.status_code == 400 and "secret" in response.json()
    response = api.patch(url, {"config": {"org": "acme", "base_url": GHES + "/"}, "secret": {"token": "ghes"}},
                         format="json")
    assert response.status_code == 200, response.content
    assert Connection.objects.get(pk=github["id"]).config["base_url"] == GHES
    # Unchanged target (only options): no secret needed.
    response = api.patch(url, {"config": {"org": "acme", "base_url": GHES, "include_forks": True}}, format="json")
    assert response.status_code == 200, response.content


def test_aws_endpoint_url_is_refused(api, settings):
    settings.ROSTER_LOCAL_PEERS = False
    assert create(api, **aws_body(endpoint_url="https://sts.attacker.example")).status_code == 400


def test_provider_cannot_change(api, github):
    """A GitHub connection switched to AWS used to keep whatever config it had, external_id included."""
    response = api.patch(f"/api/v1/connections/{github['id']}/", {"provider": "aws", **aws_body()}, format="json")
    assert response.status_code == 400 and "provider" in response.json()
    assert Connection.objects.get(pk=github["id"]).provider == "github"


def test_external_id_cannot_be_chosen(api):
    response = create(api, **aws_body())
    assert response.status_code == 201, response.content
    created = response.json()
    generated = created["external_id"]
    assert generated.startswith("roster-") and "external_id" not in created["config"]
    url = f"/api/v1/connections/{created['id']}/"
    # In config (the old place) and as a field: neither changes it.
    response = api.patch(url, {"config": {**created["config"], "external_id": "victim-id"}}, format="json")
    assert response.status_code == 400 and "external_id" in str(response.json()["config"])
    response = api.patch(url, {"external_id": "victim-id", "name": "renamed"}, format="json")
    assert response.status_code == 200 and response.json()["external_id"] == generated
    stored = Connection.objects.get(pk=created["id"])
    assert stored.external_id == generated and "external_id" not in stored.config
    assert create(api, **aws_body("other", external_id="victim-id")).status_code == 400


def test_two_connections_never_share_an_external_id(api):
    ids = {create(api, **aws_body(f"acct-{n}")).json()["external_id"] for n in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("config", [
    {"role_arn": "arn:aws:iam::222222222222:role/RosterDiscovery"},             # another account's role
    {"role_arn": "arn:aws:iam::111111111111:role/x\nManagedPolicyArns: [y]"},  # YAML smuggled in
    {"role_arn": "arn:aws:iam::111111111111:user/alice"},
    {"role_arn": "arn:aws:iam::111111111111:role/"},
    {"roster_principal_arn": "arn:aws:iam::333333333333:root"},                # trust chosen by the tenant
])
def test_role_and_principal_are_validated(api, config):
    response = create(api, **aws_body(**config))
    assert response.status_code == 400, response.content
