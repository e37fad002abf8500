"""Sign-in with GitHub and OpenID Connect, end to end: Django's test client plays the browser, the GitHub
emulator and the OIDC provider peer answer over real HTTP on loopback, each from its own thread."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Profile
from accounts.roles import Role, role_of, set_role
from accounts.signin.config import socialaccount_providers
from audit.models import AuditEvent
from discovery.models import Connection, Provider
from peers import oidc_provider
from peers.github_emulator import create_app, start_in_thread
from portal.workspaces.models import Workspace

ALPHA, BETA = "alpha.localhost", "beta.localhost"
GITHUB_CLIENT_ID, GITHUB_SECRET = "Ov23li-roster-test", "github-test-secret"
OIDC_CLIENT_ID, OIDC_SECRET = "roster-test", "oidc-test-secret"
SCENARIO = {"github": {"orgs": [
    {"login": "acme", "members": [
        {"login": "alice", "name": "Alice Archer", "email": "alice@acme.test"},
        {"login": "bob", "name": "Bob Baker", "email": "bob@acme.test"},
        {"login": "carol", "name": "Carol Chen", "email": "carol@acme.test"}],
     "teams": [{"slug": "payments", "members": ["alice"]},
               {"slug": "platform", "members": ["alice", "bob"]}]},
    {"login": "umbrella", "members": [{"login": "mallory", "email": "mallory@umbrella.test"},
                                      {"login": "alice", "email": "alice@acme.test"}],
     "teams": [{"slug": "bio", "members": ["alice", "mallory"]}]},
]}}
OIDC_USERS = {
    "ada": {"email": "ada@corp.test", "email_verified": True, "name": "Ada Lovelace"},
    "eve": {"email": "eve@elsewhere.test", "email_verified": True, "name": "Eve"},
    "unverified": {"email": "unverified@corp.test", "email_verified": False, "name": "Una Verified"},
}


@pytest.fixture(scope="module")
def github():
    base, stop = start_in_thread(create_app(SCENARIO, tokens=["static-token"], warm_schema=False))
    resp = requests.post(f"{base}/_emulator/oauth/apps", json={
        "client_id": GITHUB_CLIENT_ID, "client_secret": GITHUB_SECRET,
        "callback_url": "http://localhost/accounts/github/login/callback/"})
    assert resp.status_code == 200
    yield base
    stop()


@pytest.fixture(scope="module")
def oidc():
    redirects = [f"http://{host}/accounts/oidc/corp/login/callback/" for host in (ALPHA, BETA)]
    app = oidc_provider.create_app(clients={OIDC_CLIENT_ID: {"secret": OIDC_SECRET, "redirect_uris": redirects}},
                                   users=OIDC_USERS)
    base, stop = oidc_provider.start_in_thread(app)
    yield base
    stop()


@pytest.fixture(autouse=True)
def providers(settings, monkeypatch, github, oidc):
    """Configure both providers from environment variables, as a deployment does."""
    env = {
        "ROSTER_GITHUB_OAUTH_CLIENT_ID": GITHUB_CLIENT_ID, "ROSTER_GITHUB_OAUTH_SECRET": GITHUB_SECRET,
        "ROSTER_GITHUB_OAUTH_URL": github,
        "ROSTER_OIDC_PROVIDERS": json.dumps([{"id": "corp", "name": "Corp SSO", "server_url": oidc,
                                              "client_id": OIDC_CLIENT_ID, "secret": OIDC_SECRET}]),
        "ROSTER_OIDC_ALLOWED_DOMAINS": "corp.test",
    }
    settings.SOCIALACCOUNT_PROVIDERS = socialaccount_providers(env)
    # allauth's GitHub adapter derives its URLs from GITHUB_URL once, at import; point it at this emulator
    for attr, value in {"web_url": github, "api_url": f"{github}/api/v3",
                        "authorize_url": f"{github}/login/oauth/authorize",
                        "access_token_url": f"{github}/login/oauth/access_token",
                        "profile_url": f"{github}/api/v3/user", "emails_url": f"{github}/api/v3/user/emails"}.items():
        monkeypatch.setattr(GitHubOAuth2Adapter, attr, value)


@pytest.fixture
def tenants(tenant_alpha, tenant_beta, github):
    """alpha discovers GitHub org acme, beta discovers umbrella (on the emulator, as the demo connects them)."""
    for tenant, org in ((tenant_alpha, "acme"), (tenant_beta, "umbrella")):
        with tenant_context(tenant):
            Connection.objects.create(workspace=Workspace.default(), provider=Provider.GITHUB, name=org,
                                      config={"org": org, "base_url": github, "auth": "token"})
    return {ALPHA: tenant_alpha, BETA: tenant_beta}


def start(client: Client, host: str, provider_path: str) -> str:
    """Press "Sign in with ...": the URL the browser is sent to at the provider."""
    resp = client.post(f"/accounts/{provider_path}/login/", {"next": "/admin/"}, HTTP_HOST=host)
    assert resp.status_code == 302, resp.content[:500]
    return resp["Location"]


def at_provider(authorize_url: str, **who: str) -> str:
    """The user authorizes at the provider; returns the callback URL it redirects the browser to."""
    resp = requests.get(authorize_url, params=who, allow_redirects=False)
    assert resp.status_code == 302, resp.text[:500]
    return resp.headers["Location"]


def back(client: Client, callback_url: str, host: str | None = None):
    bits = urlsplit(callback_url)
    return client.get(f"{bits.path}?{bits.query}", HTTP_HOST=host or bits.netloc)


def github_sign_in(host: str, login: str, client: Client | None = None):
    client = client or Client()
    callback = at_provider(start(client, host, "github"), login=login)
    assert urlsplit(callback).netloc == host
    return client, back(client, callback)


def oidc_sign_in(host: str, login: str, client: Client | None = None):
    client = client or Client()
    callback = at_provider(start(client, host, "oidc/corp"), login_hint=login)
    return client, back(client, callback)


def signed_in(client: Client, host: str) -> bool:
    return client.get("/admin/", HTTP_HOST=host).status_code == 200


def github_user(tenant, login: str):
    with tenant_context(tenant):
        return get_user_model().objects.filter(roster_profile__github_login=login).first()


def test_login_page_offers_both_providers(tenants):
    page = Client().get("/admin/login/", HTTP_HOST=ALPHA).content.decode()
    assert page.count("Sign in with GitHub") == 1 and page.count("Sign in with Corp SSO") == 1
    assert 'action="/accounts/github/login/' in page and 'action="/accounts/oidc/corp/login/' in page


def test_org_member_signs_in_as_viewer_with_teams(tenants, github):
    authorize = parse_qs(urlsplit(start(Client(), ALPHA, "github")).query)
    assert set(authorize["scope"][0].split()) == {"read:org", "user:email"}
    assert authorize["redirect_uri"] == [f"http://{ALPHA}/accounts/github/login/callback/"]
    assert authorize["code_challenge_method"] == ["S256"] and authorize["state"][0]
    client, resp = github_sign_in(ALPHA, "alice")
    assert resp.status_code == 302 and resp["Location"] == "/admin/"
    assert signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        user = get_user_model().objects.get(socialaccount__provider="github")
        assert user.username == "alice" and user.email == "alice@acme.test" and user.is_staff
        assert role_of(user) == Role.VIEWER
        profile = Profile.objects.get(user=user)
        # teams of the tenant's org only: alice's umbrella team is not this tenant's
        assert (profile.github_login, profile.teams) == ("alice", ["payments", "platform"])
        event = AuditEvent.objects.get(action="user.signed_in")
        assert event.data["provider"] == "github" and event.data["new_user"] is True
        assert event.data["teams"] == ["payments", "platform"]
        assert not SocialAccount.objects.exclude(user=user).exists()
    assert client.get("/api/v1/me/", HTTP_HOST=ALPHA).json()["role"] == "viewer"


def test_non_member_is_refused(tenants):
    client, resp = github_sign_in(ALPHA, "mallory")
    assert resp.status_code == 403
    page = resp.content.decode()
    assert page.count("@mallory is not a member of the GitHub organization acme") == 1
    assert 'action="/admin/login/"' in page  # the password form still works from this page
    assert not signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert not get_user_model().objects.exists()
        refused = AuditEvent.objects.get(action="user.signin_refused")
        assert (refused.data["who"], refused.data["reason"]) == ("mallory", "not_an_org_member")


def test_existing_editor_keeps_the_role_and_teams_are_refreshed(tenants):
    github_sign_in(ALPHA, "alice")
    alice = github_user(tenants[ALPHA], "alice")
    with tenant_context(tenants[ALPHA]):
        set_role(alice, Role.EDITOR, actor="admin")
        Profile.objects.filter(user=alice).update(teams=["stale"])
    client, resp = github_sign_in(ALPHA, "alice")
    assert resp.status_code == 302 and signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert get_user_model().objects.count() == 1
        alice = get_user_model().objects.get(pk=alice.pk)
        assert role_of(alice) == Role.EDITOR
        assert Profile.objects.get(user=alice).teams == ["payments", "platform"]
        assert AuditEvent.objects.filter(action="user.signed_in").count() == 2


def test_prepared_user_is_linked_and_keeps_the_role(tenants):
    with tenant_context(tenants[ALPHA]):
        prepared = get_user_model().objects.create_user("bob.baker")
        set_role(prepared, Role.EDITOR, actor="admin")
        Profile.objects.filter(user=prepared).update(github_login="bob")
    client, resp = github_sign_in(ALPHA, "bob")
    assert resp.status_code == 302 and signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert list(get_user_model().objects.values_list("username", flat=True)) == ["bob.baker"]
        assert SocialAccount.objects.get(provider="github").user_id == prepared.pk
        assert role_of(get_user_model().objects.get(pk=prepared.pk)) == Role.EDITOR
        assert Profile.objects.get(user=prepared).teams == ["platform"]


def test_forged_state_is_refused(tenants):
    client = Client()
    callback = at_provider(start(client, ALPHA, "github"), login="alice")
    bits = urlsplit(callback)
    query = parse_qs(bits.query)
    assert query["state"][0]
    resp = client.get(bits.path, {"code": query["code"][0], "state": "forged-state"}, HTTP_HOST=ALPHA)
    assert resp.status_code == 400
    assert "was not started from this browser session" in resp.content.decode()
    assert not signed_in(client, ALPHA)
    # a callback without any state is refused the same way
    resp = client.get(bits.path, {"code": query["code"][0]}, HTTP_HOST=ALPHA)
    assert resp.status_code == 400 and not signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert not get_user_model().objects.exists()


def test_state_and_code_are_single_use(tenants):
    client = Client()
    callback = at_provider(start(client, ALPHA, "github"), login="alice")
    assert back(client, callback).status_code == 302 and signed_in(client, ALPHA)
    # replaying the callback, in the same browser or another, gets nowhere
    assert back(client, callback).status_code == 400
    stranger = Client()
    assert back(stranger, callback, host=ALPHA).status_code == 400 and not signed_in(stranger, ALPHA)


def test_no_github_org_connected(tenant_alpha):
    client, resp = github_sign_in(ALPHA, "alice")
    assert resp.status_code == 403 and "no GitHub organization on 127.0.0.1 is connected" in resp.content.decode()


def test_an_org_of_the_same_name_on_another_github_does_not_count(tenant_alpha):
    with tenant_context(tenant_alpha):  # alpha's "acme" is on github.com; sign-in uses the emulator
        Connection.objects.create(workspace=Workspace.default(), provider=Provider.GITHUB, name="acme",
                                  config={"org": "acme", "auth": "token"})
    client, resp = github_sign_in(ALPHA, "alice")
    assert resp.status_code == 403 and not signed_in(client, ALPHA)


def test_deactivated_prepared_user_stays_out(tenants):
    with tenant_context(tenants[ALPHA]):
        prepared = get_user_model().objects.create_user("bob.baker", is_active=False)
        Profile.objects.create(user=prepared, github_login="bob", role=Role.EDITOR)
    client, resp = github_sign_in(ALPHA, "bob")
    assert not signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert get_user_model().objects.count() == 1  # no second, active account for the same person


def test_oidc_user_signs_in_as_viewer(tenants):
    client, resp = oidc_sign_in(ALPHA, "ada")
    assert resp.status_code == 302 and resp["Location"] == "/admin/"
    assert signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        account = SocialAccount.objects.get(provider="corp")
        user = account.user
        assert (user.username, user.email, user.first_name) == ("ada", "ada@corp.test", "Ada")
        assert role_of(user) == Role.VIEWER
        event = AuditEvent.objects.get(action="user.signed_in")
        assert (event.data["provider"], event.data["uid"]) == ("corp", account.uid)


@pytest.mark.parametrize("login,reason", [("eve", "@corp.test addresses only"),
                                          ("unverified", "has not verified unverified@corp.test")])
def test_oidc_user_outside_the_allowed_domain_is_refused(tenants, login, reason):
    client, resp = oidc_sign_in(ALPHA, login)
    assert resp.status_code == 403 and reason in resp.content.decode()
    assert not signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert not get_user_model().objects.exists()


def test_signing_in_on_beta_gives_no_session_on_alpha(tenants):
    # alice is a user of alpha
    github_sign_in(ALPHA, "alice")
    alpha_alice = github_user(tenants[ALPHA], "alice")
    # she signs in on beta's host (beta connects umbrella, where she is a member too)
    client, resp = github_sign_in(BETA, "alice")
    assert resp.status_code == 302 and signed_in(client, BETA)
    # the same browser (the test client sends the session cookie to every host) is nobody on alpha
    assert not signed_in(client, ALPHA)
    assert client.get("/api/v1/me/", HTTP_HOST=ALPHA).status_code in (401, 403)
    with tenant_context(tenants[BETA]):
        beta_alice = get_user_model().objects.get(roster_profile__github_login="alice")
        assert Profile.objects.get(user=beta_alice).teams == ["bio"]
    with tenant_context(tenants[ALPHA]):
        assert get_user_model().objects.count() == 1
        assert Profile.objects.get(user=alpha_alice).teams == ["payments", "platform"]
    # the same holds for OpenID Connect, which admits anyone of the domain to any tenant
    client, resp = oidc_sign_in(BETA, "ada")
    assert resp.status_code == 302 and signed_in(client, BETA) and not signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert not SocialAccount.objects.filter(provider="corp").exists()


def test_a_flow_started_on_beta_cannot_finish_on_alpha(tenants):
    client = Client()
    callback = at_provider(start(client, BETA, "github"), login="alice")
    resp = back(client, callback, host=ALPHA)  # the state lives in beta's session store only
    assert resp.status_code == 400
    assert not signed_in(client, ALPHA)
    with tenant_context(tenants[ALPHA]):
        assert not get_user_model().objects.exists()


def test_beta_refuses_a_member_of_alpha_only(tenants):
    client, resp = github_sign_in(BETA, "bob")
    assert resp.status_code == 403 and "not a member of the GitHub organization umbrella" in resp.content.decode()
    assert not signed_in(client, BETA)


# --- configuration from the environment -------------------------------------------------------------------


def test_config_github_and_a_single_oidc_provider():
    providers = socialaccount_providers({
        "ROSTER_GITHUB_OAUTH_CLIENT_ID": "cid", "ROSTER_GITHUB_OAUTH_SECRET": "sec",
        "ROSTER_OIDC_SERVER_URL": "https://login.example.com", "ROSTER_OIDC_CLIENT_ID": "oc",
        "ROSTER_OIDC_SECRET": "os", "ROSTER_OIDC_NAME": "Okta",
        "ROSTER_OIDC_ALLOWED_DOMAINS": "Example.com, @corp.test"})
    github = providers["github"]
    assert github["APPS"] == [{"client_id": "cid", "secret": "sec", "key": ""}] and "GITHUB_URL" not in github
    assert set(github["SCOPE"]) == {"read:org", "user:email"}
    (app,) = providers["openid_connect"]["APPS"]
    assert (app["provider_id"], app["name"], app["client_id"]) == ("oidc", "Okta", "oc")
    assert app["settings"]["server_url"] == "https://login.example.com"
    assert app["settings"]["allowed_domains"] == ["corp.test", "example.com"]
    assert app["settings"]["require_verified_email"] is True


def test_config_local_peers_points_github_at_the_emulator():
    providers = socialaccount_providers({}, local_peers=True, emulator_url="http://127.0.0.1:45011/")
    assert providers["github"]["GITHUB_URL"] == "http://127.0.0.1:45011"
    assert providers["github"]["APPS"][0]["client_id"] == "roster-local-dev"
    assert socialaccount_providers({}) == {}  # nothing configured: no provider, no button


@pytest.mark.parametrize("env", [
    {"ROSTER_OIDC_PROVIDERS": "not json"},
    {"ROSTER_OIDC_PROVIDERS": '[{"id": "Bad Id", "server_url": "https://x", "client_id": "c"}]'},
    {"ROSTER_OIDC_PROVIDERS": '[{"id": "a", "client_id": "c"}]'},
    {"ROSTER_OIDC_PROVIDERS": '[{"id": "a", "server_url": "https://x", "client_id": "c", "typo": 1}]'},
    {"ROSTER_GITHUB_OAUTH_CLIENT_ID": "cid"},
])
def test_config_mistakes_stop_the_start(env):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        socialaccount_providers(env)


# --- the OpenID Connect provider peer keeps to the spec -------------------------------------------------


def test_oidc_peer_id_token_nonce_signature_and_single_use_codes(oidc):
    import jwt

    config = requests.get(f"{oidc}/.well-known/openid-configuration").json()
    assert config["issuer"] == oidc and "S256" in config["code_challenge_methods_supported"]
    redirect_uri = f"http://{ALPHA}/accounts/oidc/corp/login/callback/"
    params = {"response_type": "code", "client_id": OIDC_CLIENT_ID, "redirect_uri": redirect_uri,
              "scope": "openid email", "state": "s1", "nonce": "n-123", "login_hint": "ada"}
    # a redirect_uri that is not registered exactly is answered at the provider, never redirected to
    wrong = requests.get(config["authorization_endpoint"], params={**params, "redirect_uri": redirect_uri + "x"},
                         allow_redirects=False)
    assert wrong.status_code == 400
    location = requests.get(config["authorization_endpoint"], params=params, allow_redirects=False).headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["s1"]
    form = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri}
    assert requests.post(config["token_endpoint"], data=form, auth=(OIDC_CLIENT_ID, "wrong")).status_code == 401
    tokens = requests.post(config["token_endpoint"], data=form, auth=(OIDC_CLIENT_ID, OIDC_SECRET))
    assert tokens.status_code == 200 and tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json()
    key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(body["id_token"]).key
    claims = jwt.decode(body["id_token"], key, algorithms=["RS256"], audience=OIDC_CLIENT_ID, issuer=oidc)
    assert claims["nonce"] == "n-123" and claims["sub"]
    userinfo = requests.get(config["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"})
    assert userinfo.json() == {"sub": claims["sub"], "email": "ada@corp.test", "email_verified": True}
    # the code again: refused, and the token issued for it is revoked
    again = requests.post(config["token_endpoint"], data=form, auth=(OIDC_CLIENT_ID, OIDC_SECRET))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    revoked = requests.get(config["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"})
    assert revoked.status_code == 401 and 'error="invalid_token"' in revoked.headers["WWW-Authenticate"]


def test_no_self_signup_and_no_mail(tenants):
    client = Client()
    resp = client.post("/accounts/signup/", {"username": "intruder", "password1": "x" * 20, "password2": "x" * 20},
                       HTTP_HOST=ALPHA)
    assert resp.status_code == 200 and b"closed" in resp.content.lower()
    resp = client.post("/accounts/password/reset/", {"email": "someone@acme.test"}, HTTP_HOST=ALPHA)
    assert resp.status_code in (200, 302)
    with tenant_context(tenants[ALPHA]):
        assert not get_user_model().objects.exists()


def test_a_provider_that_is_not_configured_is_not_found(tenants, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    client = Client()
    assert client.post("/accounts/github/login/", HTTP_HOST=ALPHA).status_code == 404
    assert client.post("/accounts/oidc/corp/login/", HTTP_HOST=ALPHA).status_code == 404
    page = client.get("/admin/login/", HTTP_HOST=ALPHA).content.decode()
    assert "Sign in with" not in page and 'id="login-form"' in page
