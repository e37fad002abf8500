"""ECS task definition JSON (``task-definition*.json``, ``taskdef*.json`` or the file the ECS deploy
action names): the ECR images of its containers."""
from __future__ import annotations

import json
import re

from .context import INVALID_YAML, Scan
from .images import add_image
from .lines import Lines

TASKDEF_NAME = re.compile(r"(?:^|[-_.])task-?def(?:inition)?[^/]*\.json$|^taskdef[^/]*\.json$", re.I)
_JSON_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')


def scan_taskdef(scan: Scan, path: str, text: str) -> None:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        scan.warn(INVALID_YAML, path, 1, f"unreadable task definition JSON: {exc}")
        return
    containers = doc.get("containerDefinitions") if isinstance(doc, dict) else None
    literal_lines: dict[str, int] | None = None
    for container in containers if isinstance(containers, list) else []:
        if scan.full:
            return
        image = container.get("image") if isinstance(container, dict) else None
        if isinstance(image, str):
            if literal_lines is None:
                literal_lines = _literal_lines(text)
            add_image(scan, image, path, literal_lines.get(json.dumps(image), 1), "ecs-task-definition", None)


def _literal_lines(text: str) -> dict[str, int]:
    """Line of the first occurrence of each JSON string literal (as written, quotes included):
    one pass, where a search per container from the top of the file is quadratic."""
    found: dict[str, int] = {}
    line_at = Lines(text)
    for m in _JSON_STRING.finditer(text):
        found.setdefault(m.group(), line_at(m.start()))
    return found
