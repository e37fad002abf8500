"""The state one emulator app shares across requests: the scenario store, credentials, rate-limit
budgets, injected faults and request statistics.

``create_app`` keeps the ``Emulator`` at ``app.extensions["github_emulator"]`` (``EXTENSION``); the
blueprints reach it through ``web.emulator()``.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from .store import Store, stable_id

EXTENSION = "github_emulator"  # the key of the Emulator in app.extensions (oauth.py reads it too)
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                     "If you reach out to GitHub Support for help, please include the request ID {rid}.")
JWT_MAX_LIFETIME = 600  # GitHub refuses app JWTs that expire more than 10 minutes after being issued


@dataclass
class Faults:
    secondary_rate_limit_every: int = 0  # every Nth API request gets a secondary rate limit 403
    error_rate: float = 0.0  # share of API requests answered with a 5xx
    bad_gateway_over: int = 0  # GraphQL whose possible node count exceeds this gets 502 (GitHub times out)
    latency_ms: int = 0  # added to every API request
    seed: int | None = None  # for error_rate


@dataclass
class GitHubApp:
    id: int
    public_key: str  # PEM
    slug: str = "roster-emulator"
    installed_on: list[str] | None = None  # org logins; None = every org in the scenario
    # lower org login -> ids of the repositories its installation may see; absent = all (repository_selection)
    selected: dict[str, frozenset[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    key: str  # whose budget a request spends
    login: str | None
    user_id: int
    installation: int | None = None


class Budget:
    """One primary rate limit window (GitHub: per user or installation, per resource, per hour)."""

    def __init__(self, limit: int, window_s: int):
        self.limit, self.window_s, self.used, self.reset = limit, window_s, 0, int(time.time()) + window_s

    def refresh(self) -> None:
        if time.time() >= self.reset:
            self.used, self.reset = 0, int(time.time()) + self.window_s

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self, resource: str) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset), "X-RateLimit-Used": str(self.used),
                "X-RateLimit-Resource": resource}

    def as_json(self, resource: str) -> dict[str, Any]:
        return {"limit": self.limit, "used": self.used, "remaining": self.remaining, "reset": self.reset,
                "resource": resource}


class Emulator:
    """State shared by all requests of one app: store, credentials, budgets, faults, stats."""

    def __init__(self, scenario: dict[str, Any] | None, tokens: Any, rate_limit: int, graphql_rate_limit: int,
                 rate_window_s: int, faults: Faults, app: GitHubApp | None, viewer: str | None = None):
        self.store = Store(scenario)
        # tokens: None accepts any credential (and none); a list/set of tokens, or {token: login}
        self.tokens = None if tokens is None else (dict(tokens) if isinstance(tokens, dict) else dict.fromkeys(tokens))
        self.viewer = viewer  # whose token one is when ``tokens`` names no login for it (see token_owner)
        self.limits = {"core": rate_limit, "graphql": graphql_rate_limit}
        self.rate_window_s = rate_window_s
        self.app = app
        self.lock = threading.Lock()
        self.budgets: dict[tuple[str, str], Budget] = {}
        self.installation_tokens: dict[str, tuple[int, float]] = {}
        self.set_faults(faults)
        self.reset_stats()

    def set_faults(self, faults: Faults) -> None:
        with self.lock:
            self.faults = faults
            self.rng = random.Random(faults.seed)
            self.api_calls = 0

    def reset_stats(self) -> None:
        with self.lock:
            self.stats = dict.fromkeys(("requests", "rest_requests", "graphql_requests", "graphql_points",
                                        "not_modified", "rate_limited", "secondary_rate_limited",
                                        "errors_injected", "bad_gateway"), 0)

    def count(self, **deltas: int) -> None:
        with self.lock:
            for key, delta in deltas.items():
                self.stats[key] += delta

    def budget(self, identity: Identity, resource: str) -> Budget:
        key = (identity.key, resource)
        budget = self.budgets.get(key)
        if budget is None:
            budget = self.budgets.setdefault(key, Budget(self.limits[resource], self.rate_window_s))
        budget.refresh()
        return budget

    def set_limits(self, core: int | None = None, graphql: int | None = None) -> None:
        with self.lock:
            if core is not None:
                self.limits["core"] = core
            if graphql is not None:
                self.limits["graphql"] = graphql
            self.budgets.clear()

    def installation_id(self, org_login: str) -> int | None:
        if self.app is None or self.store.org(org_login) is None:
            return None
        installed = self.app.installed_on
        if installed is not None and org_login.lower() not in {x.lower() for x in installed}:
            return None
        return stable_id("installation", f"{self.app.id}/{self.store.org(org_login).login}")

    def installation_repo_ids(self, org_login: str) -> frozenset[int] | None:
        """The ids of the repositories the app's installation on an org may see; None when it sees all."""
        if self.app is None:
            return None
        return self.app.selected.get(org_login.lower())

    def installation_org(self, install_id: int) -> Any:
        return next((o for o in self.store.orgs.values() if self.installation_id(o.login) == install_id), None)

    def authenticate(self, header: str | None) -> Identity | None:
        """The identity behind an ``Authorization`` header, or None when GitHub would answer 401."""
        scheme, _, credential = (header or "").strip().partition(" ")
        credential = credential.strip()
        if not header:
            return Identity("anonymous", None, 0) if self.tokens is None else None
        if scheme.lower() not in ("token", "bearer") or not credential:
            return None
        installation = self.installation_tokens.get(credential)
        if installation and installation[1] > time.time():
            slug = self.app.slug if self.app else "app"
            return Identity(f"installation:{installation[0]}", f"{slug}[bot]", installation[0], installation[0])
        if self.tokens is None or credential in self.tokens:
            login = self.token_owner(credential)
            member = self.store.user(login) if login else None
            return Identity(f"token:{credential}", login, member.id if member else stable_id("token", credential))
        return None

    def token_owner(self, credential: str) -> str | None:
        """The login a personal token belongs to: the one ``tokens`` maps it to, else the configured
        ``viewer``, else the scenario's first org admin (else its first member), as GitHub answers a token's
        owner for ``viewer`` and ``GET /user``. None when the scenario has nobody."""
        login = (self.tokens or {}).get(credential) or self.viewer
        if login:
            return login
        for org in self.store.orgs.values():
            admin = next((m for m in org.members.values() if m.role == "admin"), None)
            if admin:
                return admin.login
        return next((m.login for m in self.store.users.values()), None)

    def verify_app_jwt(self, header: str | None) -> str | None:
        """None when the header carries a valid JWT for the configured app, else GitHub's error message."""
        scheme, _, token = (header or "").partition(" ")
        if self.app is None or scheme.lower() != "bearer" or token.count(".") != 2:
            return "A JSON web token could not be decoded"
        try:
            claims = jwt.decode(token.strip(), self.app.public_key, algorithms=["RS256"], leeway=60,
                                options={"require": ["iat", "exp", "iss"]})
        except jwt.ExpiredSignatureError:
            return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        except jwt.PyJWTError:
            return "A JSON web token could not be decoded"
        if str(claims["iss"]) != str(self.app.id):
            return "A JSON web token could not be decoded"
        if claims["exp"] - max(claims["iat"], time.time() - 60) > JWT_MAX_LIFETIME + 60:
            return "'Expiration time' claim ('exp') is too far in the future"
        return None
