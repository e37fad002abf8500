"""``sam deploy|sync`` and SAM config files (``samconfig.toml|yaml``).

A ``sam deploy`` without ``--stack-name`` takes the stack name from the config env it names
(``--config-env``, else ``default``) in ``--config-file`` or the samconfig next to it. A samconfig
no workflow used is read on its own: a stack per env with a ``stack_name``."""
from __future__ import annotations

import tomllib
from typing import Any

from .context import CFN_STACK, INVALID_YAML, UNRESOLVED, Scan, Step
from .lines import line_of
from .safe_yaml import load_tolerant
from .shell import join, opt, opts_of

SAMCONFIG_NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")
_SAM_FLAGS = {
    "--guided", "-g", "--no-confirm-changeset", "--confirm-changeset", "--fail-on-empty-changeset",
    "--no-fail-on-empty-changeset", "--resolve-s3", "--resolve-image-repos", "--use-json", "--force-upload",
    "--no-progressbar", "--debug", "--disable-rollback", "--no-disable-rollback", "--no-execute-changeset",
    "--watch", "--no-watch", "--code", "--dependency-layer", "--no-dependency-layer", "--use-container",
    "-u", "--skip-deploy-sync", "--beta-features", "--no-beta-features", "--save-params",
}


def sam(scan: Scan, args: list[str], path: str, line: int, step: Step, cwd: str) -> None:
    opts, pos = opts_of(args, _SAM_FLAGS)
    if not pos or pos[0] not in ("deploy", "sync"):
        return
    region = opt(opts, "--region")
    stack = opt(opts, "--stack-name")
    if stack:  # the template's folder (--template-file, else the working directory's) is the service's
        template = opt(opts, "--template-file", "-t", "--template")
        scan.add(CFN_STACK, stack, path, line, "sam", step=step, region=region,
                 companion=join(cwd, template or "template.yaml"))
        return
    env = opt(opts, "--config-env") or "default"
    config = opt(opts, "--config-file")
    candidates = [join(cwd, config)] if config else [join(cwd, n) for n in SAMCONFIG_NAMES]
    for candidate in candidates:
        if candidate in scan.files:
            scan.used.add(candidate)
            params = _samconfig_envs(scan, candidate).get(env)
            if params is not None:
                scan.add(CFN_STACK, params["stack_name"], path, line, "sam", step=step,
                         region=region or params.get("region"), companion=candidate)
                return
    scan.warn(UNRESOLVED, path, line, f"sam {pos[0]} without --stack-name and no stack_name for config "
                                      f"env {env!r} in {' or '.join(candidates)}; target skipped")


def scan_samconfig(scan: Scan, path: str, text: str) -> None:
    """A samconfig no workflow used: a stack per config env."""
    for _env_name, params, line in samconfig_stacks(scan, path):
        scan.add(CFN_STACK, params["stack_name"], path, line, "sam", region=params.get("region"), companion=path)


def samconfig_stacks(scan: Scan, path: str) -> list[tuple[str, dict, int]]:
    """(config env, {stack_name, region}, line) for each env of a samconfig file with a stack name."""
    stacks, _ = scan.parse_once("samconfig", path, lambda text: _samconfig_stacks(scan, path, text))
    return stacks


def _samconfig_envs(scan: Scan, path: str) -> dict[str, dict]:
    """Config env -> parameters (the first env of a name, as a scan in order finds it), once per file."""
    envs, _ = scan.parse_once("samconfig-envs", path, lambda text: {
        env_name: params for env_name, params, _ in reversed(samconfig_stacks(scan, path))})
    return envs


def _samconfig_stacks(scan: Scan, path: str, text: str) -> list[tuple[str, dict, int]]:
    try:
        data = tomllib.loads(text) if path.endswith(".toml") else load_tolerant(text)
    except Exception as exc:  # TOMLDecodeError, YAMLError
        scan.warn(INVALID_YAML, path, 1, f"unreadable SAM config: {exc}")
        return []
    line = None
    found = []
    for env_name, env in (data.items() if isinstance(data, dict) else []):
        if not isinstance(env, dict):
            continue
        params: dict[str, Any] = {}
        for command in ("global", "deploy", "sync"):
            section = env.get(command)
            section = section.get("parameters") if isinstance(section, dict) else None
            if isinstance(section, dict):
                params.update({k: v for k, v in section.items() if isinstance(v, str)})
        if params.get("stack_name"):
            if line is None:  # [ \t]: with re.M, \s* would rescan every run of blank lines from each line
                line = line_of(text, r"^[ \t]*stack_name[ \t]*[=:]")
            found.append((str(env_name), params, line))
    return found
