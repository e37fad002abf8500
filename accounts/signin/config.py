"""Sign-in providers from the environment, as django-allauth's ``SOCIALACCOUNT_PROVIDERS``.

Providers are configured here, never as ``SocialApp`` rows: one configuration serves every tenant, and
no tenant needs ``django.contrib.sites``. Imported by portal/settings.py, so nothing here touches Django's
settings or models.

GitHub (OAuth app): ``ROSTER_GITHUB_OAUTH_CLIENT_ID``, ``ROSTER_GITHUB_OAUTH_SECRET``; for GitHub
Enterprise Server ``ROSTER_GITHUB_OAUTH_URL`` (its web root, e.g. https://github.example.com; the API is
``<that>/api/v3``). In local-peers mode the provider points at the GitHub emulator, with the emulator's
development app (``LOCAL_CLIENT_ID`` / ``LOCAL_SECRET``) unless credentials are given.

OpenID Connect: ``ROSTER_OIDC_PROVIDERS``, a JSON list of ``{"id", "name", "server_url", "client_id",
"secret"}`` with optional ``allowed_domains`` (list), ``require_verified_email`` (default true), ``scope``
(list) and ``token_auth_method`` (``client_secret_post`` | ``client_secret_basic``); or one provider from
``ROSTER_OIDC_SERVER_URL``, ``ROSTER_OIDC_CLIENT_ID``, ``ROSTER_OIDC_SECRET``, ``ROSTER_OIDC_NAME``
(default "OpenID Connect") and ``ROSTER_OIDC_ID`` (default "oidc"). ``ROSTER_OIDC_ALLOWED_DOMAINS``
(comma-separated) applies to every provider that sets no ``allowed_domains`` of its own.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

GITHUB_SCOPE = ["read:org", "user:email"]  # org and team membership, and the verified email addresses
# The GitHub emulator registers this OAuth app for itself (peers/github_emulator/oauth.py): local-peers only.
LOCAL_CLIENT_ID = "roster-local-dev"
LOCAL_SECRET = "roster-local-dev-secret"
PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
OIDC_KEYS = {"id", "name", "server_url", "client_id", "secret", "allowed_domains", "require_verified_email",
             "scope", "token_auth_method"}


def _domains(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return sorted({str(d).strip().lower().lstrip("@") for d in items if str(d).strip()})


def github_provider(env: Mapping[str, str], *, local_peers: bool = False, emulator_url: str = "") -> dict | None:
    client_id = env.get("ROSTER_GITHUB_OAUTH_CLIENT_ID", "").strip()
    secret = env.get("ROSTER_GITHUB_OAUTH_SECRET", "").strip()
    url = env.get("ROSTER_GITHUB_OAUTH_URL", "").strip().rstrip("/")
    if local_peers and emulator_url:
        url = emulator_url.rstrip("/")
        if not client_id:
            client_id, secret = LOCAL_CLIENT_ID, LOCAL_SECRET
    if not client_id:
        return None
    if not secret:
        raise ImproperlyConfigured("ROSTER_GITHUB_OAUTH_CLIENT_ID is set but ROSTER_GITHUB_OAUTH_SECRET is not")
    provider: dict[str, Any] = {
        "APPS": [{"client_id": client_id, "secret": secret, "key": ""}],
        "SCOPE": list(GITHUB_SCOPE),
        "OAUTH_PKCE_ENABLED": True,
    }
    if url:
        provider["GITHUB_URL"] = url  # allauth derives <url>/login/oauth/... and the API root <url>/api/v3
    return provider


def oidc_apps(env: Mapping[str, str]) -> list[dict]:
    default_domains = _domains(env.get("ROSTER_OIDC_ALLOWED_DOMAINS", ""))
    raw = env.get("ROSTER_OIDC_PROVIDERS", "").strip()
    if raw:
        try:
            entries = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImproperlyConfigured(f"ROSTER_OIDC_PROVIDERS is not valid JSON: {exc}") from None
        if isinstance(entries, dict):
            entries = [entries]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ImproperlyConfigured("ROSTER_OIDC_PROVIDERS must be a JSON list of objects")
    elif env.get("ROSTER_OIDC_SERVER_URL", "").strip():
        entries = [{"id": env.get("ROSTER_OIDC_ID", "oidc"), "name": env.get("ROSTER_OIDC_NAME", "OpenID Connect"),
                    "server_url": env.get("ROSTER_OIDC_SERVER_URL", ""),
                    "client_id": env.get("ROSTER_OIDC_CLIENT_ID", ""), "secret": env.get("ROSTER_OIDC_SECRET", "")}]
    else:
        return []
    apps, seen = [], set()
    for entry in entries:
        unknown = set(entry) - OIDC_KEYS
        if unknown:
            raise ImproperlyConfigured(f"OIDC provider: unknown keys {sorted(unknown)}; known: {sorted(OIDC_KEYS)}")
        provider_id = str(entry.get("id") or "").strip().lower()
        if not PROVIDER_ID.match(provider_id) or provider_id in seen or provider_id == "github":
            raise ImproperlyConfigured(f"OIDC provider id {provider_id!r}: lowercase letters, digits, - and _, unique")
        seen.add(provider_id)
        for key in ("server_url", "client_id"):
            if not str(entry.get(key) or "").strip():
                raise ImproperlyConfigured(f"OIDC provider {provider_id!r}: {key} is required")
        settings: dict[str, Any] = {
            "server_url": str(entry["server_url"]).strip(),
            "allowed_domains": _domains(entry["allowed_domains"]) if "allowed_domains" in entry else default_domains,
            "require_verified_email": bool(entry.get("require_verified_email", True)),
            "oauth_pkce_enabled": True,
        }
        if entry.get("scope"):
            settings["scope"] = list(entry["scope"])
        if entry.get("token_auth_method"):
            settings["token_auth_method"] = str(entry["token_auth_method"])
        apps.append({"provider_id": provider_id, "name": str(entry.get("name") or provider_id)[:40],
                     "client_id": str(entry["client_id"]).strip(), "secret": str(entry.get("secret") or ""),
                     "settings": settings})
    return apps


def socialaccount_providers(env: Mapping[str, str], *, local_peers: bool = False, emulator_url: str = "") -> dict:
    providers: dict[str, Any] = {}
    github = github_provider(env, local_peers=local_peers, emulator_url=emulator_url)
    if github:
        providers["github"] = github
    apps = oidc_apps(env)
    if apps:
        providers["openid_connect"] = {"APPS": apps, "OAUTH_PKCE_ENABLED": True}
    return providers
