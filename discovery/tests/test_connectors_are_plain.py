"""Connectors are plain code (``discovery/facts.py``, CONTRIBUTING "Adding a connector"): no Django, no
models, no later app. What they need from Roster's records comes in a scan state from the executor."""
import ast
from pathlib import Path

import pytest

CONNECTORS = Path(__file__).resolve().parents[1] / "connectors"
# discovery.endpoints (the outbound policy every connector must ask) reads settings only, by design.
FORBIDDEN = ("django", "discovery.models", "discovery.store", "discovery.runs", "discovery.execute",
             "discovery.scan_state", "catalog", "ownership", "search", "accounts", "portal")
ALLOWED = ("portal.redact",)  # plain text scrubbing


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("path", sorted(p for p in CONNECTORS.rglob("*.py") if "tests" not in p.parts),
                         ids=lambda p: str(p.relative_to(CONNECTORS)))
def test_connector_module_imports_nothing_of_django(path):
    bad = sorted({m for m in imported_modules(path) for f in FORBIDDEN if m == f or m.startswith(f + ".")
                  if not any(m == a or m.startswith(a + ".") for a in ALLOWED)})
    assert bad == []
