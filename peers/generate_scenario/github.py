"""The GitHub side of a company: people, (nested) teams, repositories with their commit history,
and the ownership signals a repository carries (CODEOWNERS, team permissions, catalog-info)."""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from .repo_files import catalog_info, codeowners_file
from .vocab import FIRST, LANG_EXTRA, LAST, MESSAGES, NOW, iso

Rule = tuple[str, list[str]]  # a CODEOWNERS rule: (pattern, owners)


class GitHubSide:
    """The company's GitHub organization in use (``Company.add_org``); a ``Company`` mixin."""

    rng: random.Random
    org_login: str
    domain: str
    members: dict[str, dict]
    teams: dict[str, dict]
    teams_of: dict[str, set[str]]
    repos: dict[str, dict]
    excluded: list[str]
    commit_range: tuple[int, int]
    other_logins: set[str]

    # -- GitHub people and teams
    def person(self, email_style: str = "login") -> str:
        rng = self.rng
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            login = rng.choice([f"{first}{last}", f"{first}-{last}", f"{first}-{last}{rng.randint(1, 99)}",
                                f"{first[0]}{last}", f"{first}{last[0]}{rng.randint(1, 9)}"])
            if login not in self.members and login not in self.other_logins:
                break
        email = f"{login}@{self.domain}"
        if email_style == "name":
            email = f"{first}.{last}@{self.domain}"
            if any(m["email"] == email for m in self.members.values()):
                email = f"{first}.{last}{len(self.members)}@{self.domain}"
        self.members[login] = {"login": login, "name": f"{first.title()} {last.title()}", "email": email}
        self.teams_of[login] = set()
        return login

    def team(self, slug: str, name: str, size: int, *, parent: str | None = None, description: str | None = None,
             email_style: str = "login") -> dict:
        members = [self.person(email_style) for _ in range(size)]
        team = {"slug": slug, "name": name, "description": description if description is not None
                else f"The {name} team", "parent": parent, "members": members, "repos": {}}
        self.teams[slug] = team
        for m in members:
            self.teams_of[m].add(slug)
        return team

    def join(self, login: str, slug: str) -> None:
        self.teams[slug]["members"].append(login)
        self.teams_of[login].add(slug)

    def cross_members(self, slugs: list[str], count: int) -> None:
        """A few people belong to two teams (a guild, a secondment); never the only solo member of a team."""
        for _ in range(count):
            src, dst = self.rng.sample(slugs, 2)
            solo = [m for m in self.teams[src]["members"] if self.teams_of[m] == {src}]
            if len(solo) > 2:
                self.join(self.rng.choice(solo), dst)

    def solo(self, slug: str) -> list[str]:
        members = self.teams[slug]["members"]
        only = [m for m in members if self.teams_of[m] == {slug}]
        return only if len(only) >= 2 else members

    def grant(self, slug: str, repo: str, perm: str) -> None:
        self.teams[slug]["repos"][repo] = perm

    # -- repositories
    def commits(self, team: str | None, n: int, newest: datetime, *, share: float = 0.8,
                history: str | None = None) -> list[dict]:
        """Newest first. ``team`` writes most commits; ``history`` (a previous owner) wrote the oldest ones."""
        rng = self.rng
        everyone = sorted(self.members)
        for attempt in range(200):
            out, when = [], newest
            for i in range(n):
                if history and i >= n * 0.6:
                    author = rng.choice(self.solo(history))
                elif team and rng.random() < (share if attempt < 20 else 1.0):
                    author = rng.choice(self.solo(team))
                else:
                    author = rng.choice(everyone)
                out.append({"author": author, "date": iso(when), "message": rng.choice(MESSAGES)})
                when -= timedelta(hours=rng.randint(4, 96))
            if team is None or self.top_committer_team(out) == team:
                return out
        raise RuntimeError(f"cannot make {team} the main committer")

    def top_committer_team(self, commits: list[dict]) -> str | None:
        counts: Counter = Counter()
        for c in commits:
            for t in self.teams_of.get(c["author"], ()):
                counts[t] += 1
        best = counts.most_common(2)
        if not best or (len(best) == 2 and best[0][1] == best[1][1]):
            return None
        return best[0][0]

    def repo(self, name: str, team: str | None, *, description: str, language: str | None, files: dict[str, str],
             topics: list[str] | None = None, archived: bool = False, fork: bool = False, n_commits: int | None = None,
             newest: datetime | None = None, history: str | None = None, share: float = 0.8,
             branch: str = "main") -> dict:
        rng = self.rng
        newest = newest or NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 20))
        n = n_commits if n_commits is not None else rng.randint(*self.commit_range)
        size = rng.randint(20, 400) * 1000
        languages = {language: size, LANG_EXTRA.get(language, "Shell"): rng.randint(300, 4000)} if language else {}
        repo = {"name": name, "description": description, "language": language, "languages": languages,
                "topics": topics or [], "archived": archived, "fork": fork, "default_branch": branch,
                "pushed_at": iso(newest), "files": dict(files),
                "commits": self.commits(team, n, newest, share=share, history=history)}
        self.repos[name] = repo
        return repo

    def full(self, repo: str) -> str:
        return f"{self.org_login}/{repo}"

    # -- ownership signals
    def owners(self, team: str, mode: str, *, departed: bool = False) -> list[str]:
        """Who a CODEOWNERS catch-all names for ``team``: the team itself (``team``), two of its people
        (``users``), their e-mails (``emails``) or one of each (``mixed``); ``departed`` adds a gone user."""
        rng = self.rng
        people = rng.sample(self.solo(team), min(2, len(self.solo(team))))
        if mode == "team":
            owners = [f"@{self.org_login}/{team}"]
        elif mode == "users":
            owners = [f"@{p}" for p in people]
        elif mode == "emails":
            owners = [self.members[p]["email"] for p in people]
        else:  # mixed
            owners = [f"@{people[0]}", self.members[people[-1]]["email"]]
        if departed:
            owners.append(f"@{rng.choice(FIRST)}-{rng.choice(LAST)}-old")
        return owners

    def codeowners(self, team: str, mode: str, *, header: bool = True, extra: Sequence[Rule] = (),
                   departed: bool = False) -> str:
        """A CODEOWNERS file whose catch-all rule names ``team`` (see ``owners``), then the ``extra`` rules."""
        rules = [("*", self.owners(team, mode, departed=departed)), *extra]
        return codeowners_file(rules, comment="Code owners for this repository" if header else None)

    def own(self, repo: str, team: str, *, p_codeowners: float, places: tuple[str, ...] = ("CODEOWNERS",),
            mode: str = "team", p_perm: float = 0.7, p_catalog: float = 0.15, force: int = 0,
            catalog_name: str | None = None, catalog_type: str = "service", extra_rules: Sequence[Rule] = (),
            departed: bool = False) -> int:
        """Add ownership signals to ``repo`` for ``team``; returns how many (commits count as one).

        ``force`` asks for at least that many explicit signals (CODEOWNERS unless ``p_codeowners`` is 0,
        then a team permission, then catalog-info) so a conflicting stale signal elsewhere is outvoted.
        """
        rng = self.rng
        files = self.repos[repo]["files"]
        want_co = p_codeowners > 0 and (rng.random() < p_codeowners or force >= 1)
        want_perm = rng.random() < p_perm or force >= 1 + (p_codeowners > 0)
        want_cat = rng.random() < p_catalog or force >= 2 + (p_codeowners > 0)
        if want_co:
            files[rng.choice(places)] = self.codeowners(team, mode, extra=extra_rules, departed=departed)
        if want_perm:
            self.grant(team, repo, rng.choice(["admin", "maintain", "maintain"]))
        if want_cat:
            owner = rng.choice([f"group:{team}", team, f"group:default/{team}"])
            files["catalog-info.yaml"] = catalog_info(
                catalog_name or repo, owner, kind_type=catalog_type, description=self.repos[repo]["description"],
                slug=self.full(repo))
        # noise: a neighbour with push, platform with triage
        others = [t for t in self.teams if t != team and self.teams[t]["members"]]
        if rng.random() < 0.3 and others:
            self.grant(rng.choice(others), repo, rng.choice(["push", "triage", "pull"]))
        return 1 + want_co + want_perm + want_cat

    def exclude(self, repo: str) -> None:
        self.excluded.append(self.full(repo))
