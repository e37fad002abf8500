"""The peer's control API (``/_peer/...``, no auth: the server binds to 127.0.0.1) and the two browser- and
Slack-facing pages around the app: Slack's OAuth authorize page (``/oauth/v2/authorize``, approved at once by
the workspace's first user) and the ``response_url`` receiver (``/_peer/respond/<id>``).

    POST /_peer/teams {"team_id"?, "name"?, "domain"?, "users"?: [{"name", "email", "real_name"?, "id"?}]}
    GET  /_peer/teams                      every workspace, its bot token and users
    POST /_peer/app {"redirect_url"}            the app's OAuth redirect URL (as set in Slack's app settings)
    POST /_peer/command {"url", "team_id", "text", "user_id"?, "command"?, "wait"?: seconds,
                         "timestamp"?: epoch, "secret"?: another signing secret}
    POST /_peer/events/link_shared {"url", "team_id", "links": [url, ...], "user_id"?, "channel"?}
    POST /_peer/events/app_home_opened {"url", "team_id", "user_id"?}
    POST /_peer/events/<type> {"url", "team_id", "event": {...}}  any other event
    POST /_peer/url_verification {"url"}        Slack's request URL check (the challenge echoed back)
    GET  /_peer/calls?method=&team_id=&min=&wait=   Web API calls received (waits for ``min`` of them)
    GET  /_peer/responses?id=                   response_url answers received
    GET  /_peer/sent                            what the peer sent the app, with its answers
    POST /_peer/reset                           forget calls, answers and sent requests
"""
from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, redirect, request

from . import blocks as block_rules
from . import sending
from .web_api import state

bp = Blueprint("slack_peer_control", __name__)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str, status: int = 400) -> Response:
    return _json({"error": message}, status)


def _workspace_and_user(body: dict):
    workspace = state().workspaces.get(body.get("team_id") or "")
    if workspace is None:
        return None, None
    user_id = body.get("user_id") or next(iter(workspace.users), None)
    return workspace, workspace.users.get(user_id or "")


@bp.get("/_peer/stats")
def stats():
    peer = state()
    return _json({"workspaces": len(peer.workspaces), "calls": len(peer.calls), "responses": len(peer.responses)})


@bp.route("/_peer/teams", methods=["GET", "POST"])
def workspaces():
    if request.method == "GET":
        return _json(state().describe())
    body = _body()
    team_id = body.get("team_id")
    if team_id is not None and (not isinstance(team_id, str) or not team_id.startswith("T") or not team_id.isalnum()):
        return _bad("team_id must look like T0123ABCD")
    workspace = state().add_workspace(team_id, body.get("name") or "", body.get("domain") or "", body.get("users"))
    return _json(next(w for w in state().describe() if w["team_id"] == workspace.team_id), 201)


@bp.post("/_peer/app")
def app_settings():
    url = _body().get("redirect_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _bad("redirect_url must be an http(s) URL")
    state().redirect_url = url
    return _json({"redirect_url": url, "client_id": state().client_id, "app_id": state().app_id})


def _record(kind: str, url: str, payload: Any, answer: dict) -> dict:
    entry = {"id": state().next_id(), "kind": kind, "url": url, "payload": payload, "answer": answer, "at": time.time()}
    with state().lock:
        state().sent.append(entry)
    return entry


def _send(kind: str, url: str, payload: dict, body: bytes, content_type: str, options: dict) -> dict:
    secret = options.get("secret") if isinstance(options.get("secret"), str) else state().signing_secret
    answer = sending.post(url, body, content_type, secret, options.get("timestamp"))
    return _record(kind, url, payload, answer)


@bp.post("/_peer/command")
def command():
    body = _body()
    workspace, user = _workspace_and_user(body)
    if workspace is None or user is None:
        return _bad("unknown team_id or user_id: create the workspace first (POST /_peer/teams)")
    if not isinstance(body.get("url"), str) or not isinstance(body.get("text", ""), str):
        return _bad("url and text must be strings")
    rid = state().new_response_url({"team_id": workspace.team_id, "user_id": user.id, "text": body.get("text", "")})
    response_url = f"{request.host_url.rstrip('/')}/_peer/respond/{rid}"
    payload = sending.command_payload(workspace=workspace, user=user, text=body.get("text", ""),
                                      response_url=response_url, app_id=state().app_id,
                                      command=body.get("command") or "/roster")
    try:
        entry = _send("command", body["url"], payload, sending.form(payload), "application/x-www-form-urlencoded", body)
    except sending.TargetRefused as exc:
        return _bad(str(exc))
    wait = min(float(body.get("wait") or 0), 60.0)
    if wait and entry["answer"]["status"] == 200:
        state().wait(lambda: bool(state().responses[rid]["posts"]), wait)
    with state().lock:
        posts = [p["body"] for p in state().responses[rid]["posts"]]
    return _json({**entry, "response_url": response_url, "response_id": rid, "responses": posts})


def _event(body: dict, event: dict) -> Response:
    workspace, _ = _workspace_and_user(body)
    if workspace is None:
        return _bad("unknown team_id: create the workspace first (POST /_peer/teams)")
    if not isinstance(body.get("url"), str):
        return _bad("url must be a string")
    payload = sending.envelope(workspace=workspace, app_id=state().app_id, event=event)
    try:
        entry = _send("event", body["url"], payload, sending.as_json(payload), "application/json", body)
    except sending.TargetRefused as exc:
        return _bad(str(exc))
    return _json(entry)


@bp.post("/_peer/events/<event_type>")
def event(event_type: str):
    body = _body()
    workspace, user = _workspace_and_user(body)
    if workspace is None or user is None:
        return _bad("unknown team_id or user_id: create the workspace first (POST /_peer/teams)")
    now = f"{time.time():.6f}"
    if event_type == "link_shared":
        links = body.get("links") or []
        if not isinstance(links, list) or not all(isinstance(u, str) and u.startswith("http") for u in links):
            return _bad("links must be a list of http(s) URLs")
        channel, unfurl_id = body.get("channel") or "C0GENERAL1", f"{secrets.token_hex(12)}"
        event = {"type": "link_shared", "channel": channel, "is_bot_user_member": True, "user": user.id,
                 "message_ts": now, "unfurl_id": unfurl_id, "source": "conversations_history",
                 "links": [{"domain": urlsplit(u).hostname or "", "url": u} for u in links], "event_ts": now}
        with state().lock:
            state().links[f"{channel}:{now}"] = state().links[unfurl_id] = set(links)
    elif event_type == "app_home_opened":
        event = {"type": "app_home_opened", "user": user.id, "channel": f"D{user.id[1:]}", "tab": "home",
                 "event_ts": now}
    else:
        event = body.get("event")
        if not isinstance(event, dict):
            return _bad("event must be an object")
        event = {**event, "type": event_type}
    return _event(body, event)


@bp.post("/_peer/url_verification")
def url_verification():
    body = _body()
    challenge = secrets.token_urlsafe(24)
    payload = {"token": "peer-verification-token", "challenge": challenge, "type": "url_verification"}
    try:
        entry = _send("url_verification", body.get("url") or "", payload, sending.as_json(payload),
                      "application/json", body)
    except sending.TargetRefused as exc:
        return _bad(str(exc))
    answer = entry["answer"]
    echoed = (answer.get("json") or {}).get("challenge") if isinstance(answer.get("json"), dict) else answer["body"]
    return _json({**entry, "verified": answer["status"] == 200 and echoed == challenge})


@bp.post("/_peer/respond/<rid>")
def respond(rid: str):
    body = request.get_json(silent=True)
    if body is None:
        body = {"text": request.get_data(as_text=True)}
    if isinstance(body, dict) and "blocks" in body and (errors := block_rules.validate(body["blocks"])):
        return Response("invalid_blocks\n" + "\n".join(errors), status=400, mimetype="text/plain")
    status, text = state().take_response(rid, body)
    return Response(text, status=status, mimetype="text/plain")


@bp.get("/_peer/calls")
def calls():
    method, team_id = request.args.get("method"), request.args.get("team_id")
    wanted = max(0, min(int(request.args.get("min") or 0), 1000))

    def matching() -> list[dict]:
        return [c for c in state().calls if (not method or c["method"] == method)
                and (not team_id or c["team_id"] == team_id)]

    if wanted:
        state().wait(lambda: len(matching()) >= wanted, min(float(request.args.get("wait") or 10), 60.0))
    with state().lock:
        return _json(matching())


@bp.get("/_peer/responses")
def responses():
    rid = request.args.get("id")
    with state().lock:
        return _json([r for r in state().responses.values() if not rid or r["id"] == rid])


@bp.get("/_peer/sent")
def sent():
    with state().lock:
        return _json(list(state().sent))


@bp.post("/_peer/reset")
def reset():
    state().reset()
    return _json({"reset": True})


@bp.get("/oauth/v2/authorize")
def authorize():
    """Slack's authorize page: approved at once by the chosen workspace's first user (``?deny=1``: cancelled)."""
    peer = state()
    if not peer.client_id or request.args.get("client_id") != peer.client_id:
        return Response("invalid_client_id", status=400, mimetype="text/plain")
    redirect_uri = request.args.get("redirect_uri") or peer.redirect_url
    if not redirect_uri or (peer.redirect_url and redirect_uri != peer.redirect_url):
        return Response("bad_redirect_uri", status=400, mimetype="text/plain")
    state_param = request.args.get("state", "")
    if request.args.get("deny"):
        return redirect(f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state_param})}", code=302)
    team_id = request.args.get("team") or next(iter(peer.workspaces), None)
    workspace = peer.workspaces.get(team_id or "") or peer.add_workspace(team_id or None)
    installer = next(iter(workspace.users.values()))
    code = peer.issue_code(workspace.team_id, installer.id, redirect_uri, request.args.get("scope", ""))
    return redirect(f"{redirect_uri}?{urlencode({'code': code, 'state': state_param})}", code=302)
