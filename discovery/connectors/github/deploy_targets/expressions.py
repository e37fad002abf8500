"""Expanding GitHub Actions ``${{ ... }}`` expressions and shell ``$VAR`` references.

``${{ ... }}`` expressions are evaluated from workflow/job/step ``env``, the job matrix (every
combination the names use), ``inputs`` defaults, ``github.repository`` and outputs/env written by
earlier steps; ``$VAR`` from env and script assignments. What stays unknown is replaced by an
``UNRES`` sentinel (the target it ends up in is skipped with an ``unresolved_expression``
warning), except an ECR registry (``steps.login-ecr.outputs.registry``, ``$ECR_REGISTRY``),
which is known to be ECR and becomes ``REG`` (the image yields its repository name alone).

Expansion is one left-to-right scan with memoised references and a cap on what one string may
grow to (see ``limits``).
"""
from __future__ import annotations

import re

from .context import REG, UNRES, Scan, Shell, Step
from .limits import MAX_EXPANDED, MAX_EXPANSION_DEPTH, MAX_EXPANSION_TOTAL, MAX_SHOWN

# Possessive and bounded: "${a:-${a:-${a:-..." with no "}" must not rescan to the end from each "$".
_SH_VAR = re.compile(r"\$(?:\{([A-Za-z_]\w*+)(?::?[-=]([^}]{0,1024}+))?\}|([A-Za-z_]\w*))")
# an unknown value that is still surely an ECR registry: amazon-ecr-login's output, $ECR_REGISTRY ...
# (the "ecr...registry" half is is_ecr_registry: as a regex, ecr\w*registry rescans "_ecr_ecr_..." from
# every "ecr")
_ECR_STEP_OUTPUT = re.compile(r"steps\.[\w-]+\.outputs\.registry\b", re.I)
_WORD = re.compile(r"\w+")


class Expansion:
    """One top-level substitution: env/matrix references expanded so far (each is expanded once),
    the references being expanded (a cycle or a chain deeper than MAX_EXPANSION_DEPTH is
    unresolved) and the characters substituted, nested ones included (capped at MAX_EXPANDED)."""

    __slots__ = ("memo", "active", "size")

    def __init__(self) -> None:
        self.memo: dict[tuple[str, str], str | None] = {}
        self.active: set[tuple[str, str]] = set()
        self.size = 0


def split_or(expr: str) -> list[str]:
    """Split a GitHub expression on top-level ``||`` (outside quotes and parentheses)."""
    if "||" not in expr:
        return [expr]
    parts, cur, depth, quote = [], [], 0, False
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch == "'":
            quote = not quote
        elif not quote and ch in "([":
            depth += 1
        elif not quote and ch in ")]":
            depth -= 1
        elif not quote and depth == 0 and expr.startswith("||", i):
            parts.append("".join(cur))
            cur = []
            i += 2
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def is_ecr_registry(expr: str) -> bool:
    """Whether an unknown expression is surely an ECR registry: a step output named ``registry``, or
    a word with "ecr" (not preceded by a letter) and later "registry", e.g. ``ECR_REGISTRY``."""
    if _ECR_STEP_OUTPUT.search(expr):
        return True
    for m in _WORD.finditer(expr.lower()):
        word = m.group()
        i = word.find("ecr")
        while i > 0 and "a" <= word[i - 1] <= "z":
            i = word.find("ecr", i + 1)
        if i >= 0 and "registry" in word[i + 3:]:  # the earliest usable "ecr" leaves the most room
            return True
    return False


def has_gh_expr(text: str) -> bool:
    start = text.find("${{")
    return start >= 0 and text.find("}}", start + 3) >= 0


def mark_unresolved(scan: Scan, expr: str, too_large: bool = False) -> str:
    """The sentinel standing for an expression we could not evaluate (``REG`` for a registry)."""
    if is_ecr_registry(expr):
        return REG
    if len(expr) > MAX_SHOWN:
        expr = expr[:MAX_SHOWN] + "…"
    if too_large:
        expr += " (too large to expand)"
    index = scan.unresolved_index.get(expr)
    if index is None:
        index = scan.unresolved_index[expr] = len(scan.unresolved)
        scan.unresolved.append(expr)
    return f"{UNRES}{index}{UNRES}"


def _exhausted(scan: Scan, ctx: Expansion) -> bool:
    return ctx.size > MAX_EXPANDED or scan.expanded > MAX_EXPANSION_TOTAL


def _spend(scan: Scan, ctx: Expansion, size: int) -> bool:
    """Count ``size`` substituted characters; False once over a cap."""
    ctx.size += size
    scan.expanded += size
    return not _exhausted(scan, ctx)


def expand_gh(scan: Scan, text: str, step: Step | None, ctx: Expansion | None = None) -> str:
    """Substitute ``${{ ... }}`` expressions, in one left-to-right scan (the first ``}}`` closes).

    ``ctx`` is shared by the nested expansions of one top-level string."""
    if "${{" not in text:
        return text
    ctx = ctx if ctx is not None else Expansion()
    out, pos = [], 0
    while True:
        start = text.find("${{", pos)
        end = text.find("}}", start + 3) if start >= 0 else -1
        if end < 0:
            break
        expr = text[start + 3:end].strip()
        value = None if _exhausted(scan, ctx) else _eval(scan, expr, step, ctx).replace("\n", " ")
        if value is None or not _spend(scan, ctx, len(value)):
            value = mark_unresolved(scan, "${{ " + expr + " }}", too_large=True)
        out += (text[pos:start], value)
        pos = end + 2
    out.append(text[pos:])
    return "".join(out)


def _eval(scan: Scan, expr: str, step: Step | None, ctx: Expansion) -> str:
    for alternative in split_or(expr):
        value = _operand(scan, alternative.strip(), step, ctx)
        if value:
            return value
    return mark_unresolved(scan, "${{ " + expr + " }}")


def _reference(scan: Scan, kind: str, name: str, raw: str | None, step: Step, ctx: Expansion) -> str | None:
    """An env/matrix value with its own expressions expanded: once per top-level string (a value
    naming another twice, which names another twice ... must not fan out), None for a cycle or
    a chain deeper than MAX_EXPANSION_DEPTH."""
    key = (kind, name)
    if raw is None or key in ctx.active or len(ctx.active) >= MAX_EXPANSION_DEPTH:
        return None
    if key not in ctx.memo:
        ctx.active.add(key)
        try:
            ctx.memo[key] = expand_gh(scan, raw, step, ctx)
        finally:
            ctx.active.discard(key)
    return ctx.memo[key]


def _operand(scan: Scan, op: str, step: Step | None, ctx: Expansion) -> str | None:
    repo = scan.repo
    m = re.fullmatch(r"'((?:[^']|'')*)'", op)
    if m:
        return m.group(1).replace("''", "'")
    if repo and op == "github.repository":
        return repo
    if repo and op in ("github.event.repository.name", "github.event.repository.full_name"):
        return repo.split("/", 1)[-1] if op.endswith(".name") else repo
    if repo and op == "github.repository_owner":
        return repo.split("/", 1)[0]
    if op == "github.workspace":
        return "/"
    if step is None:
        return None
    m = re.fullmatch(r"env\.([A-Za-z_][\w-]*)|env\[\s*'([^']+)'\s*\]", op)
    if m:
        name = m.group(1) or m.group(2)
        return _reference(scan, "env", name, step.env.get(name), step, ctx)
    m = re.fullmatch(r"matrix\.([A-Za-z_][\w-]*)|matrix\[\s*'([^']+)'\s*\]", op)
    if m:
        name = m.group(1) or m.group(2)
        return _reference(scan, "matrix", name, step.job.matrix.get(name), step, ctx)
    m = re.fullmatch(r"(?:github\.event\.)?inputs\.([A-Za-z_][\w-]*)", op)
    if m:
        return step.job.inputs.get(m.group(1))
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", op)
    if m:
        return step.job.outputs.get(m.group(1), {}).get(m.group(2))
    return None


def expand_sh(scan: Scan, word: str, step: Step, shell: Shell, ctx: Expansion | None = None) -> str:
    """Substitute ``$VAR`` / ``${VAR}`` / ``${VAR:-default}`` in one shell word.

    ``ctx`` is shared by the words of one command, so what they expand to is capped together
    (A=$B$B; B=$C$C ... doubles per assignment)."""
    if "$" not in word:
        return word
    ctx = ctx if ctx is not None else Expansion()

    def var(m: re.Match) -> str:
        name, default = m.group(1) or m.group(3), m.group(2)
        if _exhausted(scan, ctx):
            return mark_unresolved(scan, "$" + name, too_large=True)
        if name in shell.env:
            value = shell.env[name]
        elif name in step.env:
            value = _reference(scan, "env", name, step.env[name], step, ctx) or ""
        elif name == "GITHUB_REPOSITORY" and scan.repo:
            value = scan.repo
        elif name == "GITHUB_WORKSPACE":
            value = "/"
        elif default is not None:
            value = default
        else:
            return mark_unresolved(scan, "$" + name)
        return value if _spend(scan, ctx, len(value)) else mark_unresolved(scan, "$" + name, too_large=True)
    return _SH_VAR.sub(var, word)
