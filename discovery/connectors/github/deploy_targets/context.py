"""The state of one scan (a ``find_deploy_targets`` call) and of the job, step and shell being read.

``Scan`` holds the repository's files, the targets and warnings found so far, the work counters
checked against ``limits`` and the per-file caches; every reader takes it as its first argument.
Targets are added through ``Scan.add``, which skips (with a warning) a name that still holds an
expression we could not evaluate.
"""
from __future__ import annotations

import posixpath
import re
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .limits import MAX_NAME, MAX_SCRIPT_WORK, MAX_SHOWN, MAX_TARGETS, MAX_WARNINGS

ECS_SERVICE = "ecs_service"
LAMBDA_FUNCTION = "lambda_function"
CFN_STACK = "cloudformation_stack"
SERVERLESS_SERVICE = "serverless_service"
CDK_STACK = "cdk_stack"
ECR_IMAGE = "ecr_image"

INVALID_YAML = "invalid_yaml"
UNRESOLVED = "unresolved_expression"
TOO_LARGE = "input_too_large"

# ``folder``: the sub-folder of the companion file that names the target (a monorepo's services/<svc>/
# serverless.yml or SAM template), None for the root or no companion: that folder is the service's.
TARGET_FIELDS = ("target_kind", "name", "cluster", "stage", "account", "region", "path", "line", "source", "job",
                 "folder")

# Sentinels that survive tokenizing: REG stands for an ECR registry we can't see; UNRES wraps the
# index of an expression we could not evaluate.
REG = "\x01"
UNRES = "\x02"
UNRES_REF = re.compile("\x02(\\d+)\x02")

# Folders whose files are test data or examples, not what the repository deploys: a serverless.yml
# under tests/fixtures/ or a SAM app under examples/ names no target of this repository.
TEST_DIRS = frozenset({"test", "tests", "testdata", "test-data", "test_data", "__tests__", "fixtures",
                       "__fixtures__", "example", "examples"})


def is_test_path(path: str) -> bool:
    """Whether ``path`` (a file, or a working directory) lies under one of TEST_DIRS."""
    return any(part in TEST_DIRS for part in (path or "").lower().split("/"))


# Shell and template syntax no stack, function, service or image repository name may hold
_NOT_A_NAME = re.compile(r"[$`(){}\[\]<>|;&*?!'\"\\]")
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d+$")

# Env maps are layered (ChainMap) rather than copied: a workflow with a large top-level env and many
# jobs and steps would otherwise copy that env once per job, combination and step.
Env = dict[str, str] | ChainMap


def folder_of(companion: str | None) -> str | None:
    """The folder of a companion file (``services/x/serverless.yml`` -> ``services/x``); None at the root."""
    folder = posixpath.dirname(companion or "").strip("/")
    return folder if folder and len(folder) <= MAX_NAME else None


def layer(*maps: Any) -> ChainMap:
    """A fresh writable layer over ``maps`` (dicts or ChainMaps), first one winning."""
    flat: list = [{}]
    for m in maps:
        flat.extend(m.maps if isinstance(m, ChainMap) else [m])
    return ChainMap(*flat)


@dataclass
class Job:
    path: str
    env: Env
    matrix: dict[str, str]
    inputs: dict[str, str]
    workdir: str = ""
    region: str | None = None
    account: str | None = None
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    name: str = ""   # the job's id in its workflow: what one job deploys is one deployable


@dataclass
class Step:
    job: Job
    env: Env
    workdir: str
    step_id: str | None = None
    region: str | None = None    # the step's own env AWS_REGION, over the job's region


@dataclass
class Shell:
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = ""


def clean(value: str | None, pattern: re.Pattern) -> str | None:
    return value if value and pattern.match(value) else None


def shown(value: Any) -> str:
    """A value as quoted in a warning: a string's repr, cut short; otherwise just its type."""
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    return repr(value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "…")


def printable(value: str, unresolved: list[str]) -> str:
    """``value`` with its sentinels written out, for a warning."""
    value = UNRES_REF.sub(lambda m: unresolved[int(m.group(1))], value)
    return value.replace(REG, "<registry>")


class Scan:
    def __init__(self, files: dict[str, str | None], repo: str | None):
        self.files = {p: t for p, t in files.items() if isinstance(t, str)}
        self.repo = repo
        self.targets: list[dict] = []
        self.warnings: list[dict] = []
        self._warned: set[tuple] = set()
        self.unresolved: list[str] = []      # expressions we could not evaluate, by UNRES index
        self.unresolved_index: dict[str, int] = {}
        self.used: set[str] = set()          # companion files a workflow command already read
        self.taskdefs: set[str] = set()      # task definition files named by the ECS deploy action
        # work done so far, against the limits.MAX_* bounds
        self.expanded = 0
        self.script_work_done = 0
        self.step_visits = 0
        self._parsed: dict[tuple[str, str], Any] = {}   # (what, path) -> a companion file, parsed once
        self._memos: dict[str, dict] = {}
        self._added: set[tuple] = set()

    def memo(self, name: str) -> dict:
        """A cache the module that names it owns, kept for the whole scan."""
        return self._memos.setdefault(name, {})

    # --- results --------------------------------------------------------------------------------
    def warn(self, reason_code: str, path: str, line: int, message: str) -> None:
        if len(message) > 4 * MAX_SHOWN:
            message = message[:4 * MAX_SHOWN] + "…"
        key = (reason_code, path, line, message)
        if key in self._warned or len(self.warnings) > MAX_WARNINGS:
            return
        self._warned.add(key)
        if len(self.warnings) == MAX_WARNINGS:
            reason_code, line, message = TOO_LARGE, 1, f"more than {MAX_WARNINGS} warnings; the rest are not shown"
        self.warnings.append({"reason_code": reason_code, "path": path, "line": line, "message": message})

    def too_large(self, path: str, line: int, message: str) -> None:
        """A TOO_LARGE warning, once per file and message."""
        key = (TOO_LARGE, path, message)
        if key not in self._warned:
            self._warned.add(key)
            self.warn(TOO_LARGE, path, line, message)

    @property
    def full(self) -> bool:
        return len(self.targets) >= MAX_TARGETS

    def unresolved_in(self, *values: str | None) -> list[str]:
        found = []
        for value in values:
            for m in UNRES_REF.finditer(value or ""):
                found.append(self.unresolved[int(m.group(1))])
        return found

    def add(self, kind: str, name: str | None, path: str, line: int, source: str, *, step: Step | None = None,
            cluster: str | None = None, stage: str | None = None, account: str | None = None,
            region: str | None = None, what: str | None = None, companion: str | None = None) -> None:
        if self.full:
            return
        what = what or kind.replace("_", " ")
        unknown = self.unresolved_in(name)
        if unknown or REG in (name or ""):
            exprs = ", ".join(dict.fromkeys(unknown)) or "a registry expression"
            self.warn(UNRESOLVED, path, line, f"{what}: could not resolve {exprs} in the name; target skipped")
            return
        if self.unresolved_in(cluster, stage) or REG in (cluster or "") + (stage or ""):
            exprs = ", ".join(dict.fromkeys(self.unresolved_in(cluster, stage))) or "a registry expression"
            self.warn(UNRESOLVED, path, line, f"{what} {name}: could not resolve {exprs}; cluster/stage left empty")
            cluster = None if self.unresolved_in(cluster) or REG in (cluster or "") else cluster
            stage = None if self.unresolved_in(stage) or REG in (stage or "") else stage
        name = (name or "").strip()
        if not name:
            return
        if _NOT_A_NAME.search(name):
            # shell or template syntax that survived (an unbalanced quote, a glob): no AWS name has it
            self.warn(UNRESOLVED, path, line, f"{what}: {shown(name)} is not a name (shell or template syntax "
                                              "left in it); target skipped")
            return
        if len(name) > MAX_NAME:
            self.too_large(path, line, f"{what}: a name longer than {MAX_NAME} characters; target skipped")
            return
        if step is not None:
            region = region or step.region or step.job.region
            account = account or step.job.account
        target = {
            "target_kind": kind, "name": name, "cluster": cluster or None, "stage": stage or None,
            "account": clean(account, ACCOUNT), "region": clean(region, REGION),
            "path": path, "line": line, "source": source,
            "job": (step.job.name or None) if step is not None else None,
            "folder": folder_of(companion),
        }
        # A repeat of an earlier target in everything merge compares would merge into what the
        # earlier one merged into, changing nothing: drop it here, so repeats (a matrix job, a
        # command run many times) neither cost work later nor count against MAX_TARGETS.
        key = tuple(target[f] for f in ("target_kind", "name", "cluster", "stage", "account", "region"))
        if key not in self._added:
            self._added.add(key)
            self.targets.append(target)

    # --- work -----------------------------------------------------------------------------------
    def parse_once(self, kind: str, path: str, parse: Callable[[str], Any]) -> tuple[Any, Exception | None]:
        """(``parse(text)``, None) or (None, the exception) for a file, computed once however many
        commands point at it."""
        key = (kind, path)
        if key not in self._parsed:
            try:
                self._parsed[key] = (parse(self.files[path]), None)
            except Exception as exc:  # noqa: BLE001 - callers turn it into a warning
                self._parsed[key] = (None, exc)
        return self._parsed[key]

    def script_work(self, path: str, line: int, work: int) -> bool:
        """Count script work; False (and one warning per file) once over MAX_SCRIPT_WORK."""
        self.script_work_done += work
        if self.script_work_done <= MAX_SCRIPT_WORK:
            return True
        self.too_large(path, line, "scripts in this repository are too long to read in full (matrix "
                                   "combinations included); the rest were not read")
        return False
