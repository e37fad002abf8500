"""``serverless|sls deploy`` and Serverless Framework configs (``serverless.yml|yaml|json``).

The config is read where the command points (``--config``, else the serverless.yml in its working
directory) or, when no workflow used it, on its own: the service, and when the stage is known
(``--stage``, ``provider.stage``, or ``dev``, the framework's default, for a deploy) its stack
``{service}-{stage}`` and functions ``{service}-{stage}-{key}``, in the region ``--region``,
``provider.region`` or, when the config names none, the framework's default us-east-1 (not the job's
AWS_REGION, which the framework does not read). ``${...}`` variables are resolved
where they are static (``self:``, ``opt:stage``, ``env:`` from the workflow, literals); a
``serverless.ts|js`` config is code we don't run."""
from __future__ import annotations

import json
import re
from typing import Any

from .context import (
    CFN_STACK,
    INVALID_YAML,
    LAMBDA_FUNCTION,
    SERVERLESS_SERVICE,
    UNRESOLVED,
    Env,
    Scan,
    Step,
    shown,
)
from .expressions import has_gh_expr
from .limits import ADD_COST, MAX_SLS_VALUE
from .lines import line_of
from .safe_yaml import Intrinsic, load_tolerant
from .shell import join, opt, opts_of

DEFAULT_REGION = "us-east-1"  # provider.region's default
SERVERLESS_NAMES = ("serverless.yml", "serverless.yaml", "serverless.json")
SERVERLESS_CODE = ("serverless.ts", "serverless.js", "serverless.cjs", "serverless.mjs")
_SLS_FLAGS = {"--verbose", "--force", "--conceal", "--debug", "--aws-s3-accelerate", "--enforce-hash-update",
              "--update-config", "--use-local-credentials", "--no-aws-s3-accelerate"}
_SLS_VAR = re.compile(r"\$\{([^{}]*)\}")


class SlsResolver:
    """Serverless Framework ``${...}`` variables of one config that we can know statically.

    Each ``self:`` reference is resolved once per (path, stage, depth): ``a: ${self:b}${self:b}``,
    ``b: ${self:c}${self:c}`` ... is exponential otherwise. A value growing past MAX_SLS_VALUE
    characters is unresolved (and ``too_large`` is set, for one warning)."""

    MAX_DEPTH = 6        # self: references followed
    MAX_STEPS = 20       # variables substituted in one value

    def __init__(self, doc: dict, region: str | None, env: Env):
        self.doc, self.region, self.env = doc, region, env
        self.memo: dict[tuple[str, str | None, int], str | None] = {}
        self.too_large = False

    def resolve(self, value: Any, stage: str | None, depth: int = 0) -> str | None:
        """``value`` with its variables substituted; None if we can't."""
        if value is None or isinstance(value, (dict, list, set, tuple, bytes, Intrinsic, bool)):
            return None
        if depth > self.MAX_DEPTH:
            self.too_large = True
            return None
        text = str(value)
        for _ in range(self.MAX_STEPS):
            if len(text) > MAX_SLS_VALUE:
                self.too_large = True
                return None
            m = _SLS_VAR.search(text)
            if not m:
                return text.strip() or None
            resolved = None
            for source in (s.strip() for s in m.group(1).split(",")):
                if len(source) >= 2 and source[0] in "'\"" and source[-1] == source[0]:
                    resolved = source[1:-1]
                elif source in ("opt:stage", "sls:stage"):
                    resolved = stage
                elif source == "opt:region":
                    resolved = self.region
                elif source.startswith("self:"):
                    resolved = self._self(source[5:], stage, depth + 1)
                elif source.startswith("env:"):
                    raw = self.env.get(source[4:])
                    resolved = raw if raw and not has_gh_expr(raw) else None
                if resolved:
                    break
            if not resolved:
                return None
            text = text[: m.start()] + resolved + text[m.end():]
        return None

    def _self(self, path: str, stage: str | None, depth: int) -> str | None:
        key = (path, stage, depth)
        if key not in self.memo:
            node: Any = self.doc
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            self.memo[key] = self.resolve(node, stage, depth)
        return self.memo[key]


def serverless(scan: Scan, args: list[str], path: str, line: int, step: Step, cwd: str) -> None:
    opts, pos = opts_of(args, _SLS_FLAGS)
    if not pos or pos[0] != "deploy":
        return
    config = opt(opts, "--config", "-c")
    candidates = [join(cwd, config)] if config else [join(cwd, n) for n in SERVERLESS_NAMES]
    config_path = next((c for c in candidates if c in scan.files), None)
    if config_path is None:
        code = [join(cwd, n) for n in SERVERLESS_CODE if join(cwd, n) in scan.files]
        reason = f"{code[0]} is code we don't run" if code else f"no {' or '.join(candidates)} in the repository"
        scan.warn(UNRESOLVED, path, line, f"serverless deploy: service name unknown ({reason}); target skipped")
        return
    scan.used.add(config_path)
    stage = opt(opts, "--stage", "-s")
    serverless_targets(scan, config_path, path, line, step, stage=stage, region=opt(opts, "--region", "-r"),
                       deployed=True)


def scan_serverless_config(scan: Scan, path: str, text: str) -> None:
    """A serverless config no workflow used: its service, and the rest only if it names its stage."""
    serverless_targets(scan, path, path, line_of(text, r"^service\s*:"), None, stage=None, region=None,
                       deployed=False)


def serverless_targets(scan: Scan, config_path: str, path: str, line: int, step: Step | None, *,
                       stage: str | None, region: str | None, deployed: bool) -> None:
    text = scan.files[config_path]
    doc, exc = scan.parse_once("serverless", config_path,
                               json.loads if config_path.endswith(".json") else load_tolerant)
    if exc is not None:
        mark = getattr(exc, "problem_mark", None)
        scan.warn(INVALID_YAML, config_path, mark.line + 1 if mark else 1, f"unreadable serverless config: {exc}")
        return
    if not isinstance(doc, dict):
        scan.warn(INVALID_YAML, config_path, 1, "serverless config is not a mapping")
        return
    resolver = SlsResolver(doc, region, step.env if step else {})
    try:
        _serverless_targets(scan, resolver, doc, text, config_path, path, line, step, stage, region, deployed)
    finally:
        if resolver.too_large:
            scan.warn(UNRESOLVED, config_path, 1,
                      f"serverless variables expand to more than {MAX_SLS_VALUE} characters or nest deeper "
                      f"than {SlsResolver.MAX_DEPTH} levels; those values were left unresolved")


def _serverless_targets(scan: Scan, resolver: SlsResolver, doc: dict, text: str, config_path: str, path: str,
                        line: int, step: Step | None, stage: str | None, region: str | None,
                        deployed: bool) -> None:
    resolve = resolver.resolve
    service = doc.get("service")
    service = service.get("name") if isinstance(service, dict) else service
    service_name = resolve(service, stage)
    if not service_name:
        scan.warn(UNRESOLVED, config_path, line_of(text, r"^service\s*:"),
                  f"serverless service name {shown(service)} could not be resolved; target skipped")
        return
    provider = doc.get("provider") if isinstance(doc.get("provider"), dict) else {}
    if stage is None:
        stage = resolve(provider.get("stage"), None) or ("dev" if deployed else None)
    if region is None:
        # no region in the config is the framework's default, us-east-1 (not the job's AWS_REGION)
        region = resolve(provider["region"], stage) if "region" in provider else DEFAULT_REGION
    scan.add(SERVERLESS_SERVICE, service_name, path, line, "serverless", step=step, stage=stage, region=region,
             companion=config_path)
    if not stage or scan.unresolved_in(stage):
        return  # the stack and function names need the stage
    stack = resolve(provider.get("stackName"), stage) or f"{service_name}-{stage}"
    scan.add(CFN_STACK, stack, path, line, "serverless", step=step, stage=stage, region=region, companion=config_path)
    functions = doc.get("functions")
    if isinstance(functions, list):  # the framework also accepts a list of one-key mappings
        functions = {k: v for item in functions if isinstance(item, dict) for k, v in item.items()}
    for key, spec in (functions.items() if isinstance(functions, dict) else []):
        if scan.full or (step is not None and not scan.script_work(path, line, ADD_COST)):
            return
        explicit = spec.get("name") if isinstance(spec, dict) else None
        name = resolve(explicit, stage) if explicit is not None else f"{service_name}-{stage}-{key}"
        if name:
            scan.add(LAMBDA_FUNCTION, name, path, line, "serverless", step=step, stage=stage, region=region,
                     companion=config_path)
