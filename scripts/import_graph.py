"""Print which of Roster's apps import which (runtime code only: tests, migrations and benchmarks left out).

    .venv/bin/python scripts/import_graph.py          # one line per app: app -> the apps it imports
    .venv/bin/python scripts/import_graph.py --edges  # one line per import, with the importing module

Apps are the top-level packages of the checkout; portal's settings and URL root are wiring that names
every app, so they are left out. Imports inside functions count too: a deferred import is
still a dependency.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "accounts", "audit", "discovery", "catalog", "ownership", "search", "freshness", "notifications",
        "oncall", "slackbot", "peers")
SKIP_PARTS = {"tests", "migrations", "management", "__pycache__"}
WIRING = {"portal/settings.py", "portal/settings_test.py", "portal/urls.py"}  # names every app by design


def runtime_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        rel = path.relative_to(ROOT)
        if (SKIP_PARTS & set(rel.parts[1:-1]) or path.name.startswith("test_") or path.name == "conftest.py"
                or rel.as_posix() in WIRING):
            continue
        yield rel


def imported_apps(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in APPS:
                found.add((top, node.lineno))
    return found


def graph() -> dict[str, dict[str, list[str]]]:
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for app in APPS:
        for rel in runtime_modules(app):
            for target, line in sorted(imported_apps(ROOT / rel)):
                if target != app:
                    edges[app][target].append(f"{rel}:{line}")
    return edges


def main(argv: list[str]) -> int:
    edges = graph()
    if "--edges" in argv:
        for app in APPS:
            for target, places in sorted(edges[app].items()):
                for place in places:
                    print(f"{app} -> {target}  {place}")
        return 0
    for app in APPS:
        print(f"{app:<10} -> {', '.join(sorted(edges[app])) or '(nothing)'}")
    cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, {})})
    print("two-way: " + (", ".join(f"{a} <-> {b}" for a, b in cycles) or "none"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
