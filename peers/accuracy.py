"""Score a catalog against a scenario's truth (``scenarios/FORMAT.md``, "Scoring against truth").

- A catalog entry *matches* a truth service when its normalized name (lowercase, ``_`` = ``-``)
  equals the truth name or one of its aliases, or when its repository is the truth repository.
  Each truth service is matched once (the best-fitting entry: repository and name both, then
  repository, then name, then shared resources); other entries that match it are duplicates.
- precision = matched entries / entries; recall = matched truth services / truth services;
  owner accuracy and repo accuracy over matched entries (null = unowned / no repository);
  resource coverage = truth resources of matched services attached to the matching entry /
  truth resources of matched services; accuracy = matched entries with the right owner and the
  right repository / entries.

``python -m peers.accuracy [scenario.yaml ...]`` runs simulate -> reconcile -> export -> score
for each file (default: the shared samples and ``scenarios/*.yaml``) and prints a table.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# scenario ref kind -> catalog resource types it may be
REF_TYPES = {"stack": ("cloudformation_stack",), "ecs": ("ecs_service",), "lambda": ("lambda_function",),
             "api": ("apigateway_rest_api", "apigateway_http_api"), "rds": ("rds_instance", "rds_cluster"),
             "sqs": ("sqs_queue",)}
TYPE_REF = {t: k for k, types in REF_TYPES.items() for t in types}


def normalize(name: str | None) -> str:
    return str(name or "").strip().lower().replace("_", "-")


@dataclass
class Report:
    scenario: str
    entries: int
    truth_services: int
    matched: int
    precision: float
    recall: float
    owner_accuracy: float
    repo_accuracy: float
    resource_coverage: float
    accuracy: float
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    unmatched_entries: list[str] = field(default_factory=list)
    missed_services: list[str] = field(default_factory=list)
    wrong_owners: list[dict[str, Any]] = field(default_factory=list)
    wrong_repos: list[dict[str, Any]] = field(default_factory=list)
    missing_resources: list[dict[str, Any]] = field(default_factory=list)
    excluded_repo_entries: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {"entries": self.entries, "truth": self.truth_services, "matched": self.matched,
                "precision": self.precision, "recall": self.recall, "owner_accuracy": self.owner_accuracy,
                "repo_accuracy": self.repo_accuracy, "resource_coverage": self.resource_coverage,
                "accuracy": self.accuracy, "duplicates": len(self.duplicates)}

    def problems(self) -> str:
        lines = []
        for label, items in (("duplicates", self.duplicates), ("unmatched entries", self.unmatched_entries),
                             ("missed services", self.missed_services), ("wrong owners", self.wrong_owners),
                             ("wrong repos", self.wrong_repos), ("missing resources", self.missing_resources),
                             ("excluded repos in catalog", self.excluded_repo_entries)):
            if items:
                lines.append(f"{label} ({len(items)}):")
                lines.extend(f"  {item}" for item in items[:40])
        return "\n".join(lines)


# The bar for companies built differently (issue 15: monorepos, Terraform, acquisitions, real-org messiness);
# the bundled files hold theirs in peers/tests/test_accuracy.py.
STYLE_BAR = {"accuracy": 0.97, "recall": 0.98, "resource_coverage": 0.97}


def below_bar(report: Report, bar: dict[str, float] = STYLE_BAR) -> list[str]:
    """What keeps ``report`` under ``bar``: each figure below it, duplicates, excluded repositories listed."""
    misses = [f"{name} {getattr(report, name):.3f} < {least}" for name, least in bar.items()
              if getattr(report, name) < least]
    if report.duplicates:
        misses.append(f"{len(report.duplicates)} duplicates")
    if report.excluded_repo_entries:
        misses.append(f"{len(report.excluded_repo_entries)} excluded repositories in the catalog")
    return misses


def _truth_ref(ref: str) -> tuple[str, str, str, str] | None:
    kind, _, rest = str(ref).partition(":")
    parts = rest.split("/", 2)
    if kind not in REF_TYPES or len(parts) != 3:
        return None
    return kind, parts[0], parts[1], parts[2]


def _entry_refs(entry: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    out = set()
    for r in entry.get("resources") or []:
        kind = TYPE_REF.get(r.get("type"))
        if kind:
            out.add((kind, str(r.get("account") or ""), str(r.get("region") or ""), str(r.get("name") or "")))
    return out


def score(catalog: dict[str, Any], scenario: dict[str, Any]) -> Report:
    entries = list(catalog.get("services") or [])
    truth = list((scenario.get("truth") or {}).get("services") or [])
    truth_names = []
    for t in truth:
        truth_names.append({normalize(t.get("name"))} | {normalize(a) for a in t.get("aliases") or []})
    truth_refs = [{r for r in map(_truth_ref, t.get("resources") or []) if r} for t in truth]
    entry_refs = [_entry_refs(e) for e in entries]

    pairs = []
    for ei, e in enumerate(entries):
        name, repo = normalize(e.get("name")), str(e.get("repo") or "").lower()
        for ti, t in enumerate(truth):
            by_name = name in truth_names[ti]
            by_repo = bool(repo) and repo == str(t.get("repo") or "").lower()
            if by_name or by_repo:
                overlap = len(entry_refs[ei] & truth_refs[ti]) / max(1, len(truth_refs[ti]))
                pairs.append((-(2 * by_repo + by_name + overlap), ei, ti))
    pairs.sort()
    entry_match: dict[int, int] = {}
    truth_match: dict[int, int] = {}
    for _, ei, ti in pairs:
        if ei in entry_match or ti in truth_match:
            continue
        entry_match[ei] = ti
        truth_match[ti] = ei
    matched_any = {ei for _, ei, _ in pairs}
    report = Report(scenario=str(scenario.get("name", "")), entries=len(entries), truth_services=len(truth),
                    matched=len(entry_match), precision=0.0, recall=0.0, owner_accuracy=0.0, repo_accuracy=0.0,
                    resource_coverage=0.0, accuracy=0.0)
    for ei in sorted(matched_any - set(entry_match)):
        tis = sorted({ti for _, e2, ti in pairs if e2 == ei})
        report.duplicates.append({"entry": entries[ei].get("name"), "of": [truth[ti]["name"] for ti in tis]})
    for ei, e in enumerate(entries):
        if ei not in matched_any:
            report.unmatched_entries.append(f"{e.get('name')} (repo {e.get('repo')})")
    report.missed_services = [truth[ti]["name"] for ti in range(len(truth)) if ti not in truth_match]
    right_owner = right_repo = correct = covered = total_refs = 0
    for ei, ti in sorted(entry_match.items()):
        e, t = entries[ei], truth[ti]
        owner_ok = (e.get("owner") or None) == (t.get("owner") or None)
        repo_ok = str(e.get("repo") or "").lower() == str(t.get("repo") or "").lower()
        right_owner += owner_ok
        right_repo += repo_ok
        correct += owner_ok and repo_ok
        if not owner_ok:
            report.wrong_owners.append({"service": t["name"], "expected": t.get("owner"), "got": e.get("owner"),
                                        "status": e.get("ownership_status")})
        if not repo_ok:
            report.wrong_repos.append({"service": t["name"], "expected": t.get("repo"), "got": e.get("repo")})
        total_refs += len(truth_refs[ti])
        hit = truth_refs[ti] & entry_refs[ei]
        covered += len(hit)
        for ref in sorted(truth_refs[ti] - hit):
            report.missing_resources.append({"service": t["name"], "resource": f"{ref[0]}:{ref[1]}/{ref[2]}/{ref[3]}"})
    excluded = {str(r).lower() for r in (scenario.get("truth") or {}).get("excluded_repos") or []}
    report.excluded_repo_entries = [e.get("name") for e in entries if str(e.get("repo") or "").lower() in excluded]
    n = report.matched
    report.precision = round(n / len(entries), 4) if entries else 0.0
    report.recall = round(len(truth_match) / len(truth), 4) if truth else 1.0
    report.owner_accuracy = round(right_owner / n, 4) if n else 0.0
    report.repo_accuracy = round(right_repo / n, 4) if n else 0.0
    report.resource_coverage = round(covered / total_refs, 4) if total_refs else 1.0
    report.accuracy = round(correct / len(entries), 4) if entries else 0.0
    return report



def catalog_from_drafts(result, tenant: str) -> dict[str, Any]:
    """The ``roster-catalog/1`` export of a reconcile result, with the owners the ownership step would infer
    from its evidence (both steps in memory, as a discovery runs them one after the other)."""
    from ownership.signals import infer_drafts

    owners = infer_drafts(result)
    services = []
    for d in result.services:
        owner = owners[d.key]
        services.append({
            "name": d.name, "display_name": d.display_name, "aliases": list(d.aliases), "description": d.description,
            "entry_type": d.entry_type, "component_type": d.component_type, "service_type": d.service_type,
            "owner": owner["owner"], "owner_confidence": owner["confidence"], "ownership_status": owner["status"],
            "owner_source": owner["source"], "repo": d.repo, "repo_confidence": d.repo_confidence,
            "repo_rule": d.repo_rule, "confidence": owner["service_confidence"], "lifecycle": d.lifecycle,
            "tier": d.tier, "environments": list(d.environments), "health": d.health, "sources": list(d.sources),
            "tech_stack": list(d.tech_stack),
            "resources": [{"type": r.kind, "name": r.name, "account": r.account, "region": r.region,
                           "arn": r.external_id, "rule": r.rule, "confidence": r.confidence} for r in d.resources],
        })
    return {"format": "roster-catalog/1", "tenant": tenant, "services": services}


# --- the figures table ----------------------------------------------------------------------------------
COLUMNS = ("scenario", "facts", "entries", "truth", "precision", "recall", "owner_accuracy", "repo_accuracy",
           "resource_coverage", "accuracy", "duplicates", "seconds")


def evaluate(scenario: dict[str, Any]) -> tuple[Report, dict[str, Any]]:
    """simulate -> reconcile -> export -> score for one scenario; returns the report and its table row."""
    from catalog.reconcile import reconcile
    from peers.simulate import facts_from_scenario

    facts, links = facts_from_scenario(scenario)
    started = time.perf_counter()
    result = reconcile(facts, links)
    seconds = time.perf_counter() - started
    report = score(catalog_from_drafts(result, scenario.get("name", "")), scenario)
    return report, {"scenario": scenario.get("name", ""), "facts": len(facts), **report.figures(),
                    "seconds": round(seconds, 3)}


def format_table(rows: list[dict[str, Any]]) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    widths = {c: max(len(c), *(len(cell(r.get(c, ""))) for r in rows)) for c in COLUMNS}
    head = " | ".join(c.ljust(widths[c]) for c in COLUMNS)
    lines = [head, "-|-".join("-" * widths[c] for c in COLUMNS)]
    for r in rows:
        lines.append(" | ".join(cell(r.get(c, "")).ljust(widths[c]) for c in COLUMNS))
    return "\n".join(lines)


_ROOT = Path(__file__).resolve().parent.parent
# The project's own companies, then the shared samples beside the checkout (../shared), when present.
SCENARIO_DIRS = (_ROOT / "scenarios", _ROOT.parent / "shared" / "scenarios")


def default_scenarios() -> list[Path]:
    """Every company file we have: the project's ``scenarios/`` first, then the shared samples."""
    files: dict[str, Path] = {}
    for directory in SCENARIO_DIRS:
        for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
            files.setdefault(path.name, path)
    return sorted(files.values(), key=lambda p: (not p.name.startswith("sample-"), p.name))


def main(argv: list[str] | None = None) -> int:
    from peers.scenario import load_scenario

    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args
    paths = [Path(a) for a in args if a != "-v"] or default_scenarios()
    rows = []
    for path in paths:
        report, row = evaluate(load_scenario(path))
        rows.append(row)
        if verbose and report.problems():
            print(f"== {row['scenario']} ({path})\n{report.problems()}\n")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
