"""The Slack peer's world: workspaces with their users and the app's bot token in each, the app's OAuth
credentials and the codes it issued, the links it reported (what may be unfurled), and a record of everything
the app (Roster) sent: Web API calls and ``response_url`` answers."""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

KEPT = 2000
RESPONSE_URL_USES = 5  # Slack accepts up to 5 answers on one response_url ...
RESPONSE_URL_SECONDS = 30 * 60  # ... within 30 minutes
CODE_SECONDS = 600


def _slack_id(prefix: str, n: int) -> str:
    return f"{prefix}{n:08d}"[:11].upper()


@dataclass
class User:
    id: str
    name: str
    email: str = ""
    real_name: str = ""
    is_admin: bool = False

    def as_slack(self, team_id: str) -> dict[str, Any]:
        profile = {"real_name": self.real_name or self.name, "display_name": self.name,
                   "real_name_normalized": self.real_name or self.name, "display_name_normalized": self.name,
                   "team": team_id}
        if self.email:
            profile["email"] = self.email
        return {"id": self.id, "team_id": team_id, "name": self.name, "deleted": False, "real_name": self.real_name
                or self.name, "tz": "Europe/London", "tz_label": "Greenwich Mean Time", "tz_offset": 0,
                "profile": profile, "is_admin": self.is_admin, "is_owner": self.is_admin, "is_bot": False,
                "is_app_user": False, "updated": int(time.time())}


@dataclass
class Workspace:
    team_id: str
    name: str
    domain: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    users: dict[str, User] = field(default_factory=dict)


class SlackState:
    def __init__(self, signing_secret: str, client_id: str = "", client_secret: str = "", app_id: str = "A0ROSTER1"):
        self.lock = threading.Condition()
        self.signing_secret = signing_secret
        self.client_id, self.client_secret, self.app_id = client_id, client_secret, app_id
        self.redirect_url = ""
        self.workspaces: dict[str, Workspace] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.links: dict[str, set[str]] = {}  # "channel:ts" or unfurl_id -> URLs Slack reported
        self.calls: deque[dict[str, Any]] = deque(maxlen=KEPT)  # Web API calls received
        self.responses: dict[str, dict[str, Any]] = {}  # response_url id -> the command and its answers
        self.sent: deque[dict[str, Any]] = deque(maxlen=KEPT)  # requests sent to the app
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # --- workspaces ---

    def add_workspace(self, team_id: str | None = None, name: str = "", domain: str = "",
                      users: list[dict] | None = None) -> Workspace:
        n = self.next_id()
        team_id = team_id or _slack_id("T", n)
        with self.lock:
            if team_id in self.workspaces:
                workspace = self.workspaces[team_id]
            else:
                workspace = Workspace(
                    team_id=team_id, name=name or f"Workspace {team_id}", domain=domain or team_id.lower(),
                    bot_token=f"xoxb-{n:012d}-{secrets.randbelow(10**12):012d}-{secrets.token_hex(12)}",
                    bot_user_id=_slack_id("U", 9000 + n), bot_id=_slack_id("B", n))
                self.workspaces[team_id] = workspace
        for user in users or [{"name": "admin", "email": "admin@example.com", "is_admin": True}]:
            self.add_user(team_id, **user)
        return workspace

    def add_user(self, team_id: str, name: str, email: str = "", real_name: str = "", id: str | None = None,
                 is_admin: bool = False) -> User:
        user = User(id=id or _slack_id("U", self.next_id()), name=name, email=email, real_name=real_name,
                    is_admin=is_admin)
        with self.lock:
            self.workspaces[team_id].users[user.id] = user
        return user

    def by_token(self, token: str | None) -> Workspace | None:
        with self.lock:
            return next((w for w in self.workspaces.values() if token and secrets.compare_digest(w.bot_token, token)),
                        None)

    def describe(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"team_id": w.team_id, "name": w.name, "domain": w.domain, "bot_token": w.bot_token,
                     "bot_user_id": w.bot_user_id, "bot_id": w.bot_id,
                     "users": [{"id": u.id, "name": u.name, "email": u.email} for u in w.users.values()]}
                    for w in self.workspaces.values()]

    # --- OAuth ---

    def issue_code(self, team_id: str, user_id: str, redirect_uri: str, scope: str) -> str:
        code = f"{self.next_id()}.{secrets.token_hex(16)}"
        with self.lock:
            self.codes[code] = {"team_id": team_id, "user_id": user_id, "redirect_uri": redirect_uri, "scope": scope,
                                "expires": time.time() + CODE_SECONDS}
        return code

    def take_code(self, code: str) -> dict[str, Any] | None:
        with self.lock:
            grant = self.codes.pop(code, None)
        return grant if grant and grant["expires"] > time.time() else None

    # --- what was said ---

    def record_call(self, method: str, team_id: str | None, args: dict, answer: dict) -> None:
        with self.lock:
            self.calls.append({"id": next(self._ids), "method": method, "team_id": team_id, "args": args,
                               "ok": bool(answer.get("ok")), "error": answer.get("error"), "response": answer,
                               "at": time.time()})
            self.lock.notify_all()

    def new_response_url(self, record: dict[str, Any]) -> str:
        rid = secrets.token_hex(12)
        with self.lock:
            self.responses[rid] = {**record, "id": rid, "created": time.time(), "posts": []}
        return rid

    def take_response(self, rid: str, body: Any) -> tuple[int, str]:
        """Record an answer on a response_url; (HTTP status, body) as Slack would answer it."""
        with self.lock:
            entry = self.responses.get(rid)
            if entry is None:
                return 404, "no_service"
            if time.time() - entry["created"] > RESPONSE_URL_SECONDS:
                return 404, "expired_url"
            if len(entry["posts"]) >= RESPONSE_URL_USES:
                return 404, "used_url"
            entry["posts"].append({"body": body, "at": time.time()})
            self.lock.notify_all()
            return 200, "ok"

    def wait(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
            return True

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.responses.clear()
            self.sent.clear()
            self.links.clear()
