"""Files: the REST contents endpoint (a file, a directory, or the raw text for ``Accept: ...raw``)
and the raw downloads (``download_url`` in contents payloads) under ``/_raw/``."""
from __future__ import annotations

from flask import Blueprint, Response, request

from .. import rest
from ..changes import at_ref
from ..rest import DOCS, error
from ..state import Identity
from ..web import emulator, not_found, rest_route, urls
from .repos import find_repo

bp = Blueprint("contents", __name__)


@rest_route(bp, "/repos/<owner>/<name>/contents")
def repo_contents_root(identity: Identity, owner: str, name: str):
    return contents(owner, name, "")


@rest_route(bp, "/repos/<owner>/<name>/contents/<path:path>")
def repo_contents(identity: Identity, owner: str, name: str, path: str):
    return contents(owner, name, path)


def contents(owner: str, name: str, path: str):
    doc = f"{DOCS}/repos/contents#get-repository-content"
    o, r = find_repo(owner, name)
    if r is None:
        return not_found(doc)
    ref = request.args.get("ref")
    view = at_ref(r, ref)  # another branch answers with its own files
    if view is None:
        return 404, error(f"No commit found for the ref {ref}", doc, 404), {}
    r = view
    if r.is_empty:
        return 404, error("This repository is empty.", doc, 404), {}
    entry = r.entry(path)
    if entry is None:
        return not_found(doc)
    if "raw" in request.headers.get("Accept", "") and not entry.is_dir:
        raw = Response(r.files[entry.path], content_type="application/vnd.github.raw; charset=utf-8")
        return 200, raw, {}
    if entry.is_dir:
        return 200, rest.content_dir(r, entry.path, urls()), {}
    return 200, rest.content_file(r, entry, urls()), {}


@bp.get("/_raw/<owner>/<name>/<branch>/<path:path>")
def raw_file(owner: str, name: str, branch: str, path: str) -> Response:
    r = emulator().store.repo(owner, name)
    r = at_ref(r, branch) if r else None
    entry = r.entry(path) if r else None
    if entry is None or entry.is_dir:
        return Response("404: Not Found", 404, content_type="text/plain; charset=utf-8")
    return Response(r.files[entry.path], content_type="text/plain; charset=utf-8")
