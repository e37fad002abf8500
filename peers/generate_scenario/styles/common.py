"""Helpers the styles share: picking unused names, and the archived and forked repositories every
company has (excluded from the catalog)."""
from __future__ import annotations

from datetime import timedelta

from ..company import Company
from ..repo_files import codeowners_file, readme
from ..vocab import NOW, camel


def pick_name(c: Company, nouns: list[str], suffixes: list[str]) -> str:
    return c.unique(lambda: f"{c.rng.choice(nouns)}-{c.rng.choice(suffixes)}")


def archived_and_forks(c: Company, archived: list[tuple[str, str, str]], forks: list[tuple[str, str, str]]) -> None:
    """Excluded repos: (name, team, description) archived; (name, language, description) forks of upstream."""
    rng = c.rng
    for name, team, desc in archived:
        old = NOW - timedelta(days=rng.randint(300, 1400))
        files = {"README.md": readme(camel(name), f"**Deprecated.** {desc}", badges=False, repo=c.full(name))}
        if rng.random() < 0.6:
            files["CODEOWNERS"] = codeowners_file([("*", [f"@{c.org_login}/{team}"])])
        c.repo(name, team, description=f"[ARCHIVED] {desc}", language=rng.choice(["Python", "TypeScript", "Go"]),
               files=files, archived=True, newest=old, n_commits=rng.randint(3, 8))
        c.exclude(name)
    for name, lang, desc in forks:
        c.repo(name, None, description=desc, language=lang,
               files={"README.md": readme(name, desc, badges=True, repo=f"upstream/{name}")},
               fork=True, newest=NOW - timedelta(days=rng.randint(60, 700)), n_commits=rng.randint(2, 5))
        c.exclude(name)
