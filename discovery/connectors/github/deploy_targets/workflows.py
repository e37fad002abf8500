"""GitHub Actions workflows (``.github/workflows/*.yml|yaml``) and composite actions
(``.github/actions/**/action.yml``): the walk over jobs, matrix combinations and steps.

Files are read as YAML node trees so every target keeps its line. A job runs once per matrix
combination its text uses; each step's ``uses:`` goes to ``actions`` and its ``run:`` to
``scripts``. Malformed YAML gives an ``invalid_yaml`` warning, then the line-based pass of
``fallback``.
"""
from __future__ import annotations

import itertools
import re
from collections import ChainMap
from typing import Any

import yaml

from .actions import scan_action
from .context import INVALID_YAML, Job, Scan, Step, layer
from .expressions import expand_gh
from .fallback import scan_fallback
from .limits import MAX_MATRIX_COMBOS, MAX_STEP_VISITS
from .safe_yaml import compose, env_of, mapping, scalar
from .scripts import scan_script

WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
ACTION_PATH = re.compile(r"^\.github/actions/(?:[^/]+/)*action\.ya?ml$")
_MATRIX_REF = re.compile(r"matrix\.([A-Za-z_][\w-]*)|matrix\[\s*'([^']+)'\s*\]")


def scan_workflow(scan: Scan, path: str, text: str) -> None:
    try:
        root = compose(text)
    except Exception as exc:  # YAMLError, RecursionError on absurd nesting, reader errors
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        scan.warn(INVALID_YAML, path, line, f"invalid YAML ({getattr(exc, 'problem', None) or exc}); "
                                           "read run: lines only")
        scan_fallback(scan, path, text)
        return
    top = mapping(root)
    if not top:
        if root is not None:
            scan.warn(INVALID_YAML, path, 1, "workflow is not a mapping")
        return
    # Aliased nodes are shared, so a job or step referenced many times is converted once.
    scan.memo("yaml-maps").clear()
    scan.memo("yaml-envs").clear()
    if ACTION_PATH.match(path):
        runs = mapping(top.get("runs"))
        inputs = {k: d for k, d in ((k, scalar(mapping(v).get("default")))
                                    for k, v in mapping(top.get("inputs")).items()) if d}
        scan_job(scan, path, runs.get("steps"), Job(path, {}, {}, inputs))
        return
    wf_env = env_of(top.get("env"))
    wf_used = {a or b for value in wf_env.values() for a, b in _MATRIX_REF.findall(value)}
    lines = text.split("\n")
    used_by_span: dict[tuple[int, int], set[str]] = {}
    inputs: dict[str, str] = {}
    for trigger in ("workflow_dispatch", "workflow_call"):
        for key, spec in mapping(mapping(mapping(top.get("on")).get(trigger)).get("inputs")).items():
            default = scalar(mapping(spec).get("default"))
            if default:
                inputs[key] = default
    wf_dir = scalar(mapping(mapping(top.get("defaults")).get("run")).get("working-directory")) or ""
    for _job_id, job_node in mapping(top.get("jobs")).items():
        job = _node_map(scan, job_node)
        if not job:
            continue
        env = ChainMap(_node_env(scan, job.get("env")), wf_env)
        workdir = scalar(mapping(mapping(job.get("defaults")).get("run")).get("working-directory")) or wf_dir
        span = (job_node.start_mark.line, job_node.end_mark.line + 1)
        if span not in used_by_span:  # an aliased job has its anchor's span: read it once
            used_by_span[span] = wf_used | {a or b for line in lines[span[0]:span[1]]
                                            for a, b in _MATRIX_REF.findall(line)}
        for combo in matrix_combos(job.get("strategy"), used_by_span[span]):
            base = Job(path, layer(env), combo, inputs, workdir=workdir)
            base.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
            scan_job(scan, path, job.get("steps"), base)


def _node_map(scan: Scan, node: Any) -> dict[str, yaml.Node]:
    """``mapping``, once per node of the workflow being scanned (the node is kept, so its id is)."""
    maps = scan.memo("yaml-maps")
    hit = maps.get(id(node))
    if hit is None or hit[0] is not node:
        hit = maps[id(node)] = (node, mapping(node))
    return hit[1]


def _node_env(scan: Scan, node: Any) -> dict[str, str]:
    """``env_of``, once per node of the workflow being scanned; shared, so never written to."""
    envs = scan.memo("yaml-envs")
    hit = envs.get(id(node))
    if hit is None or hit[0] is not node:
        hit = envs[id(node)] = (node, env_of(node))
    return hit[1]


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


def scan_job(scan: Scan, path: str, steps_node: Any, job: Job) -> None:
    if not isinstance(steps_node, yaml.SequenceNode):
        return
    for step_node in steps_node.value:
        scan.step_visits += 1
        if scan.step_visits > MAX_STEP_VISITS:
            scan.too_large(path, step_node.start_mark.line + 1,
                           f"more than {MAX_STEP_VISITS} workflow steps (matrix combinations included) in this "
                           "repository; the rest were not read")
            return
        step = _node_map(scan, step_node)
        if not step:
            continue
        # the step's env over the job's: steps see the job env as it is when they run
        env = layer(_node_env(scan, step.get("env")), job.env)
        view = Step(job, env, job.workdir, scalar(step.get("id")))
        workdir = scalar(step.get("working-directory"))
        if workdir is not None:
            view.workdir = expand_gh(scan, workdir, view)
        uses = scalar(step.get("uses"))
        if uses:
            scan_action(scan, path, uses, _node_map(scan, step.get("with")), view, step_node.start_mark.line + 1)
        run = step.get("run")
        if scalar(run):
            exact = run.style == "|"
            base = run.start_mark.line + (2 if run.style in ("|", ">") else 1)
            scan_script(scan, path, scalar(run), view, base, exact)
