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

    def service(self, name: str, owner: str | None, repo: str | None, resources: list[str],
                aliases: list[str] | tuple = ()) -> None:
        seen = {name}
        clean = []
        for a in aliases:
            if a and a not in seen:
                seen.add(a)
                clean.append(a)
        self.services.append({"name": name, "aliases": clean, "owner": owner,
                              "repo": self.full(repo) if repo else None, "resources": list(resources)})

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
        org = {"login": self.org_login, "name": self.org_name, "members": list(self.members.values()),
               "teams": list(self.teams.values()), "repos": list(self.repos.values())}
        return {"format": FORMAT, "name": self.name, "description": description,
                "aws": {"accounts": accounts}, "github": {"orgs": [org]},
                "truth": {"services": self.services, "excluded_repos": self.excluded}}
