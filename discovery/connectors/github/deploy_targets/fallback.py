"""A line-based pass over a workflow whose YAML is malformed (after its ``invalid_yaml`` warning).

Only ``run:`` blocks (block scalars by their indentation, one-line values) and the ECS deploy
action's ``service``/``cluster`` inputs are read; nothing here raises on bad input."""
from __future__ import annotations

import re

from .aws_cli import add_ecs
from .context import Job, Scan, Step
from .expressions import expand_gh
from .scripts import scan_script

_RUN_KEY = re.compile(r"^(\s*(?:-\s+)?)run\s*:\s*(.*)$")
# (?:-\s*)? rather than -?\s*: two \s* runs around an optional "-" split a long run of
# spaces every possible way (quadratic per line)
_ECS_USES = re.compile(r"^(\s*)(?:-\s*)?uses\s*:\s*['\"]?aws-actions/amazon-ecs-deploy-task-definition")
_ECS_INPUT = re.compile(r"^\s*(service|cluster)\s*:\s*['\"]?([^'\"#\s]+)")


def scan_fallback(scan: Scan, path: str, text: str) -> None:
    lines = text.replace("\r\n", "\n").split("\n")
    step = Step(Job(path, {}, {}, {}), {}, "")
    for i, line in enumerate(lines):
        m = _RUN_KEY.match(line)
        if m:
            column, value = len(m.group(1)), m.group(2).strip()
            if not scan.script_work(path, i + 1, 0):  # don't even gather the block
                continue
            if value[:1] in ("|", ">"):
                body = []
                for j in range(i + 1, len(lines)):
                    nxt = lines[j]
                    if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= column:
                        break
                    body.append(nxt)
                indent = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
                scan_script(scan, path, "\n".join(b[indent:] for b in body), step, i + 2, value[0] == "|")
            elif value and value[0] not in "[{":
                if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
                    value = value[1:-1]
                scan_script(scan, path, value, step, i + 1, False)
            continue
        m = _ECS_USES.match(line)
        if m:
            column = len(m.group(1))
            found: dict[str, tuple[str, int]] = {}
            for j in range(i + 1, min(i + 30, len(lines))):
                nxt = lines[j]
                if nxt.strip() and (len(nxt) - len(nxt.lstrip()) <= column):
                    break
                km = _ECS_INPUT.match(nxt)
                if km:
                    found[km.group(1)] = (km.group(2), j + 1)
            if "service" in found:
                svc, sline = found["service"]
                add_ecs(scan, expand_gh(scan, svc, step), expand_gh(scan, found.get("cluster", ("default", 0))[0], step),
                        path, sline, "amazon-ecs-deploy-task-definition", step)
