"""OAuth web flow (authorize, access_token) and the /user/* endpoints for the token's owner, as GitHub
documents them."""
from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from peers.github_emulator import create_app, start_in_thread
from peers.github_emulator.oauth import redirect_uri_allowed

from .conftest import ORG, TOKEN, org_of

CLIENT_ID, SECRET = "Iv1.emulatortest", "s3cret-for-tests"
CALLBACK = "http://localhost/accounts/github/login/callback/"
REDIRECT = "http://alpha.localhost/accounts/github/login/callback/"


@pytest.fixture(scope="module")
def oauth_emulator(messy):
    """An emulator serving sample-messy.yaml that accepts only TOKEN besides the tokens it issues."""
    app = create_app(messy, tokens=[TOKEN], warm_schema=False)
    base, stop = start_in_thread(app)
    resp = requests.post(f"{base}/_emulator/oauth/apps",
                         json={"client_id": CLIENT_ID, "client_secret": SECRET, "callback_url": CALLBACK})
    assert resp.status_code == 200
    yield base
    stop()


@pytest.fixture(scope="module")
def member(messy):
    """A globex member who is on at least one team, and their team slugs."""
    org = org_of(messy)
    for m in org["members"]:
        login = m["login"] if isinstance(m, dict) else m
        teams = [t["slug"] for t in org["teams"] if login in (t.get("members") or [])]
        if teams:
            return login, teams
    raise AssertionError("sample-messy has no team member")


def authorize(base, login, *, scope="read:org user:email", redirect_uri=REDIRECT, state="st4te", **extra):
    params = {"client_id": CLIENT_ID, "redirect_uri": redirect_uri, "scope": scope, "state": state, "login": login,
              **extra}
    return requests.get(f"{base}/login/oauth/authorize", params={k: v for k, v in params.items() if v is not None},
                        allow_redirects=False)


def code_for(base, login, **kwargs) -> str:
    resp = authorize(base, login, **kwargs)
    assert resp.status_code == 302, resp.text
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == [kwargs.get("state", "st4te")]
    return query["code"][0]


def exchange(base, code, *, secret=SECRET, redirect_uri=REDIRECT, accept="application/json", **extra):
    data = {"client_id": CLIENT_ID, "client_secret": secret, "code": code, "redirect_uri": redirect_uri, **extra}
    return requests.post(f"{base}/login/oauth/access_token", data=data, headers={"Accept": accept})


def test_authorize_redirects_back_with_code_and_state(oauth_emulator, member):
    resp = authorize(oauth_emulator, member[0])
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st4te"] and len(query["code"][0]) == 20


def test_full_flow_token_belongs_to_the_user(oauth_emulator, member, openapi):
    login, teams = member
    body = exchange(oauth_emulator, code_for(oauth_emulator, login)).json()
    assert body["token_type"] == "bearer" and body["access_token"].startswith("gho_")
    assert set(body["scope"].split(",")) == {"read:org", "user:email"}
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    me = requests.get(f"{oauth_emulator}/user", headers=auth)
    assert me.status_code == 200 and me.json()["login"] == login
    orgs = requests.get(f"{oauth_emulator}/user/orgs", headers=auth)
    assert orgs.status_code == 200 and [o["login"] for o in orgs.json()] == [ORG]
    assert set(orgs.headers["X-OAuth-Scopes"].split(", ")) == {"read:org", "user:email"}
    openapi.validate("/user/orgs", orgs.json())
    memberships = requests.get(f"{oauth_emulator}/user/memberships/orgs?state=active", headers=auth).json()
    assert [(m["organization"]["login"], m["state"]) for m in memberships] == [(ORG, "active")]
    openapi.validate("/user/memberships/orgs", memberships)
    user_teams = requests.get(f"{oauth_emulator}/user/teams?per_page=100", headers=auth).json()
    assert sorted(t["slug"] for t in user_teams) == sorted(teams)
    assert {t["organization"]["login"] for t in user_teams} == {ORG}
    openapi.validate("/user/teams", user_teams)
    emails = requests.get(f"{oauth_emulator}/user/emails", headers=auth).json()
    assert emails[0]["primary"] is True and emails[0]["verified"] is True
    openapi.validate("/user/emails", emails)
    # the API roots GitHub Enterprise Server uses answer the same
    assert requests.get(f"{oauth_emulator}/api/v3/user", headers=auth).json()["login"] == login


def test_answers_form_encoded_unless_json_is_asked_for(oauth_emulator, member):
    resp = exchange(oauth_emulator, code_for(oauth_emulator, member[0]), accept="")
    assert resp.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = parse_qs(resp.text)
    assert form["token_type"] == ["bearer"] and form["access_token"][0].startswith("gho_")
    # a JSON body is accepted too
    code = code_for(oauth_emulator, member[0])
    resp = requests.post(f"{oauth_emulator}/login/oauth/access_token", headers={"Accept": "application/json"},
                         json={"client_id": CLIENT_ID, "client_secret": SECRET, "code": code, "redirect_uri": REDIRECT})
    assert resp.json()["access_token"].startswith("gho_")


def test_codes_are_single_use_and_reuse_revokes_the_token(oauth_emulator, member):
    code = code_for(oauth_emulator, member[0])
    first = exchange(oauth_emulator, code).json()
    assert "access_token" in first
    again = exchange(oauth_emulator, code)
    assert again.status_code == 200  # GitHub puts token errors in a 200 body
    assert again.json()["error"] == "bad_verification_code"
    me = requests.get(f"{oauth_emulator}/user", headers={"Authorization": f"token {first['access_token']}"})
    assert me.status_code == 401


def test_codes_expire(oauth_emulator, member, monkeypatch):
    code = code_for(oauth_emulator, member[0])
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 601)
    assert exchange(oauth_emulator, code).json()["error"] == "bad_verification_code"


def test_wrong_secret_is_refused_and_the_code_survives(oauth_emulator, member):
    code = code_for(oauth_emulator, member[0])
    body = exchange(oauth_emulator, code, secret="wrong").json()
    assert body["error"] == "incorrect_client_credentials"
    assert body["error_description"] == "The client_id and/or client_secret passed are incorrect."
    assert "access_token" in exchange(oauth_emulator, code).json()


def test_unknown_code_is_refused(oauth_emulator):
    assert exchange(oauth_emulator, "0123456789abcdef0123").json()["error"] == "bad_verification_code"


def test_wrong_redirect_uri_is_refused(oauth_emulator, member):
    # at the token endpoint: not the one the code was issued for
    code = code_for(oauth_emulator, member[0])
    other = "http://beta.localhost/accounts/github/login/callback/"
    assert exchange(oauth_emulator, code, redirect_uri=other).json()["error"] == "redirect_uri_mismatch"
    # at authorize: not under the registered callback URL -> back to the callback with the error
    resp = authorize(oauth_emulator, member[0], redirect_uri="http://evil.example/accounts/github/login/callback/")
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["error"] == ["redirect_uri_mismatch"] and "code" not in query and query["state"] == ["st4te"]


@pytest.mark.parametrize("redirect_uri,ok", [
    ("http://localhost/accounts/github/login/callback/", True),
    ("http://alpha.localhost/accounts/github/login/callback/", True),
    ("http://alpha.localhost/accounts/github/login/callback/sub", True),
    ("http://localhost/accounts/", False),
    ("http://localhost:8080/accounts/github/login/callback/", False),
    ("https://localhost/accounts/github/login/callback/", False),
    ("http://notlocalhost/accounts/github/login/callback/", False),
    ("http://localhost.evil.example/accounts/github/login/callback/", False),
])
def test_githubs_redirect_uri_rules(redirect_uri, ok):
    assert redirect_uri_allowed(CALLBACK, redirect_uri) is ok
    # a loopback callback URL accepts any port
    assert redirect_uri_allowed("http://127.0.0.1/cb", "http://127.0.0.1:1234/cb")
    assert not redirect_uri_allowed("http://127.0.0.1/cb", "http://localhost:1234/cb")


def test_unknown_client_and_denial(oauth_emulator, member):
    resp = requests.get(f"{oauth_emulator}/login/oauth/authorize", params={"client_id": "nope", "login": member[0]},
                        allow_redirects=False)
    assert resp.status_code == 404
    resp = authorize(oauth_emulator, member[0], emulator_action="deny")
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["error"] == ["access_denied"]


def test_scopes_are_enforced(oauth_emulator, member):
    body = exchange(oauth_emulator, code_for(oauth_emulator, member[0], scope="")).json()
    assert body["scope"] == ""
    auth = {"Authorization": f"token {body['access_token']}"}
    assert requests.get(f"{oauth_emulator}/user", headers=auth).status_code == 200
    assert requests.get(f"{oauth_emulator}/user/orgs", headers=auth).status_code == 403
    assert requests.get(f"{oauth_emulator}/user/teams", headers=auth).status_code == 403
    assert requests.get(f"{oauth_emulator}/user/emails", headers=auth).status_code == 404


def test_pkce_s256(oauth_emulator, member):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = code_for(oauth_emulator, member[0], code_challenge=challenge, code_challenge_method="S256")
    assert exchange(oauth_emulator, code, code_verifier="w" * 50).json()["error"] == "bad_verification_code"
    code = code_for(oauth_emulator, member[0], code_challenge=challenge, code_challenge_method="S256")
    assert "access_token" in exchange(oauth_emulator, code, code_verifier=verifier).json()


def test_who_authorizes_without_login(oauth_emulator, member):
    # no login and no default: a page to choose from
    page = authorize(oauth_emulator, None)
    assert page.status_code == 200 and member[0] in page.text
    # a default user set through the control endpoint
    assert requests.post(f"{oauth_emulator}/_emulator/oauth/user", json={"login": member[0]}).status_code == 200
    try:
        body = exchange(oauth_emulator, code_for(oauth_emulator, None)).json()
        me = requests.get(f"{oauth_emulator}/user", headers={"Authorization": f"token {body['access_token']}"})
        assert me.json()["login"] == member[0]
    finally:
        requests.post(f"{oauth_emulator}/_emulator/oauth/user", json={"login": None})
    assert requests.post(f"{oauth_emulator}/_emulator/oauth/user", json={"login": "nobody-here"}).status_code == 400


def test_static_tokens_still_work_and_others_do_not(oauth_emulator):
    assert requests.get(f"{oauth_emulator}/orgs/{ORG}", headers={"Authorization": f"token {TOKEN}"}).status_code == 200
    assert requests.get(f"{oauth_emulator}/user/orgs", headers={"Authorization": "token gho_forged"}).status_code == 401


def test_every_emulator_has_the_development_app(messy, monkeypatch):
    monkeypatch.delenv("ROSTER_GITHUB_OAUTH_CLIENT_ID", raising=False)
    monkeypatch.setenv("PORT", "8123")
    base, stop = start_in_thread(create_app(messy, warm_schema=False))
    try:
        apps = requests.get(f"{base}/_emulator/oauth/apps").json()["apps"]
        assert apps == [{"client_id": "roster-local-dev", "name": "Roster",
                         "callback_url": "http://localhost:8123/accounts/github/login/callback/"}]
    finally:
        stop()
