"""GitHub App endpoints (JWT-authenticated): the app, its installations, and installation access tokens
(which ``Emulator.authenticate`` then accepts for an hour)."""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint

from .. import rest
from ..rest import DOCS, error
from ..web import app_route, emulator, urls

bp = Blueprint("github_app", __name__)


def selection(org: Any) -> str:
    """The installation's repository_selection on ``org`` (``/_emulator/installation/repositories``)."""
    return "all" if emulator().installation_repo_ids(org.login) is None else "selected"


def installed_orgs() -> list[Any]:
    emu = emulator()
    return [o for o in emu.store.orgs.values() if emu.installation_id(o.login)]


@app_route(bp, "/app")
def get_app():
    emu = emulator()
    owner = next(iter(emu.store.orgs.values()), None)
    return 200, rest.integration(emu.app.id, emu.app.slug, owner, len(installed_orgs()), urls())


@app_route(bp, "/app/installations")
def list_installations():
    emu = emulator()
    return 200, [rest.installation(emu.installation_id(o.login), emu.app.id, emu.app.slug, o, urls(), selection(o))
                 for o in installed_orgs()]


@app_route(bp, "/app/installations/<int:install_id>")
def get_installation(install_id: int):
    emu = emulator()
    o = emu.installation_org(install_id)
    if o is None:
        return 404, error("Not Found", f"{DOCS}/apps/apps#get-an-installation-for-the-authenticated-app", 404)
    return 200, rest.installation(install_id, emu.app.id, emu.app.slug, o, urls(), selection(o))


@app_route(bp, "/orgs/<org>/installation")
def org_installation(org: str):
    emu = emulator()
    install_id = emu.installation_id(org)
    if install_id is None:
        return 404, error("Not Found", f"{DOCS}/apps/apps#get-an-organization-installation-for-the-authenticated-app", 404)
    return 200, rest.installation(install_id, emu.app.id, emu.app.slug, emu.store.org(org), urls(),
                                  selection(emu.store.org(org)))


@app_route(bp, "/app/installations/<int:install_id>/access_tokens", methods=("POST",))
def create_installation_token(install_id: int):
    emu = emulator()
    org = emu.installation_org(install_id)
    if org is None:
        return 404, error("Not Found", f"{DOCS}/apps/apps#create-an-installation-access-token-for-an-app", 404)
    token = "ghs_" + secrets.token_urlsafe(27)[:36]
    expires = time.time() + 3600
    with emu.lock:
        emu.installation_tokens[token] = (install_id, expires)
    expires_at = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return 201, {"token": token, "expires_at": expires_at, "permissions": rest.APP_PERMISSIONS,
                 "repository_selection": selection(org)}
