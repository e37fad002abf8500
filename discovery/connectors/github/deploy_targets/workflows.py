"""GitHub Actions workflows (``.github/workflows/*.yml|yaml``) and composite actions
(``.github/actions/**/action.yml``): the walk over jobs, matrix combinations and steps.

Files are read as YAML node trees so every target keeps its line. A job runs once per matrix
combination its text uses and per run of the inputs it reads (``combinations.input_runs``: once per
call the repository's callers make, else per combination of its defaults and dispatch choices); each step's
``uses:`` goes to ``actions`` and its ``run:`` to ``scripts``. Malformed YAML gives an
``invalid_yaml`` warning, then the line-based pass of ``fallback``.
"""
from __future__ import annotations

import re
from collections import ChainMap
from typing import Any

import yaml

from .actions import scan_action
from .combinations import INPUT_REF, MATRIX_REF, input_candidates, input_runs, matrix_combos, refs, workflow_root
from .context import INVALID_YAML, Job, Scan, Step, layer
from .expressions import expand_gh
from .fallback import scan_fallback
from .limits import MAX_STEP_VISITS
from .safe_yaml import env_of, mapping, scalar
from .scripts import scan_script

WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
ACTION_PATH = re.compile(r"^\.github/actions/(?:[^/]+/)*action\.ya?ml$")


def scan_workflow(scan: Scan, path: str, text: str) -> None:
    root, exc = workflow_root(scan, path)
    if exc is not None:  # YAMLError, RecursionError on absurd nesting, reader errors
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
    candidates = input_candidates(scan, lambda: sorted(p for p in scan.files if WORKFLOW_PATH.match(p)
                                                       or ACTION_PATH.match(p))).get(path, {})
    if ACTION_PATH.match(path):
        runs = mapping(top.get("runs"))
        for inputs in input_runs(scan, path, candidates, refs(INPUT_REF, text)):
            scan_job(scan, path, runs.get("steps"), Job(path, {}, {}, inputs))
        return
    wf_env = env_of(top.get("env"))
    wf_text = list(wf_env.values())
    lines = text.split("\n")
    used_by_span: dict[tuple[int, int], tuple[set[str], set[str]]] = {}
    wf_dir = scalar(mapping(mapping(top.get("defaults")).get("run")).get("working-directory")) or ""
    for job_id, job_node in mapping(top.get("jobs")).items():
        job = _node_map(scan, job_node)
        if not job:
            continue
        env = ChainMap(_node_env(scan, job.get("env")), wf_env)
        workdir = scalar(mapping(mapping(job.get("defaults")).get("run")).get("working-directory")) or wf_dir
        span = (job_node.start_mark.line, job_node.end_mark.line + 1)
        if span not in used_by_span:  # an aliased job has its anchor's span: read it once
            body = wf_text + lines[span[0]:span[1]]
            used_by_span[span] = (refs(MATRIX_REF, *body), refs(INPUT_REF, *body))
        matrix_used, inputs_used = used_by_span[span]
        for inputs in input_runs(scan, path, candidates, inputs_used):
            for combo in matrix_combos(job.get("strategy"), matrix_used):
                base = Job(path, layer(env), combo, inputs, workdir=workdir, name=str(job_id))
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
        own = _node_env(scan, step.get("env"))
        region = own.get("AWS_REGION") or own.get("AWS_DEFAULT_REGION")
        if region:
            view.region = expand_gh(scan, region, view)
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
