"""Check values against Slack's published TypeScript types (npm @slack/web-api, @slack/types, @slack/bolt,
pinned in this folder's package.json) by compiling them as typed object literals with ``tsc --strict``:
a wrong type, a missing required field or (for the Web API's types, which have no index signature) a field
Slack does not describe fails. One ``tsc`` run checks a whole batch.

    errors = check([("response:auth.test", answer), ("request:chat.unfurl", args), ("respond", body)])

Kinds: ``request:<method>`` / ``response:<method>`` for the Web API methods in ``METHODS``, ``command``
(a slash command's fields), ``event:<type>`` (an Events API envelope), ``respond`` (a response_url answer or
a command's immediate answer), ``manifest`` (an app manifest).
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
TSC = PACKAGE_DIR / "node_modules" / "typescript" / "bin" / "tsc"
METHODS = {
    "auth.test": ("AuthTestArguments", "AuthTestResponse"),
    "chat.postMessage": ("ChatPostMessageArguments", "ChatPostMessageResponse"),
    "chat.unfurl": ("ChatUnfurlArguments", "ChatUnfurlResponse"),
    "views.publish": ("ViewsPublishArguments", "ViewsPublishResponse"),
    "users.info": ("UsersInfoArguments", "UsersInfoResponse"),
    "oauth.v2.access": ("OAuthV2AccessArguments", "OauthV2AccessResponse"),
}
EVENTS = {"link_shared": "LinkSharedEvent", "app_home_opened": "AppHomeOpenedEvent",
          "app_uninstalled": "AppUninstalledEvent", "tokens_revoked": "TokensRevokedEvent"}
HEADER = (
    "import type { " + ", ".join(sorted({t for pair in METHODS.values() for t in pair}
                                        | {"AppsManifestCreateArguments"})) + " } from '@slack/web-api';\n"
    "import type { SlashCommand, EnvelopedEvent, RespondArguments } from '@slack/bolt';\n"
    "import type { " + ", ".join(sorted(EVENTS.values())) + " } from '@slack/types';\n"
    "// The index signature of StringIndexed types would let any field through: check the declared ones only.\n"
    "type Declared<T> = { [K in keyof T as string extends K ? never : K]: T[K] };\n"
)
_lock = threading.Lock()


class TypesUnavailable(RuntimeError):
    """The npm packages could not be installed."""


def ensure_installed() -> None:
    with _lock:
        if not TSC.exists():  # node_modules from before the packages were added, or never installed
            result = subprocess.run(["npm", "ci", "--prefix", str(PACKAGE_DIR), "--no-audit", "--no-fund",
                                     "--loglevel=error"], capture_output=True, text=True)
            if result.returncode != 0 or not TSC.exists():
                raise TypesUnavailable(f"npm ci in {PACKAGE_DIR.name} failed: {result.stderr[-500:]}")


def as_declared(method: str, args: dict) -> dict:
    """A Web API call's arguments without the ``team_id`` slack_sdk's WebClient adds to every call it makes for
    a workspace (bolt gives each request's client the team's id, its ``default_params``): none of ``METHODS``
    declares it in the published argument types, and Slack ignores it there."""
    return {k: v for k, v in args.items() if k != "team_id"}


def without_echoed_blocks(method: str, response: dict) -> dict:
    """``response`` without the blocks Slack echoes back in a published view: @slack/web-api generates its
    response types from sample answers, so its ``View.blocks`` knows plain_text only; those blocks are the
    request's, checked against @slack/types' Block Kit types as ``request:views.publish``."""
    if method == "views.publish" and isinstance(response.get("view"), dict):
        return {**response, "view": {k: v for k, v in response["view"].items() if k != "blocks"}}
    return response


def type_of(kind: str) -> str:
    if kind.startswith(("request:", "response:")):
        side, method = kind.split(":", 1)
        if method not in METHODS:
            raise ValueError(f"no published type for Web API method {method!r}")
        return METHODS[method][0 if side == "request" else 1]
    if kind.startswith("event:"):
        name = kind.split(":", 1)[1]
        if name not in EVENTS:
            raise ValueError(f"no published type for event {name!r}")
        return f"Declared<EnvelopedEvent<{EVENTS[name]}>>"
    if kind == "command":
        return "Declared<SlashCommand>"
    if kind == "respond":
        return "RespondArguments"
    if kind == "manifest":
        return "Declared<AppsManifestCreateArguments['manifest']>"
    raise ValueError(f"unknown kind {kind!r}")


def source(items: list[tuple[str, Any]]) -> str:
    lines = [HEADER]
    for i, (kind, value) in enumerate(items):
        lines.append(f"// {kind}\nexport const v{i}: {type_of(kind)} = {json.dumps(value, indent=1)};\n")
    return "\n".join(lines)


def check(items: list[tuple[str, Any]]) -> list[str]:
    """tsc's complaints about ``items`` (kind, value), each prefixed with the item's kind; empty when all fit."""
    if not items:
        return []
    ensure_installed()
    text = source(items)
    # Inside node_modules (ignored by git) so the packages resolve from it.
    work = PACKAGE_DIR / "node_modules" / ".roster-typecheck"
    work.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".ts", dir=work, delete=False) as handle:
        handle.write(text)
        path = Path(handle.name)
    try:
        result = subprocess.run(["node", str(TSC), "--noEmit", "--strict", "--skipLibCheck", "--target", "es2022",
                                 "--module", "nodenext", "--moduleResolution", "nodenext", str(path)],
                                capture_output=True, text=True, timeout=300)
    finally:
        path.unlink(missing_ok=True)
    if result.returncode == 0:
        return []
    out, lines = [], text.splitlines()
    for line in (result.stdout + result.stderr).splitlines():
        if not line.strip():
            continue
        out.append(f"{_kind_at(line, lines)}: {line.split('): ', 1)[-1]}")
    return out


def _kind_at(message: str, lines: list[str]) -> str:
    """The kind of the item a tsc message points into (``file.ts(LINE,COL): ...``)."""
    try:
        number = int(message.split("(", 1)[1].split(",", 1)[0])
    except (IndexError, ValueError):
        return "?"
    for line in reversed(lines[:number]):
        if line.startswith("// ") and not line.startswith("// The index"):
            return line[3:]
    return "?"
