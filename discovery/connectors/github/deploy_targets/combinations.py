"""What a job runs once per: its matrix combinations, and the candidate values of the inputs it reads.

Matrix combinations follow GitHub's expansion rules, projected on the keys the job's text uses.

An input's candidates are its default, the options of a ``workflow_dispatch`` choice, and what the
repository's own callers pass: jobs calling a reusable workflow (``uses: ./.github/workflows/x.yml``
with ``with:``) and steps calling a composite action (``uses: ./.github/actions/x``). A job that reads
an input runs once per combination of the candidates it reads (like a matrix), so a dispatch workflow
offering dev/staging/prod, or a reusable deploy workflow called once per environment, names the
targets of every environment rather than the default's alone. What one call passes stays together: a
file its callers run (a reusable workflow, a composite action) runs once per call (per the caller's
matrix row and own run), never with one call's ``stage`` and another's ``region``; only its own
dispatch choices and defaults combine freely.

Bounded: at most MAX_INPUT_VALUES candidates an input, MAX_MATRIX_COMBOS combinations a job or a
call, MAX_CALL_DEPTH rounds of callers passing on what their own callers passed them and
MAX_CALL_EVALUATIONS values evaluated in all (beyond it, an ``input_too_large`` warning).
"""
from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Callable
from typing import Any

import yaml

from .context import REG, UNRES, Job, Scan, Step
from .expressions import expand_gh
from .limits import MAX_CALL_DEPTH, MAX_CALL_EVALUATIONS, MAX_INPUT_VALUES, MAX_MATRIX_COMBOS
from .safe_yaml import compose, env_of, mapping, scalar

INPUT_REF = re.compile(r"\binputs\.([A-Za-z_][\w-]*)|\binputs\[\s*'([^']+)'\s*\]")
MATRIX_REF = re.compile(r"matrix\.([A-Za-z_][\w-]*)|matrix\[\s*'([^']+)'\s*\]")

Candidates = dict[str, list[str]]


def matrix_combos(strategy: Any, used: set[str]) -> list[dict[str, str]]:
    """Matrix combinations, projected on the keys the job text uses (GitHub's expansion rules)."""
    if not used:
        return [{}]
    matrix = mapping(mapping(strategy).get("matrix"))
    axes: dict[str, list[str]] = {}
    for key, node in matrix.items():
        if key in ("include", "exclude"):
            continue
        if isinstance(node, yaml.SequenceNode):
            axes[key] = [v for v in map(scalar, node.value) if v is not None][:MAX_MATRIX_COMBOS]
        elif scalar(node) is not None:
            axes[key] = [scalar(node)]
    combos = [dict(zip(axes, values)) for values in itertools.islice(
        itertools.product(*axes.values()), MAX_MATRIX_COMBOS * 4)] if axes else []

    def entries(key: str) -> list[dict[str, str]]:
        node = matrix.get(key)
        items = node.value if isinstance(node, yaml.SequenceNode) else []
        return [{k: v for k, v in ((k, scalar(n)) for k, n in mapping(i).items()) if v is not None}
                for i in items[:MAX_MATRIX_COMBOS]]
    for ex in entries("exclude"):
        combos = [c for c in combos if not all(c.get(k) == v for k, v in ex.items())]
    # an include extends the product's combinations whose original values it doesn't change;
    # one that extends none becomes a combination of its own (and is never extended itself)
    originals = [dict(c) for c in combos]
    added: list[dict[str, str]] = []
    for inc in entries("include"):
        matched = False
        for combo, original in zip(combos, originals):
            if all(original.get(k, v) == v for k, v in inc.items()):
                combo.update(inc)
                matched = True
        if not matched:
            added.append(dict(inc))
    combos += added
    projected = list(dict.fromkeys(tuple((k, c.get(k)) for k in sorted(used)) for c in combos))
    result = [{k: v for k, v in p if v is not None} for p in projected[:MAX_MATRIX_COMBOS]]
    return result or [{}]


def refs(pattern: re.Pattern, *texts: str) -> set[str]:
    return {a or b for text in texts for a, b in pattern.findall(text)}


def workflow_root(scan: Scan, path: str) -> tuple[Any, Exception | None]:
    """The node tree of a workflow or action file, composed once per scan."""
    return scan.parse_once("workflow", path, compose)


def own_inputs(top: dict[str, yaml.Node], action: bool) -> Candidates:
    """Defaults (first) and choice options of a file's declared inputs."""
    found: Candidates = {}
    if action:
        specs = [mapping(top.get("inputs"))]
    else:
        on = mapping(top.get("on"))
        specs = [mapping(mapping(on.get(t)).get("inputs")) for t in ("workflow_dispatch", "workflow_call")]
    for inputs in specs:
        for key, spec_node in inputs.items():
            spec = mapping(spec_node)
            values = found.setdefault(key, [])
            default = scalar(spec.get("default"))
            if default:
                add_value(values, default)
            options = spec.get("options")
            for option in options.value if isinstance(options, yaml.SequenceNode) else []:
                if scalar(option):
                    add_value(values, scalar(option))
    return {k: v for k, v in found.items() if v}


def add_value(values: list[str], value: str) -> bool:
    if value in values or len(values) >= MAX_INPUT_VALUES:
        return False
    values.append(value)
    return True


def combos(candidates: Candidates, used: set[str]) -> list[dict[str, str]]:
    """Every combination of the candidates of the inputs ``used`` (defaults first), capped."""
    keys = sorted(k for k in used if candidates.get(k))
    if not keys:
        return [{}]
    product = itertools.islice(itertools.product(*(candidates[k] for k in keys)), MAX_MATRIX_COMBOS)
    return [dict(zip(keys, values)) for values in product]


def defaults(candidates: Candidates) -> dict[str, str]:
    return {k: v[0] for k, v in candidates.items() if v}


def is_action(path: str) -> bool:
    """A composite action's file (``.github/actions/**/action.yml``), not a workflow."""
    return path.startswith(".github/actions/")


def local_callee(uses: str, files: dict[str, str]) -> str | None:
    """The file a ``uses: ./...`` names in this repository: a reusable workflow or a composite action."""
    if not uses.startswith("./"):
        return None
    path = posixpath.normpath(uses.split("@", 1)[0][2:])
    if path.startswith(".github/workflows/"):
        return path if path in files else None
    if path.startswith(".github/actions/"):
        return next((c for c in (path + "/action.yml", path + "/action.yaml") if c in files), None)
    return None


def input_candidates(scan: Scan, paths: Callable[[], list[str]]) -> dict[str, Candidates]:
    """Path -> input -> candidate values, for the workflow and action files ``paths()`` lists (once per scan).
    What each call passes, kept together, is in ``scan.memo("inputs")["calls"]`` (read by ``input_runs``)."""
    memo = scan.memo("inputs")
    if "candidates" in memo:
        return memo["candidates"]
    tops: dict[str, dict[str, yaml.Node]] = {}
    for path in paths():
        root, exc = workflow_root(scan, path)
        if exc is None and mapping(root):
            tops[path] = mapping(root)
    own = {p: own_inputs(top, is_action(p)) for p, top in tops.items()}
    candidates = {p: {k: list(v) for k, v in c.items()} for p, c in own.items()}
    memo["own"], memo["candidates"] = own, candidates
    memo["standalone"] = {p for p, top in tops.items() if not is_action(p) and _runs_on_its_own(top)}
    calls = [call for path, top in tops.items() for call in _calls(scan, path, top)]
    budget = [MAX_CALL_EVALUATIONS]
    passed_by: dict[str, list[dict[str, str]]] = {}
    for _ in range(MAX_CALL_DEPTH):  # a caller may pass on what its own callers passed it
        changed = False
        memo["calls"], passed_by = passed_by, {}
        for caller, callee, with_nodes, job in calls:
            if callee not in candidates:
                continue
            caller_runs = input_runs(scan, caller, candidates.get(caller, {}), _input_refs(with_nodes))
            for passed in _passed(scan, with_nodes, job, caller_runs, budget):
                known = candidates[callee]
                if any(v not in known.get(k, ()) and len(known.get(k, ())) >= MAX_INPUT_VALUES
                       for k, v in passed.items()):
                    continue  # an input has all the candidates it may have: runs bringing more are not read
                runs = passed_by.setdefault(callee, [])
                if passed not in runs and len(runs) < MAX_MATRIX_COMBOS:
                    runs.append(passed)
                for name, value in passed.items():
                    changed |= add_value(known.setdefault(name, []), value)
            if budget[0] <= 0:
                scan.too_large(caller, 1, f"more than {MAX_CALL_EVALUATIONS} input values passed between this "
                                          "repository's workflows; the rest were not read")
                break
        changed |= passed_by != memo["calls"]
        if not changed or budget[0] <= 0:
            break
    memo["calls"] = passed_by
    return candidates


def input_runs(scan: Scan, path: str, candidates: Candidates, used: set[str]) -> list[dict[str, str]]:
    """The input values each run of ``path`` sees, projected on the inputs ``used`` (defaults filled in):
    one run per call its callers make (what a call passes stays together), and, for a file that also runs
    on its own (or that nothing calls), every combination of its own defaults and dispatch choices."""
    memo = scan.memo("inputs")
    calls = (memo.get("calls") or {}).get(path) or []
    base = defaults(candidates)
    runs: list[dict[str, str]] = []
    if calls:
        runs += [{**base, **passed} for passed in calls]
        if path in (memo.get("standalone") or ()):
            runs += [{**base, **combo} for combo in combos((memo.get("own") or {}).get(path, {}), used)]
    else:
        runs += [{**base, **combo} for combo in combos(candidates, used)]
    keys = sorted(used)
    projected = list(dict.fromkeys(tuple((k, run.get(k)) for k in keys) for run in runs))
    return [{**base, **{k: v for k, v in p if v is not None}} for p in projected[:MAX_MATRIX_COMBOS]] or [base]


def _runs_on_its_own(top: dict[str, yaml.Node]) -> bool:
    """Whether a workflow has a trigger besides ``workflow_call`` (a push, a dispatch, a schedule...)."""
    on = top.get("on")
    if isinstance(on, yaml.MappingNode):
        return any(scalar(k) != "workflow_call" for k, _ in on.value)
    if isinstance(on, yaml.SequenceNode):
        return any(scalar(n) != "workflow_call" for n in on.value)
    return scalar(on) not in (None, "workflow_call")


def _input_refs(with_nodes: dict[str, yaml.Node]) -> set[str]:
    return refs(INPUT_REF, *(t for t in (scalar(v) for v in with_nodes.values()) if t))


def _calls(scan: Scan, path: str, top: dict[str, yaml.Node]) -> list[tuple[str, str, dict, tuple]]:
    """(caller path, callee path, its ``with:`` nodes, (env, strategy node)) of each local call in a file."""
    found = []
    files = scan.files
    if is_action(path):
        jobs = [({}, None, mapping(top.get("runs")).get("steps"))]
    else:
        wf_env = env_of(top.get("env"))
        jobs = []
        for job_node in mapping(top.get("jobs")).values():
            job = mapping(job_node)
            env = {**wf_env, **env_of(job.get("env"))}
            callee = local_callee(scalar(job.get("uses")) or "", files)
            if callee:
                found.append((path, callee, mapping(job.get("with")), (env, job.get("strategy"))))
            jobs.append((env, job.get("strategy"), job.get("steps")))
    for env, strategy, steps in jobs:
        for step_node in steps.value if isinstance(steps, yaml.SequenceNode) else []:
            step = mapping(step_node)
            callee = local_callee(scalar(step.get("uses")) or "", files)
            if callee:
                found.append((path, callee, mapping(step.get("with")),
                              ({**env, **env_of(step.get("env"))}, strategy)))
    return found


def _passed(scan: Scan, with_nodes: dict[str, yaml.Node], job: tuple, caller_runs: list[dict[str, str]],
            budget: list[int]):
    """What a call passes ({input: value}) for every matrix combination and run of its caller its values
    read; each value evaluated costs one of ``budget``."""
    env, strategy = job
    texts = {k: scalar(v) for k, v in with_nodes.items() if scalar(v)}
    if not texts:
        yield {}  # a call passing nothing still runs the callee, with its defaults
        return
    body = list(texts.values())
    runs = 0
    for matrix in matrix_combos(strategy, refs(MATRIX_REF, *body)):
        for inputs in caller_runs:
            runs += 1
            if runs > MAX_MATRIX_COMBOS:
                return
            step = Step(Job("", env, matrix, dict(inputs)), env, "")
            passed = {}
            for name, text in texts.items():
                budget[0] -= 1
                if budget[0] < 0:
                    return
                value = expand_gh(scan, text, step).strip()
                if value and UNRES not in value and REG not in value:
                    passed[name] = value
            yield passed
