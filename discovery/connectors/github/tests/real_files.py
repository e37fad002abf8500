"""Fixture cases that reproduce patterns found in real files of public repositories (issue 15 §2).

Each ``real_files/<area>/<pattern>.yaml`` is our own small repository written after a pattern seen in
public repositories (never a copy of one): what the pattern is, then ``cases``, each with a
repository's ``files`` and what the facts ``repo_batch`` produces from them must say, as the fact
store keeps them (attributes through the kind's whitelist):

- ``expect``: ``{fact kind: [attributes]}``, each a subset of some fact's attributes (``name`` included);
- ``absent``: ``{fact kind: [attributes]}``, each a subset of no fact's attributes;
- ``exactly``: ``{fact kind: [names]}``, the names of all the facts of that kind, in any order;
- ``warnings``: text each of which some batch warning's message must contain;
- ``no_warnings``: text no batch warning's message may contain.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from discovery import facts
from discovery.connectors.github.repo_facts import repo_batch

CASES = Path(__file__).resolve().parent / "real_files"
ORG = "acme"


def cases(area: str) -> list:
    """pytest params, one per case of every pattern file of an area, named ``<file>:<case>``."""
    params = []
    for path in sorted((CASES / area).glob("*.yaml")):
        pattern = yaml.safe_load(path.read_text())
        assert pattern.get("pattern"), f"{path.name}: say which real-world pattern it reproduces"
        for case in pattern["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}:{case['id']}"))
    return params


def produced(case: dict) -> tuple[dict[str, list[dict]], list[str]]:
    """Facts (kind -> attributes with ``name``, as stored) and warning messages of the case's repository."""
    batch = repo_batch(ORG, {"name": case.get("repo", "service"), "files": case["files"]})
    found: dict[str, list[dict]] = {}
    for fact in batch.facts:
        attrs = facts.clean_attributes(fact.kind, dict(fact.attributes))
        found.setdefault(fact.kind, []).append({**attrs, "name": fact.name})
    return found, [w["message"] for w in batch.warnings]


def _matches(attrs: dict, subset: dict[str, Any]) -> bool:
    return all(attrs.get(key) == value for key, value in subset.items())


def check(case: dict) -> None:
    found, warnings = produced(case)
    for kind, wanted in (case.get("expect") or {}).items():
        for subset in wanted:
            assert any(_matches(a, subset) for a in found.get(kind, [])), \
                f"no {kind} with {subset}; produced: {found.get(kind, [])}"
    for kind, unwanted in (case.get("absent") or {}).items():
        for subset in unwanted:
            hits = [a for a in found.get(kind, []) if _matches(a, subset)]
            assert not hits, f"{kind} with {subset} should not be produced: {hits}"
    for kind, names in (case.get("exactly") or {}).items():
        assert sorted(a["name"] for a in found.get(kind, [])) == sorted(names)
    for text in case.get("warnings") or ():
        assert any(text in w for w in warnings), f"no warning saying {text!r}: {warnings}"
    for text in case.get("no_warnings") or ():
        assert not any(text in w for w in warnings), f"a warning says {text!r}: {warnings}"
