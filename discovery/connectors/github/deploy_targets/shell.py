"""Reading shell the way a deploy step writes it: logical lines, simple commands, redirects,
wrappers in front of the real tool (sudo, env, npx ...) and a tool's options."""
from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Collection

ASSIGN = re.compile(r"^([A-Za-z_]\w*)=(.*)$", re.S)
HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_]\w*)['\"]?")
_SHELL_KEYWORDS = {"then", "do", "else", "if", "elif", "while", "until", "!", "{"}


def join(cwd: str, path: str) -> str:
    """``path`` relative to the repository root, from a working directory ("" for the root)."""
    joined = posixpath.normpath(posixpath.join(cwd or "", path))
    return joined.lstrip("/") if joined not in (".", "/") else ""


def continued(line: str) -> bool:
    """Whether a shell line ends in an unescaped backslash (continues on the next line)."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def substitutions(line: str) -> list[tuple[int, int]]:
    """Spans of the command substitutions on a logical line: ``$( ... )`` (nested ones inside the
    outermost, ``$(( ))`` arithmetic too) and backticks, outside single quotes. One that never
    closes runs to the end of the line. One pass: each character is looked at once."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(line)
    single = double = False
    while i < n:
        ch = line[i]
        if single:
            single = ch != "'"
        elif ch == "\\":
            i += 1  # the next character is escaped
        elif ch == '"':
            double = not double
        elif ch == "'" and not double:
            single = True
        elif ch == "`":
            end = line.find("`", i + 1)
            end = n if end < 0 else end + 1
            spans.append((i, end))
            i = end
            continue
        elif ch == "$" and line.startswith("$(", i):
            depth, j, quote = 0, i + 1, ""
            while j < n:
                c = line[j]
                if c == "\\":
                    j += 1
                elif quote:
                    quote = "" if c == quote else quote
                elif c in "'\"":
                    quote = c
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            end = min(j + 1, n)
            spans.append((i, end))
            i = end
            continue
        i += 1
    return spans


def commands(line: str) -> list[list[str]]:
    """Words of each simple command on a logical line (split at && || ; | & and parentheses)."""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        words = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        words = line.split()
    found: list[list[str]] = [[]]
    for word in words:
        if word.startswith("#"):
            break  # bash comment: '#' starting a word
        if word and set(word) <= set("&|;()"):
            found.append([])
        else:
            found[-1].append(word)
    return [c for c in found if c]


def strip_redirects(tokens: list[str]) -> tuple[list[str], list[str]]:
    """(the command's words, the targets of its redirects)."""
    args, targets = [], []
    skip = False
    for i, tok in enumerate(tokens):
        if skip:
            skip = False
            continue
        if tok and set(tok) <= set("<>&"):
            if args and args[-1].isdigit():
                args.pop()  # file descriptor, as in 2>&1
            if i + 1 < len(tokens):
                targets.append(tokens[i + 1])
                skip = True
            continue
        args.append(tok)
    return args, targets


def unwrap(args: list[str], tools: Collection[str]) -> list[str]:
    """Drop wrappers (sudo, env, npx, yarn/pnpm exec, poetry run ...) in front of the real tool.

    ``tools``: program names a package manager may run directly (``yarn cdk deploy``)."""
    for _ in range(6):
        if not args:
            return args
        prog = posixpath.basename(args[0])
        if prog in _SHELL_KEYWORDS:
            args = args[1:]
        elif prog in ("sudo", "time", "exec", "nohup", "command"):
            args = args[1:]
            while args and args[0].startswith("-"):
                args = args[1:]
        elif prog == "env":
            args = [a for a in args[1:]]
            while args and (args[0].startswith("-") or ASSIGN.match(args[0])):
                args = args[1:]
        elif prog in ("npx", "bunx", "pnpx"):
            args = args[1:]
            while args and args[0].startswith("-"):
                args = args[2:] if args[0] in ("-p", "--package") else args[1:]
            if args:
                args = [strip_version(args[0])] + args[1:]
        elif prog in ("yarn", "pnpm", "npm", "bun") and len(args) > 1:
            if args[1] in ("exec", "dlx", "x"):
                args = [a for a in args[2:]]
                if args and args[0] == "--":
                    args = args[1:]
            elif strip_version(args[1]) in tools:
                args = args[1:]
            else:
                return args
        elif prog in ("poetry", "pipenv", "uv", "pdm") and args[1:2] == ["run"]:
            args = args[2:]
        else:
            return args
    return args


def strip_version(package: str) -> str:
    """``serverless@3`` -> ``serverless`` (a scoped ``@org/pkg`` keeps its leading @)."""
    head, sep, _ = package[1:].partition("@")
    return package[0] + head if sep else package


def opts_of(args: list[str], flags: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Split CLI arguments into options (with values) and positionals.

    An option takes the next word as its value unless it is a known flag, a ``--no-*`` flag or the
    next word is itself an option."""
    opts: dict[str, list[str]] = {}
    pos: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            pos.extend(args[i + 1:])
            break
        if arg.startswith("--") and "=" in arg:
            key, value = arg.split("=", 1)
            opts.setdefault(key, []).append(value)
        elif arg.startswith("-") and len(arg) > 1 and not arg[1:].isdigit():
            nxt = args[i + 1] if i + 1 < len(args) else None
            if arg in flags or arg.startswith("--no-") or nxt is None or nxt.startswith("-"):
                opts.setdefault(arg, []).append("")
            else:
                opts.setdefault(arg, []).append(nxt)
                i += 1
        else:
            pos.append(arg)
        i += 1
    return opts, pos


def opt(opts: dict[str, list[str]], *names: str) -> str | None:
    """The first non-empty value of any of ``names``."""
    for name in names:
        for value in opts.get(name, []):
            if value:
                return value
    return None
