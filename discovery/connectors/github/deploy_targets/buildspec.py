"""AWS CodeBuild buildspecs (``buildspec*.yml``): ``phases.*.commands`` read as scripts, with
``env.variables`` as env."""
from __future__ import annotations

import re

import yaml

from .context import INVALID_YAML, Job, Scan, Step
from .safe_yaml import compose, env_of, mapping, scalar
from .scripts import scan_script

BUILDSPEC = re.compile(r"^buildspec[\w.-]*\.ya?ml$")


def scan_buildspec(scan: Scan, path: str, text: str) -> None:
    """AWS CodeBuild ``phases.*.commands``, with ``env.variables`` as env."""
    try:
        top = mapping(compose(text))
    except Exception as exc:
        mark = getattr(exc, "problem_mark", None)
        scan.warn(INVALID_YAML, path, mark.line + 1 if mark else 1, f"invalid YAML: {exc}")
        return
    env = env_of(mapping(top.get("env")).get("variables"))
    step = Step(Job(path, env, {}, {}), env, "")
    for phase in mapping(top.get("phases")).values():
        commands = mapping(phase).get("commands")
        for node in commands.value if isinstance(commands, yaml.SequenceNode) else []:
            if scalar(node):
                scan_script(scan, path, scalar(node), step,
                            node.start_mark.line + (2 if node.style in ("|", ">") else 1), node.style == "|")
