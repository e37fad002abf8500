"""Every other GET path: what GitHub answers for an endpoint the emulator does not model.

A path in GitHub's OpenAPI description (``openapi.lookup``) whose objects all exist in the scenario (its
``{org}``, ``{owner}/{repo}``, ``{username}``, ``{team_slug}``) answers the empty value of its documented
200 schema when that is a list or a paginated list (``[]``, ``{"total_count": 0, "environments": []}``):
there is nothing of that kind in the scenario. Any other documented operation (a single object, or one
under an id the scenario has no such thing for) answers GitHub's 404 with that operation's documentation
URL, as GitHub does for something that does not exist or that the token may not see. Only a path GitHub
does not serve answers the plain ``Not Found`` with GitHub's generic documentation URL.
"""
from __future__ import annotations

from flask import Blueprint, request

from .. import openapi
from ..rest import DOCS, error
from ..state import Identity
from ..web import emulator, json_response, not_found, rest_view

bp = Blueprint("fallback", __name__)
MODELLED_PARAMS = {"org", "owner", "repo", "username", "team_slug"}


def _exists(args: dict[str, str]) -> bool:
    store = emulator().store
    if set(args) - MODELLED_PARAMS:
        return False  # an id of something the scenario does not model (a run, an environment, a hook...)
    if "owner" in args and "repo" in args and store.repo(args["owner"], args["repo"]) is None:
        return False
    org = store.org(args["org"]) if "org" in args else None
    if "org" in args and org is None:
        return False
    if "team_slug" in args and (org is None or args["team_slug"].lower() not in org.teams):
        return False
    if "username" in args and store.user(args["username"]) is None and store.org(args["username"]) is None:
        return False
    return True


def _documented(identity: Identity, **_: str):
    op, args = openapi.lookup(request.path)
    if op.has_empty and _exists(args):
        return 200, op.empty, {}
    return not_found(op.doc)


_documented_view = rest_view(_documented)


@bp.get("/<path:anything>")
def unmodelled(anything: str):
    if openapi.lookup(request.path) is None:
        return json_response(error("Not Found", DOCS, 404), 404)
    return _documented_view()
