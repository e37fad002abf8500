"""SAM/CloudFormation templates: the names of their Lambda functions and ECS services.

Found by name (``template.yaml|yml|json``, ``sam-template.yaml``, ``cloudformation.yaml``,
``*.template.yaml|json``, ``*.cfn.yaml``, ``*.sam.yaml``) or, when the file declares AWS resources,
as a bare ``*.template`` or any YAML/JSON file under ``cloudformation/``, ``cfn/`` or
``infrastructure/``. A name may be literal or built with ``Ref``/``Fn::Sub``/``Fn::Join`` (short or long form)
from parameters with a ``Default``: those are resolved; pseudo parameters (``AWS::StackName``,
``AWS::Region``), parameters without a default and other intrinsics are names we can't know, so the
resource is skipped.
"""
from __future__ import annotations

import bisect
import json
import re
from typing import Any

from .aws_cli import add_ecs
from .context import INVALID_YAML, LAMBDA_FUNCTION, Scan
from .lines import Lines, line_of
from .safe_yaml import Intrinsic, load_tolerant

TEMPLATE_NAME = re.compile(
    r"^(?:(?:sam[-_])?template|cloudformation|cfn)\.(?:ya?ml|json)$|^[^/]+\.(?:template|cfn|sam)\.(?:ya?ml|json)$", re.I)
# "x.template" is CloudFormation's old convention, but other tools' too (nginx.conf.template): read
# as a template only when it declares AWS resources
BARE_TEMPLATE_NAME = re.compile(r"^[^/]+\.template$", re.I)
TEMPLATE_FOLDERS = frozenset({"cloudformation", "cloud-formation", "cfn", "infrastructure"})
_TEMPLATE_FILE = re.compile(r"\.(?:ya?ml|json|template)$", re.I)
_TEMPLATE_NAME_KEY = re.compile(r"(FunctionName|ServiceName)\s*:\s*['\"]?([^\s'\"#,}\]]*)")
# a logical id: a key indented under Resources ([ \t], not \s: \s would span lines under re.M)
_LOGICAL_ID = re.compile(r"^[ \t]+['\"]?([A-Za-z0-9]+)['\"]?[ \t]*:", re.M)
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
MAX_DEPTH = 8          # intrinsics nested in one name
MAX_NAME_PARTS = 64    # items of one Fn::Join


def in_template_folder(path: str) -> bool:
    """A YAML/JSON file under a folder that holds templates (``cloudformation/``, ``cfn/`` ...)."""
    return bool(_TEMPLATE_FILE.search(path)) and any(part.lower() in TEMPLATE_FOLDERS for part in path.split("/")[:-1])


class _TemplateNames:
    """Lines of ``FunctionName: x`` / ``ServiceName: x`` in a template, indexed in one pass.

    A name is looked up as the whole value written after the key; one written some other way
    (flow style, odd quoting) falls back to a search from the top, a bounded number of times. A
    name built from intrinsics is at the first such key after its resource's logical id."""

    MAX_SEARCHES = 20

    def __init__(self, text: str):
        self.text = text
        self.searches = 0
        self.line_at = Lines(text)
        self.found: dict[tuple[str, str], int] = {}
        self.key_lines: dict[str, list[int]] = {}
        self.ids: dict[str, int] | None = None
        for m in _TEMPLATE_NAME_KEY.finditer(text):
            line = self.line_at(m.start())
            self.found.setdefault((m.group(1), m.group(2)), line)
            self.key_lines.setdefault(m.group(1), []).append(line)

    def line(self, key: str, name: str) -> int:
        line = self.found.get((key, name))
        if line is None and self.searches < self.MAX_SEARCHES:
            self.searches += 1
            line = line_of(self.text, key + r"\s*:\s*['\"]?" + re.escape(name))
        return line or 1

    def resource(self, key: str, logical_id: str) -> int:
        """The line of the first ``key`` after the resource's logical id (else the logical id's)."""
        if self.ids is None:
            self.ids = {}
            for m in _LOGICAL_ID.finditer(self.text):
                self.ids.setdefault(m.group(1), self.line_at(m.start()))
        start = self.ids.get(logical_id)
        if start is None:
            return 1
        lines = self.key_lines.get(key, [])
        i = bisect.bisect_right(lines, start)
        return lines[i] if i < len(lines) else start


def _load(text: str) -> Any:
    """JSON templates as JSON (YAML 1.1 trips on some of it), the rest with the tolerant YAML loader."""
    return json.loads(text) if text.lstrip().startswith("{") else load_tolerant(text)


def _intrinsic(value: Any) -> tuple[str, Any] | None:
    """(function, argument) of a short-form (``!Sub``) or long-form (``{"Fn::Sub": ...}``) intrinsic."""
    if isinstance(value, Intrinsic):
        return value.function.removeprefix("Fn::"), value.argument
    if isinstance(value, dict) and len(value) == 1:
        key, argument = next(iter(value.items()))
        if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::")):
            return key.removeprefix("Fn::"), argument
    return None


class Resolver:
    """Template values as strings, where parameters' defaults make them known."""

    def __init__(self, doc: dict):
        params = doc.get("Parameters")
        self.params: dict[str, str] = {}
        for name, spec in (params.items() if isinstance(params, dict) else []):
            default = spec.get("Default") if isinstance(spec, dict) else None
            if isinstance(name, str) and isinstance(default, (str, int, float)) and not isinstance(default, bool):
                self.params[name] = str(default)

    def value(self, value: Any, depth: int = 0) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        call = _intrinsic(value)
        if call is None or depth >= MAX_DEPTH:
            return None
        function, argument = call
        if function == "Ref":
            return self.params.get(argument) if isinstance(argument, str) else None
        if function == "Sub":
            return self._sub(argument, depth)
        if function == "Join":
            return self._join(argument, depth)
        return None  # GetAtt, ImportValue, If, FindInMap ...: known only once deployed

    def _sub(self, argument: Any, depth: int) -> str | None:
        variables: dict[str, str | None] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, extra = argument
            variables = {str(k): self.value(v, depth + 1) for k, v in extra.items()}
        if not isinstance(argument, str):
            return None
        unknown = False

        def var(m: re.Match) -> str:
            nonlocal unknown
            name = m.group(1).strip()
            known = variables.get(name) if name in variables else self.params.get(name)
            if known is None:
                unknown = True
                return ""
            return known
        text = _SUB_VAR.sub(var, argument).replace("${!", "${")  # ${!Literal} is written as ${Literal}
        return None if unknown else text

    def _join(self, argument: Any, depth: int) -> str | None:
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)
                and isinstance(argument[1], list)) or len(argument[1]) > MAX_NAME_PARTS:
            return None
        parts = [self.value(item, depth + 1) for item in argument[1]]
        return None if any(p is None for p in parts) else argument[0].join(parts)


def scan_template_if_aws(scan: Scan, path: str, text: str) -> None:
    """A file that may be a template (in a templates folder, or a bare ``x.template``): read as one only
    when it declares AWS resources (a folder named ``infrastructure`` holds other YAML too)."""
    if "AWS::" in text:
        scan_template(scan, path, text)


def scan_template(scan: Scan, path: str, text: str) -> None:
    try:
        doc = _load(text)
    except Exception as exc:  # YAMLError, JSONDecodeError, RecursionError
        mark = getattr(exc, "problem_mark", None)
        scan.warn(INVALID_YAML, path, mark.line + 1 if mark else 1, f"unreadable template: {exc}")
        return
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    if not isinstance(resources, dict):
        return
    transform = doc.get("Transform")
    source = "sam" if any(isinstance(t, str) and "AWS::Serverless" in t
                          for t in (transform if isinstance(transform, list) else [transform])) else "cloudformation"
    names = _TemplateNames(text)
    resolver = Resolver(doc)
    for logical_id, resource in resources.items():
        if scan.full:
            return
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
            continue
        props, kind = resource["Properties"], resource.get("Type")
        key = "FunctionName" if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function") else \
            "ServiceName" if kind == "AWS::ECS::Service" else None
        if key is None or key not in props:
            continue
        name = resolver.value(props[key])
        if not name:
            continue
        line = names.line(key, name) if isinstance(props[key], str) else names.resource(key, str(logical_id))
        if key == "FunctionName":
            scan.add(LAMBDA_FUNCTION, name, path, line, source, companion=path if source == "sam" else None)
        else:
            cluster = resolver.value(props.get("Cluster", "default"))  # unresolved: unknown, not "default"
            add_ecs(scan, name, cluster or "", path, line, source, None)
