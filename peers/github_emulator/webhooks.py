"""Webhooks as GitHub delivers them: the registered hooks, which of them an event reaches, and a
background sender that POSTs each delivery, signed, to a loopback receiver.

Three kinds of hook (``Hook.kind``, GitHub's ``hook.type``):

- ``Organization``: ``POST /orgs/{org}/hooks``, or ``POST /_emulator/hooks`` with no ``repo`` (with no
  ``org`` either it listens to every org of the scenario); every event of its org but the GitHub App's own;
- ``Repository``: ``POST /repos/{owner}/{repo}/hooks``; the events GitHub sends repository hooks (push,
  repository but ``deleted``, member, team_add); kept by repository id, so it follows a rename or transfer;
- ``App``: the GitHub App's webhook (``POST /_emulator/hooks`` with ``"app": true``); the events of orgs the
  app is installed on (each payload carries ``installation``), installation_repositories included and
  ``repository.deleted`` excluded, as GitHub documents.

A delivery is a POST with GitHub's headers (``X-GitHub-Event``, ``X-GitHub-Delivery``: a uuid per event, the
same for every hook that hears of it, ``X-GitHub-Hook-ID``,
``X-Hub-Signature-256``, ``User-Agent: GitHub-Hookshot/...``) sent from one worker thread in the order the
changes happened, 10 s timeout, no redirects followed, no proxy. A receiver that is down or answers an
error is recorded (``deliveries()``), never retried. Only loopback receivers are called: the emulator is a
local peer, so a URL must name a loopback IP or ``localhost`` / ``*.localhost`` (sent to 127.0.0.1 with the
name in ``Host``, as RFC 6761 reserves it), and no name is ever looked up in DNS.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools
import json
import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from .store import now_iso

EXTENSION = "github_emulator_webhooks"  # the key of the app's Webhooks in app.extensions
USER_AGENT = "GitHub-Hookshot/emulator"
TIMEOUT_S = 10  # GitHub gives a receiver 10 seconds
KEPT_DELIVERIES = 2000
IDLE_WORKER_S = 30  # the sender thread stops after this long with nothing to send (and starts again on demand)
NOT_TO_REPOSITORY_HOOKS = frozenset({"team", "membership", "organization", "installation_repositories"})
ONLY_TO_APPS = frozenset({"installation_repositories", "installation"})
TARGET_TYPES = {"Organization": "organization", "Repository": "repository", "App": "integration"}


class HookError(ValueError):
    """A hook setting GitHub would refuse (a 422 from the REST API, a 400 from the control API)."""


@dataclass
class Hook:
    id: int
    kind: str  # Organization | Repository | App
    target: str | int | None  # org login (lowercase, None = every org), repository id, or None for App
    url: str
    secret: str = ""
    content_type: str = "json"
    insecure_ssl: str = "0"
    events: tuple[str, ...] = ("push",)
    active: bool = True
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    last_response: dict[str, Any] = field(default_factory=lambda: {"code": None, "status": "unused", "message": None})

    def wants(self, event: str) -> bool:
        return self.active and ("*" in self.events or event in self.events)


def loopback_target(url: str) -> tuple[str, str]:
    """``(url to connect to, Host header)`` for a receiver URL, or ``HookError`` unless it is an http(s)
    URL on a loopback address. The URL connected to is rebuilt from the checked parts (no user info, the
    IP itself), so no parser difference or DNS answer can send a delivery elsewhere."""
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        raise HookError("config.url must be an http(s) URL without spaces or backslashes")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise HookError("config.url must be an http or https URL")
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError as exc:
        raise HookError(f"config.url has an invalid port: {exc}") from None
    if not host:
        raise HookError("config.url has no host")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        mapped = getattr(ip, "ipv4_mapped", None)
        if not (ip.is_loopback or (mapped is not None and mapped.is_loopback)):
            raise HookError(f"config.url must point at a loopback address, not {host}: the emulator is a local peer")
        address = f"[{ip}]" if ip.version == 6 else str(ip)
    elif host == "localhost" or host.endswith(".localhost"):
        address = "127.0.0.1"
    else:
        raise HookError(f"config.url must name a loopback IP or localhost, not {host!r}: the emulator is a "
                        "local peer and looks up no names")
    path = parts.path or "/"
    target = f"{parts.scheme}://{address}:{port}{path}" + (f"?{parts.query}" if parts.query else "")
    default_port = parts.port is None
    host_header = (f"[{host}]" if ip is not None and ip.version == 6 else host) + ("" if default_port else f":{port}")
    return target, host_header


def signature(secret: str, body: bytes, digest: str = "sha256") -> str:
    return f"{digest}=" + hmac.new(secret.encode(), body, getattr(hashlib, digest)).hexdigest()


class Webhooks:
    """The hooks of one emulator app and the deliveries sent to them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hooks: dict[int, Hook] = {}
        self._ids = itertools.count(1)
        self._deliveries: deque[dict[str, Any]] = deque(maxlen=KEPT_DELIVERIES)
        self._delivery_ids = itertools.count(1)
        self._queue: queue.Queue[tuple[Hook, dict[str, Any], str, bytes, dict[str, str]]] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition(self.lock)
        self._worker: threading.Thread | None = None
        self._session = requests.Session()
        self._session.trust_env = False  # a loopback delivery never goes through a proxy from the environment

    # --- registration ---

    def add(self, kind: str, target: str | int | None, config: dict[str, Any], events: Any = None,
            active: Any = True) -> Hook:
        settings = self._config(config, require_url=True)
        hook = Hook(id=next(self._ids), kind=kind, target=target, events=self._events(events, ("push",)),
                    active=self._active(active), **settings)
        with self.lock:
            self.hooks[hook.id] = hook
        return hook

    def update(self, hook: Hook, config: Any = None, events: Any = None, add_events: Any = None,
               remove_events: Any = None, active: Any = None) -> Hook:
        # a setting left out keeps its value (GitHub keeps the secret unless a new one is given)
        settings = self._config(config, require_url=False) if config is not None else {}
        new_events = self._events(events, hook.events) if events is not None else hook.events
        if add_events is not None:
            new_events = tuple(dict.fromkeys(new_events + self._events(add_events, ())))
        if remove_events is not None:
            drop = set(self._events(remove_events, ()))
            new_events = tuple(e for e in new_events if e not in drop)
        with self.lock:
            for key, value in settings.items():
                setattr(hook, key, value)
            hook.events = new_events
            if active is not None:
                hook.active = self._active(active)
            hook.updated_at = now_iso()
        return hook

    def remove(self, hook_id: int) -> bool:
        with self.lock:
            return self.hooks.pop(hook_id, None) is not None

    def remove_where(self, kind: str, target: str | int | None) -> None:
        with self.lock:
            for hook_id in [h.id for h in self.hooks.values() if h.kind == kind and h.target == target]:
                del self.hooks[hook_id]

    def of(self, kind: str, target: str | int | None) -> list[Hook]:
        with self.lock:
            return [h for h in self.hooks.values() if h.kind == kind and h.target == target]

    def of_all(self) -> list[Hook]:
        with self.lock:
            return list(self.hooks.values())

    def get(self, hook_id: Any) -> Hook | None:
        try:
            key = int(hook_id)
        except (TypeError, ValueError):
            return None
        with self.lock:
            return self.hooks.get(key)

    @staticmethod
    def _config(config: Any, require_url: bool) -> dict[str, Any]:
        """The settings ``config`` gives (on creation, with GitHub's defaults for the others)."""
        if not isinstance(config, dict):
            raise HookError("config must be an object with at least a url")
        given = {**({"content_type": "json", "insecure_ssl": "0", "secret": ""} if require_url else {}), **config}
        out: dict[str, Any] = {}
        if "url" in given or require_url:
            loopback_target(given.get("url"))
            out["url"] = given["url"]
        if "content_type" in given:
            if given["content_type"] not in ("json", "form"):
                raise HookError("config.content_type must be json or form")
            out["content_type"] = given["content_type"]
        if "insecure_ssl" in given:
            if str(given["insecure_ssl"]) not in ("0", "1"):
                raise HookError("config.insecure_ssl must be \"0\" or \"1\"")
            out["insecure_ssl"] = str(given["insecure_ssl"])
        if "secret" in given:
            if not isinstance(given["secret"], str):
                raise HookError("config.secret must be a string")
            out["secret"] = given["secret"]
        return out

    @staticmethod
    def _events(events: Any, default: tuple[str, ...]) -> tuple[str, ...]:
        from .webhook_schemas import event_names  # reads the schema document; only when a hook is set up

        if events is None:
            return default
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise HookError("events must be a list of event names")
        unknown = sorted(set(events) - event_names() - {"*"})
        if unknown:
            raise HookError(f"unknown events {unknown}; GitHub sends {sorted(event_names())}")
        return tuple(dict.fromkeys(events))

    @staticmethod
    def _active(active: Any) -> bool:
        if not isinstance(active, bool):
            raise HookError("active must be true or false")
        return active

    # --- which hooks an event reaches ---

    def recipients(self, event: str, action: str | None, org: str | None, repo_id: int | None,
                   app: bool) -> list[Hook]:
        """The active hooks subscribed to ``event`` that GitHub would send it to; ``app`` says whether the
        GitHub App is installed on ``org`` (and so whether App hooks hear of it)."""
        org_key = org.lower() if org else None
        with self.lock:
            hooks = list(self.hooks.values())
        out = []
        for hook in hooks:
            if not hook.wants(event):
                continue
            if hook.kind == "Organization":
                ok = event not in ONLY_TO_APPS and org_key is not None and hook.target in (None, org_key)
            elif hook.kind == "Repository":
                ok = (repo_id is not None and hook.target == repo_id and event not in NOT_TO_REPOSITORY_HOOKS
                      and (event, action) != ("repository", "deleted"))
            else:  # GitHub Apps do not hear of deleted repositories
                ok = app and (event, action) != ("repository", "deleted")
            if ok:
                out.append(hook)
        return out

    # --- sending ---

    def send(self, hook: Hook, event: str, payload: dict[str, Any], repo_id: int | None = None,
             installation: int | None = None, target_id: int = 0, guid: str | None = None) -> dict[str, Any]:
        """Queue one delivery of ``payload`` to ``hook``. ``guid`` (``X-GitHub-Delivery``) names the event:
        GitHub gives every hook that hears of one event the same guid. Returns ``{"guid", "hook_id",
        "event", "action"}``."""
        guid = guid or str(uuid.uuid4())
        text = json.dumps(payload, separators=(",", ":"))
        if hook.content_type == "form":
            body, content_type = urlencode({"payload": text}).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = text.encode(), "application/json"
        headers = {
            "Content-Type": content_type, "User-Agent": USER_AGENT, "Accept": "*/*",
            "X-GitHub-Event": event, "X-GitHub-Delivery": guid, "X-GitHub-Hook-ID": str(hook.id),
            "X-GitHub-Hook-Installation-Target-Type": TARGET_TYPES[hook.kind],
            "X-GitHub-Hook-Installation-Target-ID": str(target_id),
        }
        if hook.secret:
            headers["X-Hub-Signature"] = signature(hook.secret, body, "sha1")
            headers["X-Hub-Signature-256"] = signature(hook.secret, body)
        record = {
            "id": next(self._delivery_ids), "guid": guid, "hook_id": hook.id, "hook_type": hook.kind,
            "event": event, "action": payload.get("action"), "url": hook.url, "status_code": None, "status": "queued",
            "error": None, "queued_at": now_iso(), "delivered_at": None, "duration": 0.0, "redelivery": False,
            "repository_id": repo_id, "installation_id": installation, "payload": payload,
        }
        with self.lock:  # queued under the lock, so a worker that is about to retire cannot miss it
            self._deliveries.append(record)
            self._pending += 1
            self._queue.put((hook, record, hook.url, body, headers))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="github-emulator-webhooks", daemon=True)
                self._worker.start()
        return {"guid": guid, "hook_id": hook.id, "event": event, "action": record["action"]}

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=IDLE_WORKER_S)
            except queue.Empty:
                with self.lock:  # retire when idle (an app per test would leave threads behind otherwise)
                    if self._queue.empty():
                        self._worker = None
                        return
                continue
            try:
                self._deliver(*item)
            finally:
                with self.lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.notify_all()

    def _deliver(self, hook: Hook, record: dict[str, Any], url: str, body: bytes, headers: dict[str, str]) -> None:
        started = time.monotonic()
        status_code, error = None, None
        try:
            target, host = loopback_target(url)  # checked again: the rule must hold for every request sent
            resp = self._session.post(target, data=body, headers={**headers, "Host": host}, timeout=TIMEOUT_S,
                                      allow_redirects=False, verify=hook.insecure_ssl != "1")
            status_code = resp.status_code
            if status_code >= 400:
                error = f"Invalid HTTP Response: {status_code}"
        except HookError as exc:
            error = str(exc)
        except requests.Timeout:
            error = "timed out"
        except requests.RequestException as exc:
            error = f"failed to connect: {type(exc).__name__}"
        duration = round(time.monotonic() - started, 3)
        ok = status_code is not None and status_code < 300
        with self.lock:
            record.update(status_code=status_code, error=error, duration=duration,
                          status="OK" if ok else (error or f"Invalid HTTP Response: {status_code}"),
                          delivered_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            hook.last_response = {"code": status_code, "status": "active" if ok else "failed",
                                  "message": "OK" if ok else record["status"]}

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery has been attempted; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def deliveries(self, hook_id: int | None = None) -> list[dict[str, Any]]:
        """What was sent (oldest first): event, action, guid, url, status_code, error, payload, ..."""
        with self.lock:
            return [dict(d) for d in self._deliveries if hook_id is None or d["hook_id"] == hook_id]

    def clear_deliveries(self) -> None:
        with self.lock:
            self._deliveries.clear()
