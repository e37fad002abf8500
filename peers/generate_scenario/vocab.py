"""Vocabularies and small naming helpers every style draws on: people's names, commit messages,
languages, the scenario's fixed clock, and CamelCase / ISO dates / generated ids."""
from __future__ import annotations

import random
import re
import string
from datetime import datetime, timezone

FORMAT = "roster-scenario/1"
NOW = datetime(2026, 10, 20, 16, 0, tzinfo=timezone.utc)

FIRST = ("ada alan alice amir ana ben bea carl chen dana dev eli emma eva finn gia hana ian ida ivan jade jon "
         "kai kim lea leo lin liv mae max mei mia nia noa olga omar pia raj ren rita sam sara tao tara tom uma "
         "ugo vera wen will xena yan yuri zoe zara bo cyd dom fay gus hal ike jas kip lou").split()
LAST = ("ng khan fox diaz novak kim muller berg costa eze wang li silva smith garcia kaur patel ito sato rossi "
        "dubois nagy horvat ali okafor mensah lund holm ortiz reyes park cho singh weber braun").split()
MESSAGES = (
    "fix: handle empty payload", "feat: add pagination", "chore(deps): bump aws-sdk", "refactor: split handler",
    "docs: update README", "test: cover retry path", "perf: cache lookups", "ci: pin action versions",
    "fix: retry on throttling", "feat: emit metrics", "chore: tidy logging", "fix: timezone bug",
    "build: upgrade runtime", "feat: add healthcheck", "fix: null check in mapper", "feat: new endpoint",
    "chore: bump base image", "test: flaky integration test", "fix: idempotency key", "refactor: config loading",
)
LANG_EXTRA = {"Python": "Shell", "TypeScript": "JavaScript", "JavaScript": "HTML", "Go": "Makefile",
              "Java": "Dockerfile", "Kotlin": "Java", "Ruby": "HTML", "C#": "PowerShell", "PHP": "Blade"}
RUNTIME_LANG = {"python": "Python", "nodejs": "TypeScript", "java": "Kotlin", "go": "Go", "provided": "Go",
                "ruby": "Ruby", "dotnet": "C#"}


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-_]", name) if p)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def rand_id(rng: random.Random, n: int = 12, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def language_for(runtime: str) -> str:
    return next(v for k, v in RUNTIME_LANG.items() if runtime.startswith(k))


def split(n: int, weights: list[tuple[str, float]], rng: random.Random) -> list[str]:
    """``n`` kinds in the given proportions (largest remainder), shuffled."""
    raw = [(k, w * n) for k, w in weights]
    counts = {k: int(v) for k, v in raw}
    for k, _ in sorted(raw, key=lambda kv: kv[1] - int(kv[1]), reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    out = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(out)
    return out
