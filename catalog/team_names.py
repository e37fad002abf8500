"""Team names: who a free-text owner name means. Reconcile uses it to keep one team's resources together, the
ownership model to score owners; both build a ``TeamDirectory`` from the GitHub teams and members discovery saw.

- ``team_keys``: the catalog's name of each GitHub team (``org/slug`` when two organizations share a slug).
- ``TeamDirectory``: team names in their common spellings (``@acme/payments``, ``Payments``, ``payments-team``,
  a member's login or e-mail) -> team keys; ``in_org`` reads them in one organization's context.
- ``owner_tag_values``, ``tag_votes``: the owner-like tags of resources and the teams they vote for.

Pure and deterministic; no app imports (``catalog.naming`` re-exports these names).
"""
from __future__ import annotations

import copy
import re
from collections import defaultdict
from typing import Any, Iterable


# Tag keys that name an owner, compared lowercase with separators removed.
OWNER_TAG_KEYS = ("team", "owningteam", "ownerteam", "teamname", "teamowner", "githubteam", "squad",
                  "owner", "ownedby", "owners", "techowner", "technicalowner", "group", "maintainer",
                  "maintainers", "maintainedby")
_KEY_CLEAN = re.compile(r"[^a-z0-9]")
_TEAM_NOISE = ("team", "squad", "group", "the", "legacy", "old", "former")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _team_slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def team_keys(teams: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The catalog's name of each GitHub team, by (organization, slug): its slug, or ``org/slug`` when a team
    of another organization discovered with it has the same slug (after an acquisition both companies may
    have a ``payments`` team; they are different teams)."""
    pairs = list(dict.fromkeys((str(org or ""), str(slug)) for org, slug in teams))
    orgs_of: dict[str, set[str]] = defaultdict(set)
    for org, slug in pairs:
        orgs_of[slug.lower()].add(org.lower())
    return {(org, slug): f"{org}/{slug}" if len(orgs_of[slug.lower()]) > 1 and org else slug for org, slug in pairs}


def owner_tag_values(tags: dict[str, str]) -> list[str]:
    """Values of the owner-like tags of one resource, most specific key first."""
    found: dict[str, str] = {}
    for key, value in (tags or {}).items():
        k = _KEY_CLEAN.sub("", key.lower())
        if k in OWNER_TAG_KEYS and value and str(value).strip():
            found.setdefault(k, str(value).strip())
    return [found[k] for k in OWNER_TAG_KEYS if k in found]


class TeamDirectory:
    """GitHub teams and members of the organization(s), and how free-text owner names map to them."""

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> "TeamDirectory":
        """From its arguments as data (``{"teams", "members", "memberships"}``, as reconcile hands them over)."""
        data = data or {}
        return cls(data.get("teams") or (), data.get("members") or (),
                   [tuple(m) for m in data.get("memberships") or ()])

    def __init__(self, teams: Iterable[dict[str, Any]] = (), members: Iterable[dict[str, Any]] = (),
                 memberships: Iterable[tuple[str, str]] = ()):
        """``teams``: {"slug", "name", "parent", "members"}; ``members``: {"login", "email", "name"};
        ``memberships``: extra (login, team slug) pairs (from member_of links)."""
        self.teams: dict[str, dict[str, Any]] = {}
        self.org: str | None = None  # the organization a bare team name means first (``in_org``)
        for team in teams:
            slug = team["slug"]
            self.teams[slug] = team
        # Each team answers to its slug, name and their noise-free forms, within its organization. A name
        # that teams of several organizations answer to (two companies' ``payments``) is ambiguous: it
        # means a team only in the context of an organization, or with the organization written out.
        self._by_org_key: dict[tuple[str, str], str] = {}
        for slug, team in self.teams.items():
            org = str(team.get("org") or "").lower()
            for key in self._name_keys(slug.rsplit("/", 1)[-1], team.get("name") or ""):
                self._by_org_key.setdefault((org, key), slug)
        answering: dict[str, set[str]] = defaultdict(set)
        for (org, key), slug in self._by_org_key.items():
            answering[key].add(org)
        self._orgs = {org for org, _ in self._by_org_key if org}
        self._by_key: dict[str, str] = {}
        self._ambiguous: set[str] = set()
        for (org, key), slug in self._by_org_key.items():
            if len(answering[key]) > 1:
                self._ambiguous.add(key)
            else:
                self._by_key[key] = slug
        raw: dict[str, set[str]] = defaultdict(set)
        for slug, team in self.teams.items():
            for login in team.get("members") or ():
                raw[login.lower()].add(slug)
        for login, slug in memberships:
            if slug in self.teams:
                raw[login.lower()].add(slug)
        self.user_teams = {login: self._most_specific(slugs) for login, slugs in raw.items()}
        self.email_login = {str(m["email"]).lower(): m["login"].lower() for m in members if m.get("email")}
        self.logins = {m["login"].lower() for m in members} | set(raw)

    @classmethod
    def _name_keys(cls, slug: str, name: str) -> list[str]:
        keys = [slug, _team_slug(name), cls._compact(slug), cls._compact(name)]
        stripped = cls._strip_noise(slug)
        if stripped:
            keys += [stripped, cls._compact(stripped)]
        return [k for k in keys if k]

    def in_org(self, org: str | None) -> "TeamDirectory":
        """This directory where a bare name several organizations' teams answer to means ``org``'s team
        (a name written in that organization's repository, or on a service deployed from one)."""
        view = copy.copy(self)
        view.org = str(org).lower() if org else None
        return view

    @staticmethod
    def _compact(value: str) -> str:
        return re.sub(r"[^a-z0-9]", "", value.lower())

    @staticmethod
    def _strip_noise(value: str) -> str:
        parts = [p for p in _team_slug(value).split("-") if p]
        while len(parts) > 1 and parts[-1] in _TEAM_NOISE:
            parts.pop()
        while len(parts) > 1 and parts[0] in _TEAM_NOISE:
            parts.pop(0)
        return "-".join(parts)

    def ancestors(self, slug: str) -> set[str]:
        seen: set[str] = set()
        parent = (self.teams.get(slug) or {}).get("parent")
        while parent and parent not in seen:
            seen.add(parent)
            parent = (self.teams.get(parent) or {}).get("parent")
        return seen

    def _most_specific(self, slugs: set[str]) -> tuple[str, ...]:
        inherited = set().union(*(self.ancestors(s) for s in slugs)) if slugs else set()
        return tuple(sorted(slugs - inherited))

    def is_known(self, team: str) -> bool:
        """A GitHub team (everything counts as known when we see no GitHub teams at all)."""
        return not self.teams or team in self.teams

    def teams_of_user(self, login: str) -> tuple[str, ...]:
        """A person's teams; one in teams of several orgs (an engineer of the acquired company who also joined
        the parent's team) speaks, in an organization's context, for their teams there."""
        teams = self.user_teams.get(login.lower().lstrip("@"), ())
        if self.org is not None and len(teams) > 1:
            mine = tuple(t for t in teams if str(self.teams[t].get("org") or "").lower() == self.org)
            return mine or teams
        return teams

    def team_for(self, value: str) -> str | None:
        """The GitHub team a team-ish name refers to ("@acme/payments", "Payments", "payments-team")."""
        v = value.strip().lower()
        for prefix in ("group:", "team:"):
            if v.startswith(prefix):
                v = v[len(prefix):]
        v = v.lstrip("@")
        org = self.org
        if "/" in v:
            if v in self.teams:  # a team key written out: "quillpay/payments"
                return v
            written, v = v.rsplit("/", 1)
            written = written.rsplit("/", 1)[-1]
            if written in self._orgs:  # "@org/team": that org's team
                org = written
        for key in (v, _team_slug(v), self._compact(v), self._strip_noise(v), self._compact(self._strip_noise(v))):
            if not key:
                continue
            if key in self._by_key:
                return self._by_key[key]
            if org is not None and (org, key) in self._by_org_key:
                return self._by_org_key[(org, key)]
        return None

    def resolve(self, value: str, *, keep_unknown: bool) -> tuple[str, ...]:
        """Team slugs an owner reference names: a team, a user (their teams) or an email.

        With ``keep_unknown`` a name that matches no GitHub team or person is kept as a slug
        (a tag or catalog-info may name a team that has no GitHub team)."""
        value = str(value or "").strip()
        if not value:
            return ()
        lowered = value.lower()
        if lowered.startswith("user:"):
            login = lowered[5:].rsplit("/", 1)[-1]
            return self.teams_of_user(login)
        if _EMAIL.match(lowered):
            login = self.email_login.get(lowered)
            if login:
                return self.teams_of_user(login)
            team = self.team_for(lowered.split("@", 1)[0])
            return (team,) if team else ()
        if lowered.startswith("@") and "/" not in lowered:
            login = lowered[1:]
            if login in self.user_teams or login in self.logins:
                return self.teams_of_user(login)
            team = self.team_for(login)
            return (team,) if team else ()
        team = self.team_for(value)
        if team:
            return (team,)
        bare = lowered.rsplit("/", 1)[-1].split(":")[-1]
        if bare in self.user_teams:
            return self.teams_of_user(bare)
        if any(k in self._ambiguous for k in (bare, _team_slug(bare), self._compact(bare), self._strip_noise(bare))):
            return ()  # several organizations' teams answer to it: no one team, and no unknown team either
        if keep_unknown or not self.teams:
            slug = self._strip_noise(bare)
            return (slug,) if slug else ()
        return ()


def tag_votes(resource_tags: Iterable[dict[str, str]], directory: TeamDirectory) -> dict[str, float]:
    votes: dict[str, float] = defaultdict(float)
    for tags in resource_tags:
        teams: list[str] = []
        for value in owner_tag_values(tags):
            for team in directory.resolve(value, keep_unknown=True):
                if team not in teams:
                    teams.append(team)
        for team in teams:
            votes[team] += 1.0 / len(teams)
    return dict(votes)

