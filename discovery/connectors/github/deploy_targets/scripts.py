"""Shell scripts (``run:`` steps, Jenkins ``sh``, CodeBuild commands): each command goes to the
tool that deploys with it.

Continuations, ``&&``/``;``/``|`` chains, ``cd``, assignments and ``export``, ``echo ... >>
$GITHUB_ENV|$GITHUB_OUTPUT`` (seen by later steps) are followed; heredoc bodies are skipped.
A tool is one entry of ``TOOLS``: program name -> ``tool(scan, args, path, line, step, cwd)``.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from . import aws_cli, cdk, copilot, images, sam, serverless
from .context import Scan, Shell, Step, is_test_path
from .expressions import Expansion, expand_gh, expand_sh, mark_unresolved
from .limits import COMMAND_COST, MAX_LINE
from .shell import ASSIGN, HEREDOC, commands, continued, join, strip_redirects, substitutions, unwrap

Tool = Callable[[Scan, list[str], str, int, Step, str], None]
TOOLS: dict[str, Tool] = {
    "aws": aws_cli.aws,
    "ecs-deploy": aws_cli.ecs_deploy,
    "sam": sam.sam,
    "serverless": serverless.serverless,
    "sls": serverless.serverless,
    "cdk": cdk.cdk,
    "aws-cdk": cdk.cdk,
    "copilot": copilot.copilot,
    "docker": images.docker,
    "podman": images.docker,
}
# Only a line with an assignment, a $, GITHUB_ENV/OUTPUT, cd or a tool's name can matter; others
# aren't tokenized
_MAYBE_COMMAND = re.compile(r"[=$]|GITHUB_|\b(?:" + "|".join(map(re.escape, sorted(TOOLS))) + r"|cd)\b")


def scan_script(scan: Scan, path: str, script: str, step: Step, base: int, exact: bool) -> None:
    """Read a script whose first line is line ``base`` of ``path`` (``exact``: its lines are the
    file's lines, as in a ``|`` block; otherwise every command is reported at ``base``)."""
    if not scan.script_work(path, base, 0):
        return
    script = expand_gh(scan, script, step)
    if not scan.script_work(path, base, len(script)):
        return
    shell = Shell(cwd=step.workdir)
    tokens_memo = scan.memo("shell-lines")  # shell line -> commands (matrix jobs repeat lines)
    lines = script.split("\n")
    i, heredoc = 0, None
    while i < len(lines):
        start, line = i, lines[i]
        i += 1
        if heredoc:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if continued(line) and i < len(lines):
            parts = [line]  # joined once at the end: joining line by line is quadratic
            while continued(parts[-1]) and i < len(lines):
                parts[-1] = parts[-1][:-1]
                parts.append(lines[i])
                i += 1
            line = " ".join(parts)
        m = HEREDOC.search(line)
        if m:
            heredoc = m.group(1)
        at = base + (start if exact else 0)
        if len(line) > MAX_LINE:
            scan.too_large(path, at, f"a shell line longer than {MAX_LINE} characters was not read")
            continue
        if not _MAYBE_COMMAND.search(line):
            continue
        if "`" in line or "$(" in line:
            line = _substitute(scan, line)
        found = tokens_memo.get(line)
        if found is None:
            if not scan.script_work(path, at, len(line)):
                return
            found = tokens_memo[line] = commands(line)
        for tokens in found:
            if not scan.script_work(path, at, COMMAND_COST):
                return
            command(scan, tokens, path, at, step, shell)


def _substitute(scan: Scan, line: str) -> str:
    """The line with each command substitution (``$(...)``, backticks) replaced by an unresolved
    expression: its output is only known when it runs, so a name holding one is skipped, never
    read as the "$" or "`cat" the tokenizer would leave of it."""
    out, pos = [], 0
    for start, end in substitutions(line):
        out += (line[pos:start], mark_unresolved(scan, line[start:end]))
        pos = end
    out.append(line[pos:])
    return "".join(out)


def command(scan: Scan, tokens: list[str], path: str, line: int, step: Step, shell: Shell) -> None:
    args, redirects = strip_redirects(tokens)
    if not args:
        return
    if args[0] in ("echo", "printf") and any("GITHUB_OUTPUT" in r or "GITHUB_ENV" in r for r in redirects):
        to_env = any("GITHUB_ENV" in r for r in redirects)
        for word in args[1:]:
            m = ASSIGN.match(word)
            if m:
                value = expand_sh(scan, m.group(2), step, shell)
                if to_env:
                    step.job.env[m.group(1)] = value
                    step.env[m.group(1)] = value
                elif step.step_id:
                    step.job.outputs.setdefault(step.step_id, {})[m.group(1)] = value
        return
    if args[0] in ("export", "declare", "local", "readonly"):
        args = [a for a in args[1:] if not a.startswith("-")]
    ctx = Expansion()  # one expansion budget for the whole command
    while args and ASSIGN.match(args[0]):
        name, value = ASSIGN.match(args[0]).groups()
        # "$" alone is what is left of a command substitution split off by the tokenizer
        shell.env[name] = (mark_unresolved(scan, "$" + name) if value.endswith("$")
                           else expand_sh(scan, value, step, shell, ctx))
        args = args[1:]
    args = unwrap(args, TOOLS)
    if not args:
        return
    args = [expand_sh(scan, a, step, shell, ctx) for a in args]
    prog = posixpath.basename(args[0])
    if prog == "cd" and len(args) > 1 and not scan.unresolved_in(args[1]) and args[1] not in ("-", "~"):
        shell.cwd = join(shell.cwd, args[1])
    elif prog in TOOLS and not is_test_path(shell.cwd):  # a deploy run in tests/ or examples/ is a test's
        TOOLS[prog](scan, args[1:], path, line, step, shell.cwd)
