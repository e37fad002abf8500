"""SAM/CloudFormation templates (``template.yaml``, ``*.template.yaml``, ``*.cfn.yaml``): the
literal names of their Lambda functions and ECS services. An intrinsic (``!Ref``, ``!Sub``) is a
name we can't know, so it is skipped."""
from __future__ import annotations

import re

from .aws_cli import add_ecs
from .context import INVALID_YAML, LAMBDA_FUNCTION, Scan
from .lines import Lines, line_of
from .safe_yaml import load_tolerant

TEMPLATE_NAME = re.compile(r"^(?:template|.+\.template|.+\.cfn)\.ya?ml$", re.I)
_TEMPLATE_NAME_KEY = re.compile(r"(FunctionName|ServiceName)\s*:\s*['\"]?([^\s'\"#,}\]]*)")


class _TemplateNames:
    """Lines of ``FunctionName: x`` / ``ServiceName: x`` in a template, indexed in one pass.

    A name is looked up as the whole value written after the key; one written some other way
    (flow style, odd quoting) falls back to a search from the top, a bounded number of times."""

    MAX_SEARCHES = 20

    def __init__(self, text: str):
        self.text = text
        self.searches = 0
        line_at = Lines(text)
        self.found: dict[tuple[str, str], int] = {}
        for m in _TEMPLATE_NAME_KEY.finditer(text):
            self.found.setdefault((m.group(1), m.group(2)), line_at(m.start()))

    def line(self, key: str, name: str) -> int:
        line = self.found.get((key, name))
        if line is None and self.searches < self.MAX_SEARCHES:
            self.searches += 1
            line = line_of(self.text, key + r"\s*:\s*['\"]?" + re.escape(name))
        return line or 1


def scan_template(scan: Scan, path: str, text: str) -> None:
    try:
        doc = load_tolerant(text)
    except Exception as exc:
        mark = getattr(exc, "problem_mark", None)
        scan.warn(INVALID_YAML, path, mark.line + 1 if mark else 1, f"unreadable template: {exc}")
        return
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    if not isinstance(resources, dict):
        return
    transform = doc.get("Transform")
    sam = any(isinstance(t, str) and "AWS::Serverless" in t
              for t in (transform if isinstance(transform, list) else [transform]))
    names = _TemplateNames(text)
    for resource in resources.values():
        if scan.full:
            return
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
            continue
        props, kind = resource["Properties"], resource.get("Type")
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function") and isinstance(props.get("FunctionName"), str):
            name = props["FunctionName"]
            scan.add(LAMBDA_FUNCTION, name, path, names.line("FunctionName", name),
                     "sam" if sam else "cloudformation")
        elif kind == "AWS::ECS::Service" and isinstance(props.get("ServiceName"), str):
            name = props["ServiceName"]
            cluster = props.get("Cluster", "default")  # an intrinsic (!Ref) is unknown, not "default"
            add_ecs(scan, name, cluster if isinstance(cluster, str) else "", path, names.line("ServiceName", name),
                    "sam" if sam else "cloudformation", None)
