"""``cdk deploy`` and CDK apps (``cdk.json`` and the app entry file its ``app`` command runs).

The stacks an app declares are read from its entry file with a pattern for top-level
``new SomeStack(app, 'Id', { env: { account, region } })`` calls; the app itself is never run, so
``cdk deploy`` stack selectors with wildcards match only those. A ``cdk.json`` no workflow used
yields every stack its app file declares."""
from __future__ import annotations

import fnmatch
import json
import posixpath
import re

from .context import CDK_STACK, INVALID_YAML, UNRESOLVED, Scan, Step
from .limits import ADD_COST, MAX_CDK_SELECTORS, MAX_TARGETS
from .lines import Lines
from .shell import join, opt, opts_of

_CDK_APP_FILE = re.compile(r"\S+\.(?:ts|js|mjs|cjs|py)$")
# a top-level stack in a CDK app: new FooStack(app, 'Id', {...}) / FooStack(app, "Id", ...)
_CDK_STACK_CALL = re.compile(r"(?:\bnew\s+[A-Za-z_$][\w$.]*|(?<![\w.])[A-Z]\w*)\s*\(\s*(?!this\b|self\b)[A-Za-z_$][\w$]*\s*,"
                             r"\s*(['\"`])([^'\"`\n]+)\1")
_CDK_ACCOUNT = re.compile(r"account\s*[:=]\s*['\"](\d{12})['\"]")
_CDK_REGION = re.compile(r"region\s*[:=]\s*['\"]([a-z0-9-]+)['\"]")
_CDK_FLAGS = {
    "--all", "--ci", "--force", "-f", "--hotswap", "--hotswap-fallback", "--watch", "--rollback",
    "--exclusively", "-e", "--verbose", "-v", "--debug", "--json", "-j", "--strict", "--lookups",
    "--previous-parameters", "--import-existing-resources", "--staging", "--asset-parallelism",
    "--asset-prebuild", "--ignore-errors", "--trace", "--version-reporting", "--path-metadata",
    "--asset-metadata", "--notices", "--quiet", "-q", "--ignore-no-stacks",
}


def cdk(scan: Scan, args: list[str], path: str, line: int, step: Step, cwd: str) -> None:
    opts, pos = opts_of(args, _CDK_FLAGS)
    if not pos or pos[0] != "deploy":
        return
    app, declared = _cdk_app(scan, cwd, opt(opts, "--app", "-a"))
    selectors = pos[1:] or (["*"] if "--all" in opts else [])
    if len(selectors) > MAX_CDK_SELECTORS:  # each one with a wildcard is matched against every stack
        scan.too_large(path, line, f"cdk deploy with more than {MAX_CDK_SELECTORS} stack names; the rest "
                                   "were not read")
        selectors = selectors[:MAX_CDK_SELECTORS]
    if not selectors and len(app) == 1:
        selectors = [app[0]["id"]]  # cdk deploys an app's only stack without being told its name
    if not selectors:
        scan.warn(UNRESOLVED, path, line, "cdk deploy without stack names: the app's stacks are only known "
                                          "after cdk synth")
    matches_memo, done_memo = scan.memo("cdk-matches"), scan.memo("cdk-done")
    for selector in selectors:
        if not any(c in selector for c in "*?"):
            found = declared.get(selector, {})
            scan.add(CDK_STACK, selector, path, line, "cdk", step=step,
                     account=found.get("account"), region=found.get("region"))
            continue
        key = (id(app), selector)  # app lists are cached and kept, so their ids are stable
        if key not in matches_memo:
            matches_memo[key] = [s for s in app if fnmatch.fnmatchcase(s["id"], selector)]
        matches = matches_memo[key]
        if not matches:
            shown = "--all" if selector == "*" and "--all" in opts else repr(selector)
            scan.warn(UNRESOLVED, path, line, f"cdk deploy {shown}: the stacks it selects are only known after "
                                              "cdk synth (no readable app file)")
        done = (key, step.job.region, step.job.account)
        if done in done_memo:  # the same stacks again: every add would be a repeat
            continue
        done_memo[done] = True
        for stack in matches:
            if scan.full or not scan.script_work(path, line, ADD_COST):
                return
            scan.add(CDK_STACK, stack["id"], path, line, "cdk", step=step,
                     account=stack["account"], region=stack["region"])


def scan_cdk_json(scan: Scan, path: str, text: str) -> None:
    """A ``cdk.json`` no workflow used: every stack its app file declares, at the line declaring it."""
    for stack in cdk_app(scan, posixpath.dirname(path), None):
        scan.add(CDK_STACK, stack["id"], stack["path"], stack["line"], "cdk",
                 account=stack["account"], region=stack["region"])


def cdk_app(scan: Scan, cwd: str, app_command: str | None) -> list[dict]:
    """Top-level stacks a CDK app file declares: [{id, account, region, path, line}].

    The app comes from ``--app`` or the ``app`` command in ``cdk.json``; its entry file is read
    with a pattern for ``new SomeStack(app, 'Id', { env: { account, region } })`` calls."""
    return _cdk_app(scan, cwd, app_command)[0]


def _cdk_app(scan: Scan, cwd: str, app_command: str | None) -> tuple[list[dict], dict[str, dict]]:
    """``cdk_app`` and its stacks by id, computed once per (cwd, app command)."""
    config = join(cwd, "cdk.json")
    if app_command is None and config in scan.files:
        scan.used.add(config)
        data, exc = scan.parse_once("json", config, json.loads)
        if exc is not None:
            scan.warn(INVALID_YAML, config, 1, "unreadable cdk.json")
            return [], {}
        app_command = data.get("app") if isinstance(data, dict) and isinstance(data.get("app"), str) else None
    apps = scan.memo("cdk-apps")
    key = (cwd, app_command or "")
    if key not in apps:
        stacks: list[dict] = []
        for word in dict.fromkeys((app_command or "").split()):
            source = join(cwd, word)
            if not _CDK_APP_FILE.match(word) or source not in scan.files:
                continue
            scan.used.add(source)
            found, _ = scan.parse_once("cdk", source, lambda text: _cdk_stacks(source, text))
            stacks.extend(found[:MAX_TARGETS - len(stacks)])
        apps[key] = (stacks, {s["id"]: s for s in stacks})
    return apps[key]


def _cdk_stacks(source: str, text: str) -> list[dict]:
    """The top-level stacks one CDK app file declares (at most MAX_TARGETS)."""
    stacks: list[dict] = []
    line_at = Lines(text)
    for m in _CDK_STACK_CALL.finditer(text):
        stack_id = m.group(2)
        if "{" in stack_id:
            continue  # a template string: the id is computed
        call = _call_arguments(text, m.end())
        account, region = _CDK_ACCOUNT.search(call), _CDK_REGION.search(call)
        stacks.append({"id": stack_id, "account": account.group(1) if account else None,
                       "region": region.group(1) if region else None, "path": source,
                       "line": line_at(m.start())})
        if len(stacks) >= MAX_TARGETS:
            break
    return stacks


def _call_arguments(text: str, start: int, limit: int = 4000) -> str:
    """Text from ``start`` to the parenthesis that closes the call it is inside."""
    depth = 1
    end = min(len(text), start + limit)
    for i in range(start, end):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start:end]
