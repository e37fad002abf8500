"""Parse GitHub CODEOWNERS files and answer "who owns this path".

GitHub's syntax: one rule a line, ``<pattern> <owner>...``; ``#`` starts a comment at the start of
a line or of a word; ``\\`` escapes the next character (``\\#`` for a literal leading hash,
``\\ `` for a space in a pattern). Patterns follow gitignore rules except that GitHub does not
support ``!`` negation or ``[ ]`` character ranges. Owners are ``@org/team``, ``@user`` or an
email address. A pattern with no owners is valid: it un-owns the paths it matches. The last
matching rule wins. GitHub skips invalid lines; so do we, and report each as a warning.

Matching follows the ``codeowners`` package's ``path_to_regex`` (0.9.0, a port of hmarr/codeowners'
matcher) exactly, but runs the glob as a set-of-states automaton instead of a backtracking regex:
``*a*a*a*...`` as a regex costs exponential time on a path that almost matches, and CODEOWNERS is
tenant data. The package's parser is not used either: it raises on an unbalanced ``[`` (one bad
line loses the whole file), reads ``[x]`` lines as GitLab sections, accepts ``[a-z]`` ranges
and ``!`` patterns, silently drops malformed owners instead of reporting them, and turns an
escaped space into slashes before matching, which anchors otherwise unanchored patterns.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# GitHub's precedence: the first of these that exists is the one GitHub uses.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_TEAM = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_USER = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_-]*$")
_EMAIL = re.compile(r"^[^@\s/\\]+@[^@\s/\\]+\.[^@\s/\\.]+$")
# Longer than any path GitHub stores: such a "pattern" is junk, and costs work per path matched.
MAX_PATTERN = 4096

# Glob steps, as path_to_regex spells them: a literal char, ? -> [^/], * -> [^/]*,
# ** at the end -> .*, **/ -> (?:.*/)?
_LIT, _ONE, _STAR, _ANY, _DIRS = range(5)


class Glob:
    """A CODEOWNERS pattern compiled the way ``codeowners.path_to_regex`` compiles it, matched in
    O(len(path) x len(pattern)) by tracking the set of live positions (no backtracking)."""

    def __init__(self, pattern: str):
        slash = pattern.find("/")
        self.anchored = slash > -1 and slash != len(pattern) - 1
        # after the glob: "/" (a directory pattern), end of path ("/*"), or either
        self.suffix = "/" if pattern.endswith("/") else "end" if pattern.endswith("/*") else "end_or_slash"
        steps: list[tuple[int, str]] = []
        trimmed = pattern.strip("/")
        i, n = 0, len(trimmed)
        while i < n:
            ch = trimmed[i]
            if ch == "\\":
                if i + 1 < n:
                    steps.append((_LIT, trimmed[i + 1]))
                i += 2
                continue
            if ch in "[]":
                raise ValueError("character ranges are not supported")
            if ch == "*":
                if i + 1 < n and trimmed[i + 1] == "*" and (i == 0 or trimmed[i - 1] == "/") \
                        and (i + 2 == n or trimmed[i + 2] == "/"):
                    steps.append((_DIRS, "") if i + 2 < n else (_ANY, ""))
                    i += 3
                    continue
                step = (_STAR, "")
            elif ch == "?":
                step = (_ONE, "")
            else:
                step = (_LIT, ch)
            # [^/]*[^/]* is [^/]*: same language, fewer live states
            if step[0] == _STAR and steps and steps[-1][0] == _STAR:
                i += 1
                continue
            steps.append(step)
            i += 1
        self.steps = steps

    def _close(self, states: set[int], state: int) -> None:
        """Add ``state`` and what it reaches without reading a character."""
        steps, end = self.steps, len(self.steps)
        while state not in states:
            states.add(state)
            if state >= end:  # end, or the inside of a **/ (state end + 1 + index)
                return
            kind = steps[state][0]
            if kind == _DIRS:
                states.add(end + 1 + state)
            elif kind not in (_STAR, _ANY):
                return
            state += 1

    def _accepts(self, path: str, i: int) -> bool:
        if self.suffix == "/":
            return i < len(path) and path[i] == "/"
        return i == len(path) or (self.suffix == "end_or_slash" and path[i] == "/")

    def search(self, path: str) -> bool:
        steps, end = self.steps, len(self.steps)
        states: set[int] = set()
        for i in range(len(path) + 1):
            if i == 0 or (not self.anchored and path[i - 1] == "/"):
                self._close(states, 0)  # the glob may start here
            if end in states and self._accepts(path, i):
                return True
            if i == len(path):
                return False
            ch = path[i]
            following: set[int] = set()
            for state in states:
                if state > end:  # inside **/: any character but a newline (the regex's "."), "/" may leave
                    index = state - end - 1
                    if ch != "\n":
                        following.add(state)
                    if ch == "/":
                        self._close(following, index + 1)
                    continue
                if state == end:
                    continue
                kind, lit = steps[state]
                if kind == _LIT:
                    if ch == lit:
                        self._close(following, state + 1)
                elif kind == _ONE:
                    if ch != "/":
                        self._close(following, state + 1)
                elif kind == _STAR:
                    if ch != "/":
                        self._close(following, state)
                elif kind == _ANY:
                    if ch != "\n":
                        self._close(following, state)
            states = following
        return False



@dataclass
class Rule:
    line: int                 # 1-based line in the file
    pattern: str              # as written, escapes kept (the form path_to_regex expects)
    owners: list[str]
    order: int                # 0-based position among valid rules; a higher order wins
    glob: Glob | None = field(default=None, repr=False, compare=False)

    def matches(self, path: str) -> bool:
        return self.glob is not None and self.glob.search(path)


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
    if len(pattern) > MAX_PATTERN:
        return f"pattern longer than {MAX_PATTERN} characters"
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
        glob = None
        if error is None:
            try:
                glob = Glob(pattern)
            except ValueError as exc:
                error = f"unusable pattern: {exc}"
        if error:
            result.warnings.append({"line": lineno, "reason": error})
            continue
        result.rules.append(Rule(line=lineno, pattern=pattern, owners=owners, order=len(result.rules), glob=glob))
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
