"""The Web API methods Roster calls, at ``/api/<method>`` (slack_sdk's ``WebClient(base_url=<peer>/api/)``),
answered as Slack does: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; the
shapes are @slack/web-api's response types (``peers.slack_peer.typecheck`` checks them). Every call is
recorded (``GET /_peer/calls``)."""
from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

from flask import Blueprint, Response, current_app, request

from . import blocks as block_rules
from .state import SlackState

bp = Blueprint("slack_web_api", __name__)
METHODS = ("auth.test", "chat.postMessage", "chat.unfurl", "views.publish", "users.info", "oauth.v2.access")


def state() -> SlackState:
    return current_app.extensions["slack_peer"]


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _args() -> dict[str, Any]:
    """Query string, form fields and a JSON body together, as Slack reads them."""
    args: dict[str, Any] = dict(request.args.items())
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            args.update(body)
    else:
        args.update(request.form.items())
    return args


def _token(args: dict) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[len("Bearer "):].strip()
    return args.pop("token", None)


def _object(value: Any) -> Any:
    """A JSON argument sent either as JSON or as a JSON string in a form field."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _ts() -> str:
    return f"{time.time():.6f}"


def _invalid_blocks(errors: list[str]) -> dict:
    return {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": errors}}


def auth_test(workspace, args) -> dict:
    return {"ok": True, "url": f"https://{workspace.domain}.slack.com/", "team": workspace.name,
            "user": "roster", "team_id": workspace.team_id, "user_id": workspace.bot_user_id,
            "bot_id": workspace.bot_id, "is_enterprise_install": False}


def chat_post_message(workspace, args) -> dict:
    channel = args.get("channel")
    message_blocks = _object(args.get("blocks")) if "blocks" in args else None
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if not (args.get("text") or message_blocks):
        return {"ok": False, "error": "no_text"}
    if message_blocks is not None and (errors := block_rules.validate(message_blocks)):
        return _invalid_blocks(errors)
    ts = _ts()
    return {"ok": True, "channel": channel, "ts": ts,
            "message": {"type": "message", "text": args.get("text") or "", "user": workspace.bot_user_id,
                        "bot_id": workspace.bot_id, "app_id": state().app_id, "team": workspace.team_id, "ts": ts}}


def chat_unfurl(workspace, args) -> dict:
    unfurls = _object(args.get("unfurls"))
    if args.get("unfurl_id") and args.get("source"):
        key = args["unfurl_id"]
    elif args.get("channel") and args.get("ts"):
        key = f"{args['channel']}:{args['ts']}"
    else:
        return {"ok": False, "error": "invalid_arguments",
                "response_metadata": {"messages": ["[ERROR] channel and ts, or unfurl_id and source, are required"]}}
    if not isinstance(unfurls, dict) or not unfurls:
        return {"ok": False, "error": "invalid_unfurls_format"}
    with state().lock:
        reported = set(state().links.get(key, ()))
    for url, attachment in unfurls.items():
        if url not in reported:
            return {"ok": False, "error": "cannot_unfurl_url"}
        if not isinstance(attachment, dict):
            return {"ok": False, "error": "invalid_unfurls_format"}
        if "blocks" in attachment and (errors := block_rules.validate(attachment["blocks"])):
            return _invalid_blocks(errors)
    return {"ok": True}


def views_publish(workspace, args) -> dict:
    view = _object(args.get("view"))
    user_id = args.get("user_id")
    if user_id not in workspace.users:
        return {"ok": False, "error": "user_not_found"}
    if not isinstance(view, dict) or view.get("type") != "home":
        return {"ok": False, "error": "invalid_arguments",
                "response_metadata": {"messages": ["[ERROR] view.type must be home [json-pointer:/view/type]"]}}
    if errors := block_rules.validate(view.get("blocks"), "home"):
        return _invalid_blocks(errors)
    view_id = f"V{secrets.token_hex(5).upper()}"
    return {"ok": True, "view": {
        "id": view_id, "team_id": workspace.team_id, "type": "home", "blocks": view["blocks"],
        "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
        "state": {"values": {}}, "hash": f"{int(time.time())}.{secrets.token_hex(4)}", "clear_on_close": False,
        "notify_on_close": False, "root_view_id": view_id, "app_id": state().app_id,
        "external_id": view.get("external_id", ""), "app_installed_team_id": workspace.team_id,
        "bot_id": workspace.bot_id}}


def users_info(workspace, args) -> dict:
    user = workspace.users.get(args.get("user") or "")
    if user is None:
        return {"ok": False, "error": "user_not_found"}
    return {"ok": True, "user": user.as_slack(workspace.team_id)}


HANDLERS = {"auth.test": auth_test, "chat.postMessage": chat_post_message, "chat.unfurl": chat_unfurl,
            "views.publish": views_publish, "users.info": users_info}


def _client_credentials(args: dict) -> tuple[str, str]:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(auth[len("Basic "):]).decode().partition(":")
            return client_id, secret
        except (ValueError, UnicodeDecodeError):
            return "", ""
    return args.get("client_id", ""), args.get("client_secret", "")


def oauth_v2_access(args: dict) -> tuple[str | None, dict]:
    peer = state()
    client_id, secret = _client_credentials(args)
    if not peer.client_id or client_id != peer.client_id:
        return None, {"ok": False, "error": "invalid_client_id"}
    if not secrets.compare_digest(secret, peer.client_secret):
        return None, {"ok": False, "error": "bad_client_secret"}
    grant = peer.take_code(args.get("code", ""))
    if grant is None:
        return None, {"ok": False, "error": "invalid_code"}
    if args.get("redirect_uri") and args["redirect_uri"] != grant["redirect_uri"]:
        return None, {"ok": False, "error": "bad_redirect_uri"}
    workspace = peer.workspaces[grant["team_id"]]
    return workspace.team_id, {
        "ok": True, "app_id": peer.app_id, "authed_user": {"id": grant["user_id"]}, "scope": grant["scope"],
        "token_type": "bot", "access_token": workspace.bot_token, "bot_user_id": workspace.bot_user_id,
        "team": {"id": workspace.team_id, "name": workspace.name}, "is_enterprise_install": False}


@bp.route("/api/<method>", methods=["GET", "POST"])
def call(method: str):
    args = _args()
    if method == "oauth.v2.access":
        team_id, answer = oauth_v2_access(args)
        recorded = {k: v for k, v in args.items() if k not in ("client_secret", "code")}
        state().record_call(method, team_id, recorded, {**answer, "access_token": "[peer]"} if answer["ok"] else answer)
        return _json(answer)
    handler = HANDLERS.get(method)
    token = _token(args)
    if handler is None:
        answer, workspace = {"ok": False, "error": "unknown_method"}, None
    elif not token:
        answer, workspace = {"ok": False, "error": "not_authed"}, None
    else:
        workspace = state().by_token(token)
        answer = handler(workspace, args) if workspace else {"ok": False, "error": "invalid_auth"}
    state().record_call(method, workspace.team_id if workspace else None, args, answer)
    return _json(answer)
