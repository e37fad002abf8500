"""YAML text: the scenario document as the bundled files write it (``dump``), and the YAML files inside
repositories (workflows, serverless.yml, SAM templates, manifests, catalog-info), which are built as
dicts and written by ``to_yaml``.

``to_yaml`` is ``yaml.safe_dump`` with a few representers so the files read like hand-written ones:
lists indented under their key, ``key:`` for an empty value (``workflow_dispatch:``), literal blocks
for multi-line strings (``run: |``), ``Flow`` / ``FlowMap`` for short inline lists and matrix rows, and
``Tag`` for CloudFormation's short-form functions (``!GetAtt Queue.Arn``, ``!Sub ...``). Booleans
are YAML 1.2's ``true`` / ``false`` only, as GitHub Actions and the Serverless Framework read them, so
the ``on`` key of a workflow is written bare (PyYAML would quote it as a YAML 1.1 boolean).
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

import yaml

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"


# ------------------------------------------------------------------------------ the scenario document

class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when present: 10x faster
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(_STR, value, style=style)


_Dumper.add_representer(str, _str)


def dump(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False)


# ------------------------------------------------------------------------------ files in repositories

class Flow(list):
    """A list written inline: ``branches: [main]``."""


class FlowMap(dict):
    """A mapping written inline: ``- {env: prod, stack: ApiStack-prod}``."""


class Tag(NamedTuple):
    """A scalar with a local tag, as CloudFormation's short forms: ``Tag("!GetAtt", "Queue.Arn")``."""
    tag: str
    value: str


class _FileDumper(yaml.SafeDumper):
    yaml_implicit_resolvers = {first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
                               for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()}

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # "steps:\n  - uses: ..." rather than "steps:\n- uses: ..."

    def choose_scalar_style(self) -> str:
        """A ``Tag`` value plain when it can be (``!GetAtt Queue.Arn``): PyYAML quotes every scalar whose
        tag it cannot resolve implicitly."""
        tag = self.event.tag
        if tag and tag.startswith("!") and not tag.startswith("!!") and not self.event.style:
            if self.analysis is None:
                self.analysis = self.analyze_scalar(self.event.value)
            if (self.analysis.allow_block_plain and not self.analysis.empty and not self.analysis.multiline
                    and not self.flow_level and not self.simple_key_context):
                return ""
        return super().choose_scalar_style()


_FileDumper.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_FileDumper.add_representer(str, _str)
_FileDumper.add_representer(type(None), lambda d, _: d.represent_scalar("tag:yaml.org,2002:null", ""))
_FileDumper.add_representer(Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_FileDumper.add_representer(FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_FileDumper.add_representer(Tag, lambda d, v: d.represent_scalar(v.tag, v.value))


def to_yaml(doc: Any) -> str:
    """The text of a YAML file in a repository (keys in insertion order, nothing folded)."""
    return yaml.dump(doc, Dumper=_FileDumper, sort_keys=False, allow_unicode=True, width=4096,
                     default_flow_style=False)
