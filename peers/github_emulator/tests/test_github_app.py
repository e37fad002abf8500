"""GitHub App flow: RS256 JWT -> /app, org installation, installation token usable on REST and GraphQL."""
from __future__ import annotations

import copy
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, GithubIntegration

from peers.github_emulator import create_app, start_in_thread

from .conftest import ORG, graphql

APP_ID = 4242


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _jwt(key: rsa.RSAPrivateKey, iss: int = APP_ID, lifetime: int = 540) -> str:
    now = int(time.time())
    return jwt.encode({"iat": now - 60, "exp": now + lifetime, "iss": str(iss)}, key, algorithm="RS256")


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture(scope="module")
def app_emulator(messy, app_key):
    scenario = copy.deepcopy(messy)
    scenario["github"]["orgs"].append({"login": "initech", "members": [], "teams": [], "repos": []})
    public = app_key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    base, stop = start_in_thread(create_app(scenario, tokens=["pat"], app_id=APP_ID, app_public_key=public,
                                            app_installed_on=[ORG]))
    yield base
    stop()


def test_app_flow_with_raw_http(app_emulator, app_key, openapi):
    auth = {"Authorization": f"Bearer {_jwt(app_key)}"}
    app = requests.get(f"{app_emulator}/app", headers=auth)
    assert app.status_code == 200 and app.json()["id"] == APP_ID
    openapi.validate("/app", app.json())
    install = requests.get(f"{app_emulator}/orgs/{ORG}/installation", headers=auth)
    assert install.status_code == 200
    openapi.validate("/orgs/{org}/installation", install.json())
    assert requests.get(f"{app_emulator}/orgs/initech/installation", headers=auth).status_code == 404
    token = requests.post(f"{app_emulator}/app/installations/{install.json()['id']}/access_tokens", headers=auth)
    assert token.status_code == 201
    openapi.validate("/app/installations/{installation_id}/access_tokens", token.json(), status=201, method="post")
    session = requests.Session()
    session.headers["Authorization"] = f"token {token.json()['token']}"
    assert session.get(f"{app_emulator}/orgs/{ORG}").status_code == 200
    body = graphql(session, app_emulator, '{ organization(login: "globex") { login } }').json()
    assert body["data"]["organization"]["login"] == ORG


def test_bad_jwts_are_refused(app_emulator, app_key):
    for token in (_jwt(_key()), _jwt(app_key, iss=1), _jwt(app_key, lifetime=3600), "not.a.jwt"):
        resp = requests.get(f"{app_emulator}/app", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, token
    # a JWT is no token for the REST API, and a PAT is no JWT
    assert requests.get(f"{app_emulator}/orgs/{ORG}", headers={"Authorization": f"Bearer {_jwt(app_key)}"}).status_code == 401
    assert requests.get(f"{app_emulator}/app", headers={"Authorization": "token pat"}).status_code == 401


def test_app_flow_with_pygithub(app_emulator, app_key):
    integration = GithubIntegration(auth=Auth.AppAuth(APP_ID, _pem(app_key)), base_url=f"{app_emulator}/api/v3")
    installation = integration.get_org_installation(ORG)
    access = integration.get_access_token(installation.id)
    assert access.token.startswith("ghs_")
    gh = integration.get_github_for_installation(installation.id)
    assert gh.get_organization(ORG).get_team_by_slug("payments").slug == "payments"
