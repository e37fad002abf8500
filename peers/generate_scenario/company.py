"""One generated company: the AWS side, the GitHub side and the truth, all drawn from one seeded RNG."""
from __future__ import annotations

import random
from typing import Callable

from .aws import AwsSide, Region
from .github import GitHubSide
from .vocab import FORMAT


class Company(AwsSide, GitHubSide):
    """Accumulates one scenario: AWS regions, the GitHub org and the truth, all from one seeded RNG."""

    def __init__(self, style: str, name: str, seed: int, org: str, org_name: str, domain: str):
        self.rng = random.Random(f"{style}|{name}|{seed}")
        self.name, self.org_login, self.domain = name, org, domain
        self.org_name = org_name
        self.accounts: dict[str, str] = {}            # account name -> id
        self.regions: dict[tuple[str, str], Region] = {}
        self.members: dict[str, dict] = {}
        self.teams: dict[str, dict] = {}
        self.teams_of: dict[str, set[str]] = {}
        self.repos: dict[str, dict] = {}
        self.services: list[dict] = []
        self.excluded: list[str] = []
        self.used_names: set[str] = set()
        self.commit_range = (6, 16)
        self.other_orgs: dict[str, dict] = {}          # login -> the GitHub state of the orgs not in use (add_org)
        self.other_logins: set[str] = set()            # people of those orgs: a login is one person on GitHub
        self.org_logins = [org]                        # in the order they were created

    # -- several GitHub organizations: the GitHub mixin works on the one in use, the others wait here
    _ORG_STATE = ("org_login", "org_name", "domain", "members", "teams", "teams_of", "repos")

    def add_org(self, login: str, name: str, domain: str) -> None:
        """Another organization (an acquired company's), put in use; ``use_org`` switches back."""
        self._park()
        self.org_logins.append(login)
        self.org_login, self.org_name, self.domain = login, name, domain
        self.members, self.teams, self.teams_of, self.repos = {}, {}, {}, {}

    def use_org(self, login: str) -> None:
        if login != self.org_login:
            self._park()
            state = self.other_orgs.pop(login)
            for key in self._ORG_STATE:
                setattr(self, key, state[key])
            self.other_logins -= set(self.members)

    def invite(self, login: str, from_org: str) -> None:
        """A person of another organization joins the one in use (one GitHub login, one person)."""
        self.members[login] = self.other_orgs[from_org]["members"][login]
        self.teams_of.setdefault(login, set())

    def _park(self) -> None:
        self.other_orgs[self.org_login] = {key: getattr(self, key) for key in self._ORG_STATE}
        self.other_logins |= set(self.members)

    def org_states(self) -> list[dict]:
        """Every organization's state, the first one created first."""
        current = {key: getattr(self, key) for key in self._ORG_STATE}
        states = {**self.other_orgs, self.org_login: current}
        return [states[login] for login in self.org_logins]

    def service(self, name: str, owner: str | None, repo: str | None, resources: list[str],
                aliases: list[str] | tuple = ()) -> None:
        seen = {name}
        clean = []
        for a in aliases:
            if a and a not in seen:
                seen.add(a)
                clean.append(a)
        # a repository of another organization is given as "org/name"
        full = (repo if "/" in repo else self.full(repo)) if repo else None
        self.services.append({"name": name, "aliases": clean, "owner": owner, "repo": full, "resources": list(resources)})

    def unique(self, candidates: Callable[[], str]) -> str:
        for attempt in range(500):
            name = candidates() + ("" if attempt < 200 else f"-v{self.rng.randint(2, 9)}")  # big companies redo things
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("name space exhausted; use fewer services")

    def fresh(self, candidates: list[str]) -> str:
        """One of ``candidates`` (in random order) that no other resource uses yet."""
        for name in self.rng.sample(candidates, len(candidates)):
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        return self.fresh([f"{n}-{self.rng.randint(2, 9)}" for n in candidates])

    def document(self, description: str) -> dict:
        accounts = []
        for acct_name, acct_id in self.accounts.items():
            regions = [r.to_dict() for (a, _), r in self.regions.items() if a == acct_name]
            accounts.append({"id": acct_id, "name": acct_name, "regions": regions})
        orgs = [{"login": o["org_login"], "name": o["org_name"], "members": list(o["members"].values()),
                 "teams": list(o["teams"].values()), "repos": list(o["repos"].values())} for o in self.org_states()]
        return {"format": FORMAT, "name": self.name, "description": description,
                "aws": {"accounts": accounts}, "github": {"orgs": orgs},
                "truth": {"services": self.services, "excluded_repos": self.excluded}}
