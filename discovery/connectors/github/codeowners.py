"""Parse GitHub CODEOWNERS files and answer "who owns this path".

GitHub's syntax: one rule a line, ``<pattern> <owner>...``; ``#`` starts a comment at the start of
a line or of a word; ``\\`` escapes the next character (``\\#`` for a literal leading hash,
``\\ `` for a space in a pattern). Patterns follow gitignore rules except that GitHub does not
support ``!`` negation or ``[ ]`` character ranges. Owners are ``@org/team``, ``@user`` or an
email address. A pattern with no owners is valid: it un-owns the paths it matches. The last
matching rule wins. GitHub skips invalid lines; so do we, and report each as a warning.

The ``codeowners`` package (0.9.0) is used for glob matching only (``path_to_regex``, a port of
hmarr/codeowners' matcher). Its parser is not used: it raises on an unbalanced ``[`` (one bad
line loses the whole file), reads ``[x]`` lines as GitLab sections, accepts ``[a-z]`` ranges
and ``!`` patterns, silently drops malformed owners instead of reporting them, and turns an
escaped space into slashes before matching, which anchors otherwise unanchored patterns.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Pattern

from codeowners import path_to_regex

# GitHub's precedence: the first of these that exists is the one GitHub uses.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_TEAM = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_USER = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_-]*$")
_EMAIL = re.compile(r"^[^@\s/\\]+@[^@\s/\\]+\.[^@\s/\\.]+$")


@dataclass
class Rule:
    line: int                 # 1-based line in the file
    pattern: str              # as written, escapes kept (the form path_to_regex expects)
    owners: list[str]
    order: int                # 0-based position among valid rules; a higher order wins
    regex: Pattern[str] | None = field(default=None, repr=False, compare=False)

    def matches(self, path: str) -> bool:
        return self.regex is not None and self.regex.search(path) is not None


@dataclass
class CodeownersFile:
    rules: list[Rule] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # {"line": int, "reason": str}


def _tokens(line: str) -> tuple[list[str], str | None]:
    """Split a line into words, honouring ``\\`` escapes and ``#`` comments.

    Words keep their backslashes. Returns (words, error)."""
    words: list[str] = []
    cur: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\":
            if i + 1 >= n:
                return words + ["".join(cur)] if cur else words, "line ends with a dangling escape (\\)"
            cur.append(line[i:i + 2])
            i += 2
            continue
        if ch in " \t":
            if cur:
                words.append("".join(cur))
                cur = []
        elif ch == "#" and not cur:
            break  # comment: at the start of the line or of a word
        else:
            cur.append(ch)
        i += 1
    if cur:
        words.append("".join(cur))
    return words, None


def _unescaped(pattern: str, chars: str) -> bool:
    """True when any of ``chars`` occurs in ``pattern`` outside a ``\\`` escape."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] in chars:
            return True
        i += 1
    return False


def _pattern_error(pattern: str) -> str | None:
    if pattern.startswith("!"):
        return "negation (!) is not supported in CODEOWNERS"
    if _unescaped(pattern, "[]"):
        return "character ranges ([ ]) are not supported in CODEOWNERS"
    if pattern.strip("/") == "":
        return "empty pattern"
    return None


def _owner_error(owner: str) -> str | None:
    if _TEAM.match(owner) or _USER.match(owner) or _EMAIL.match(owner):
        return None
    return f"invalid owner {owner!r} (expected @org/team, @user or an email address)"


def parse_codeowners(text: str | None) -> CodeownersFile:
    """Parse CODEOWNERS text. Never raises; invalid lines become warnings and are skipped."""
    result = CodeownersFile()
    if not text:
        return result
    text = text.lstrip("\ufeff")
    for lineno, raw in enumerate(text.splitlines(), start=1):
        words, error = _tokens(raw)
        if error:
            result.warnings.append({"line": lineno, "reason": error})
            continue
        if not words:
            continue
        pattern, owners = words[0], words[1:]
        error = _pattern_error(pattern) or next(filter(None, map(_owner_error, owners)), None)
        regex = None
        if error is None:
            try:
                regex = path_to_regex(pattern)
            except (ValueError, re.error) as exc:
                error = f"unusable pattern: {exc}"
        if error:
            result.warnings.append({"line": lineno, "reason": error})
            continue
        result.rules.append(Rule(line=lineno, pattern=pattern, owners=owners, order=len(result.rules), regex=regex))
    return result


def _normalize_path(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def matching_rule(file: CodeownersFile, path: str) -> Rule | None:
    """The rule that decides ``path`` (the last one that matches), or None."""
    path = _normalize_path(path)
    for rule in reversed(file.rules):
        if rule.matches(path):
            return rule
    return None


def owners_for(file: CodeownersFile, path: str) -> list[str]:
    """Owners of a repository path (relative to the root); [] when unowned."""
    rule = matching_rule(file, path)
    return list(rule.owners) if rule else []


def pick_codeowners(files: dict[str, str | None]) -> tuple[str | None, str | None]:
    """The CODEOWNERS file GitHub would use: the first location that exists.

    A file that exists but could not be read (None) is still the one GitHub uses, so it is
    returned with text None rather than falling through to a later location."""
    for location in CODEOWNERS_LOCATIONS:
        if location in files:
            return location, files[location]
    return None, None
