"""Find what a repository deploys to, from its GitHub Actions workflows and companion files.

Workflows (``.github/workflows/*.yml|yaml``) and composite actions (``.github/actions/**/action.yml``)
are read as YAML node trees so every target keeps its line. Inside them we recognise:

- actions: ``aws-actions/amazon-ecs-deploy-task-definition`` (service/cluster),
  ``aws-actions/aws-cloudformation-github-deploy`` (name), Lambda deploy actions,
  ``serverless/github-action`` (args), ``docker/build-push-action`` (tags) and any ``image:``/``images:``
  input; ``aws-actions/configure-aws-credentials`` supplies region and account for later steps;
- ``run:`` scripts (continuations, ``&&``/``;``/``|`` chains, ``cd``, assignments, heredocs skipped):
  ``aws ecs update-service``, ``aws lambda update-function-code``, ``aws cloudformation deploy``,
  ``sam deploy|sync`` (with samconfig lookup), ``serverless|sls deploy`` (with serverless.yml lookup),
  ``cdk deploy``, ``docker build|push|tag`` and ``ecs-deploy``.

``${{ ... }}`` expressions are evaluated from workflow/job/step ``env``, the job matrix (every
combination the names use), ``inputs`` defaults, ``github.repository`` and outputs/env written by
earlier steps; ``$VAR`` from env and script assignments. What stays unknown is skipped with an
``unresolved_expression`` warning, except an ECR registry (``steps.login-ecr.outputs.registry``,
``$ECR_REGISTRY``), which is known to be ECR and yields the repository name alone.

Companion files are read where a command points (samconfig for ``sam deploy`` without a stack name,
serverless.yml for ``serverless deploy``, ``cdk.json`` and its app entry file for ``cdk deploy``, the
Copilot workspace for ``copilot deploy``) and, when no workflow used them, on their own:
``samconfig.toml|yaml`` stack names, ``serverless.yml`` services (stack ``{service}-{stage}`` and
functions when the stage is known), the stacks a CDK app file declares (``new XStack(app, 'Id',
{env: {account, region}})``), Copilot manifests, ECS task definition JSON images, SAM/CloudFormation
templates' literal function/service names, and the shell steps of a ``Jenkinsfile`` (``sh '...'``)
and CodeBuild ``buildspec.yml`` commands.

Malformed workflow YAML gives an ``invalid_yaml`` warning, then a line-based pass over ``run:``
blocks and the ECS deploy action. Nothing here raises on bad input.

Everything read here is tenant data, so work is bounded by input size: expressions are expanded
in one scan with memoised references and a cap on what one string may grow to (``${{ env.A }}``
where A refers twice to B, which refers twice to C ... would be exponential otherwise), serverless
variables likewise, YAML documents are refused when aliases would multiply them (billion laughs),
companion files are parsed once however many commands point at them, and the run-script text
read per repository is capped (matrix jobs rescan their steps once per combination). Whatever a
cap cuts off becomes a warning: ``unresolved_expression`` for a value too large to expand,
``input_too_large`` for scripts, steps or names beyond the caps.
"""
from __future__ import annotations

import bisect
import fnmatch
import itertools
import json
import posixpath
import re
import shlex
import tomllib
from collections import ChainMap
from dataclasses import dataclass, field
from typing import Any, Callable

import yaml

ECS_SERVICE = "ecs_service"
LAMBDA_FUNCTION = "lambda_function"
CFN_STACK = "cloudformation_stack"
SERVERLESS_SERVICE = "serverless_service"
CDK_STACK = "cdk_stack"
ECR_IMAGE = "ecr_image"

INVALID_YAML = "invalid_yaml"
UNRESOLVED = "unresolved_expression"
TOO_LARGE = "input_too_large"

TARGET_FIELDS = ("target_kind", "name", "cluster", "stage", "account", "region", "path", "line", "source")

WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
ACTION_PATH = re.compile(r"^\.github/actions/(?:[^/]+/)*action\.ya?ml$")
SAMCONFIG_NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")
SERVERLESS_NAMES = ("serverless.yml", "serverless.yaml", "serverless.json")
SERVERLESS_CODE = ("serverless.ts", "serverless.js", "serverless.cjs", "serverless.mjs")
_TASKDEF_NAME = re.compile(r"(?:^|[-_.])task-?def(?:inition)?[^/]*\.json$|^taskdef[^/]*\.json$", re.I)
_TEMPLATE_NAME = re.compile(r"^(?:template|.+\.template|.+\.cfn)\.ya?ml$", re.I)
_JENKINSFILE = re.compile(r"^(?:Jenkinsfile(?:\.[\w-]+)?|[\w-]+\.jenkinsfile)$")
_BUILDSPEC = re.compile(r"^buildspec[\w.-]*\.ya?ml$")
COPILOT_WORKSPACE = "copilot/.workspace"
_COPILOT_MANIFEST = re.compile(r"^copilot/([^/]+)/manifest\.ya?ml$")
_CDK_APP_FILE = re.compile(r"\S+\.(?:ts|js|mjs|cjs|py)$")
# a top-level stack in a CDK app: new FooStack(app, 'Id', {...}) / FooStack(app, "Id", ...)
_CDK_STACK_CALL = re.compile(r"(?:\bnew\s+[A-Za-z_$][\w$.]*|(?<![\w.])[A-Z]\w*)\s*\(\s*(?!this\b|self\b)[A-Za-z_$][\w$]*\s*,"
                             r"\s*(['\"`])([^'\"`\n]+)\1")
_CDK_ACCOUNT = re.compile(r"account\s*[:=]\s*['\"](\d{12})['\"]")
_CDK_REGION = re.compile(r"region\s*[:=]\s*['\"]([a-z0-9-]+)['\"]")
_JENKINS_SH = re.compile(r"\bsh\s*\(?\s*(?:script\s*:\s*)?('\'\'|\"\"\"|'|\")(.*?)(?<!\\)\1", re.S)
# [ \t], not \s: with re.M, a \s* at each of many blank lines would rescan all the blank lines after it.
_JENKINS_ENV = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*['\"]([^'\"$\n]*)['\"][ \t]*$", re.M)

# Sentinels that survive tokenizing: REG stands for an ECR registry we can't see; UNRES wraps the
# index of an expression we could not evaluate.
REG = "\x01"
UNRES = "\x02"
_UNRES_REF = re.compile("\x02(\\d+)\x02")

# Possessive and bounded: "${a:-${a:-${a:-..." with no "}" must not rescan to the end from each "$".
_SH_VAR = re.compile(r"\$(?:\{([A-Za-z_]\w*+)(?::?[-=]([^}]{0,1024}+))?\}|([A-Za-z_]\w*))")
_ASSIGN = re.compile(r"^([A-Za-z_]\w*)=(.*)$", re.S)
_HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_]\w*)['\"]?")
_MATRIX_REF = re.compile(r"matrix\.([A-Za-z_][\w-]*)|matrix\[\s*'([^']+)'\s*\]")
_ECR_HOST = re.compile(r"^(?P<account>.+?)\.dkr\.ecr(?:-fips)?\.(?P<region>[^./]+)\.amazonaws\.com(?:\.cn)?$")
_ECR_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d+$")
_ARN = re.compile(r"^arn:aws[\w-]*:(?P<service>[\w-]+):(?P<region>[^:]*):(?P<account>\d*):(?P<resource>.+)$")
_SLS_VAR = re.compile(r"\$\{([^{}]*)\}")
# an unknown value that is still surely an ECR registry: amazon-ecr-login's output, $ECR_REGISTRY ...
# (the "ecr...registry" half is _is_ecr_registry: as a regex, ecr\w*registry rescans "_ecr_ecr_..." from
# every "ecr")
_ECR_STEP_OUTPUT = re.compile(r"steps\.[\w-]+\.outputs\.registry\b", re.I)
_WORD = re.compile(r"\w+")
_JSON_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
# Only a line with an assignment, a $, GITHUB_ENV/OUTPUT or a tool's name can matter; others aren't tokenized
_MAYBE_COMMAND = re.compile(r"[=$]|GITHUB_|\b(?:aws|sam|serverless|sls|cdk|copilot|docker|podman|ecs-deploy|cd)\b")
_TEMPLATE_NAME_KEY = re.compile(r"(FunctionName|ServiceName)\s*:\s*['\"]?([^\s'\"#,}\]]*)")

MAX_MATRIX_COMBOS = 64
MAX_TARGETS = 1000
# Work bounds per repository (a find_deploy_targets call). Far above what real repositories need;
# they keep a hostile one from stalling a worker.
MAX_EXPANDED = 64 * 1024                 # characters substituted into one string, nested expansions included
MAX_EXPANSION_DEPTH = 8                  # env -> env -> ... references followed
MAX_EXPANSION_TOTAL = 4 * 1024 * 1024    # characters substituted in all
# Script work: a script's characters each time it is read (matrix jobs read theirs once per
# combination), the characters of each distinct line tokenized, and COMMAND_COST per command acted on.
MAX_SCRIPT_WORK = 1024 * 1024
COMMAND_COST = 64
ADD_COST = 16                            # per target a command adds from a companion file (cdk, serverless)
MAX_STEP_VISITS = 20_000                 # workflow steps scanned, matrix combinations included
MAX_LINE = 32 * 1024                     # one logical shell line; a longer one is no command we could read
MAX_NAME = 1024                          # a target name (AWS names are at most a few hundred characters)
MAX_SLS_VALUE = 4096                     # one resolved serverless.yml value
MAX_WARNINGS = 500
MAX_SHOWN = 200                          # characters of an expression or value quoted in a warning
MAX_CDK_SELECTORS = 100                  # stack names of one cdk deploy

_TOOLS = {"aws", "sam", "serverless", "sls", "cdk", "aws-cdk", "docker", "podman", "ecs-deploy", "copilot"}
_SHELL_KEYWORDS = {"then", "do", "else", "if", "elif", "while", "until", "!", "{"}
_AWS_FLAGS = {
    "--debug", "--no-verify-ssl", "--no-paginate", "--no-sign-request", "--no-cli-pager",
    "--force-new-deployment", "--no-force-new-deployment", "--publish", "--no-publish", "--dry-run",
    "--no-execute-changeset", "--fail-on-empty-changeset", "--no-fail-on-empty-changeset",
    "--disable-rollback", "--no-disable-rollback", "--enable-execute-command", "--no-enable-execute-command",
    "--force-upload", "--use-json", "--no-cli-auto-prompt", "--cli-auto-prompt",
}
_SAM_FLAGS = {
    "--guided", "-g", "--no-confirm-changeset", "--confirm-changeset", "--fail-on-empty-changeset",
    "--no-fail-on-empty-changeset", "--resolve-s3", "--resolve-image-repos", "--use-json", "--force-upload",
    "--no-progressbar", "--debug", "--disable-rollback", "--no-disable-rollback", "--no-execute-changeset",
    "--watch", "--no-watch", "--code", "--dependency-layer", "--no-dependency-layer", "--use-container",
    "-u", "--skip-deploy-sync", "--beta-features", "--no-beta-features", "--save-params",
}
_SLS_FLAGS = {"--verbose", "--force", "--conceal", "--debug", "--aws-s3-accelerate", "--enforce-hash-update",
              "--update-config", "--use-local-credentials", "--no-aws-s3-accelerate"}
_CDK_FLAGS = {
    "--all", "--ci", "--force", "-f", "--hotswap", "--hotswap-fallback", "--watch", "--rollback",
    "--exclusively", "-e", "--verbose", "-v", "--debug", "--json", "-j", "--strict", "--lookups",
    "--previous-parameters", "--import-existing-resources", "--staging", "--asset-parallelism",
    "--asset-prebuild", "--ignore-errors", "--trace", "--version-reporting", "--path-metadata",
    "--asset-metadata", "--notices", "--quiet", "-q", "--ignore-no-stacks",
}
_DOCKER_FLAGS = {"--push", "--load", "--pull", "--no-cache", "-q", "--quiet", "--rm", "--force-rm",
                 "--squash", "--compress", "--disable-content-trust", "--all-tags", "-a"}


_UNSET = object()


# --- small helpers ------------------------------------------------------------------------------
def _mapping(node: Any) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: Any) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    return "" if node.tag == "tag:yaml.org,2002:null" else str(node.value)


def _env_of(node: Any) -> dict[str, str]:
    return {k: v for k, v in ((k, _scalar(n)) for k, n in _mapping(node).items()) if v is not None}


def _opts(args: list[str], flags: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Split CLI arguments into options (with values) and positionals.

    An option takes the next word as its value unless it is a known flag, a ``--no-*`` flag or the
    next word is itself an option."""
    opts: dict[str, list[str]] = {}
    pos: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            pos.extend(args[i + 1:])
            break
        if arg.startswith("--") and "=" in arg:
            key, value = arg.split("=", 1)
            opts.setdefault(key, []).append(value)
        elif arg.startswith("-") and len(arg) > 1 and not arg[1:].isdigit():
            nxt = args[i + 1] if i + 1 < len(args) else None
            if arg in flags or arg.startswith("--no-") or nxt is None or nxt.startswith("-"):
                opts.setdefault(arg, []).append("")
            else:
                opts.setdefault(arg, []).append(nxt)
                i += 1
        else:
            pos.append(arg)
        i += 1
    return opts, pos


def _opt(opts: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in opts.get(name, []):
            if value:
                return value
    return None


def _split_or(expr: str) -> list[str]:
    """Split a GitHub expression on top-level ``||`` (outside quotes and parentheses)."""
    if "||" not in expr:
        return [expr]
    parts, cur, depth, quote = [], [], 0, False
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch == "'":
            quote = not quote
        elif not quote and ch in "([":
            depth += 1
        elif not quote and ch in ")]":
            depth -= 1
        elif not quote and depth == 0 and expr.startswith("||", i):
            parts.append("".join(cur))
            cur = []
            i += 2
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _is_ecr_registry(expr: str) -> bool:
    """Whether an unknown expression is surely an ECR registry: a step output named ``registry``, or
    a word with "ecr" (not preceded by a letter) and later "registry", e.g. ``ECR_REGISTRY``."""
    if _ECR_STEP_OUTPUT.search(expr):
        return True
    for m in _WORD.finditer(expr.lower()):
        word = m.group()
        i = word.find("ecr")
        while i > 0 and "a" <= word[i - 1] <= "z":
            i = word.find("ecr", i + 1)
        if i >= 0 and "registry" in word[i + 3:]:  # the earliest usable "ecr" leaves the most room
            return True
    return False


def _has_gh_expr(text: str) -> bool:
    start = text.find("${{")
    return start >= 0 and text.find("}}", start + 3) >= 0


def _arn(value: str) -> dict[str, str] | None:
    m = _ARN.match(value)
    return m.groupdict() if m else None


def _clean(value: str | None, pattern: re.Pattern) -> str | None:
    return value if value and pattern.match(value) else None


def _line_of(text: str, pattern: str, default: int = 1) -> int:
    m = re.search(pattern, text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else default


class _Lines:
    """1-based line of an offset in ``text``, by bisection (no rescans from the start per lookup)."""

    def __init__(self, text: str):
        self.starts = [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) + 1


def _shown(value: Any) -> str:
    """A value as quoted in a warning: a string's repr, cut short; otherwise just its type."""
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    return repr(value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "…")


class _Intrinsic:
    """A CloudFormation intrinsic (``!Ref``, ``!Sub`` ...): a value we can't know statically."""


# --- YAML, with bounds -----------------------------------------------------------------------
# A YAML document is refused when it is larger than MAX_YAML_CHARS, or when it has more than
# MAX_YAML_NODES nodes counting every alias as a copy of what it refers to: loading shares aliased
# nodes (cheap), but everything that walks the tree, and merge keys (<<), which really copy, pay per
# reference, so nine aliases of nine aliases of ... ("billion laughs") must never reach them. The
# pure-Python composer (used for deeply nested text, see _use_libyaml) is ~40 us a node, so it also
# stops composing past MAX_PY_YAML_NODES.
MAX_YAML_CHARS = 1024 * 1024
MAX_YAML_NODES = 50_000
MAX_PY_YAML_NODES = 20_000


class _BoundedComposer:
    """Composer mixin for the pure-Python loaders: stop once MAX_PY_YAML_NODES nodes are composed."""

    _composed = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._composed += 1
        if self._composed > MAX_PY_YAML_NODES:
            raise yaml.YAMLError(f"YAML document has more than {MAX_PY_YAML_NODES} nodes")
        return super().compose_node(parent, index)  # type: ignore[misc]


class _SafeLoader(_BoundedComposer, yaml.SafeLoader):
    """yaml.SafeLoader with the composer bound."""


class _TolerantLoader(_BoundedComposer, yaml.SafeLoader):
    """SafeLoader that accepts CloudFormation's short-form tags instead of failing on them."""


_TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: _Intrinsic())

if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser as _CParser

    class _CTolerantLoader(yaml.CSafeLoader):
        """libyaml-backed twin of _TolerantLoader."""

    _CTolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: _Intrinsic())
else:
    _CTolerantLoader = _TolerantLoader


# Hostile nesting: libyaml's composer recurses without a limit and crashes the process beyond ~10k
# levels; the pure-Python loader raises RecursionError, but deep flow nesting costs it seconds first.
# So text with deep flow nesting is refused outright, and libyaml only gets text whose nesting is
# provably shallow (each level needs a flow bracket, more indentation or an indicator on the line),
# or, when that cheap bound is inconclusive (minified JSON has a colon per key on one line), whose
# nesting libyaml's own event stream shows to be shallow: its parser is iterative, only the composer
# recurses. The pure-Python loader is ~40 us a node, so it is kept for text that is really deep.
MAX_FLOW_NESTING = 200
_LIBYAML_MAX_NESTING = 2000
_BRACKET = re.compile(r"[\[\]{}]")


def flow_depth(text: str, stop: int | None = None) -> int:
    """Deepest ``[``/``{`` nesting, counting brackets in quotes too (an over-estimate is safe).

    Counting ends as soon as the depth passes ``stop``."""
    depth = deepest = 0
    for m in _BRACKET.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > deepest:
            deepest = depth
            if stop is not None and deepest > stop:
                break
    return deepest


def check_nesting(text: str) -> None:
    """Raise a YAMLError for text nested too deeply to be worth parsing."""
    if flow_depth(text, stop=MAX_FLOW_NESTING) > MAX_FLOW_NESTING:
        raise yaml.YAMLError(f"flow collections nested deeper than {MAX_FLOW_NESTING} levels")


def _nesting_bound(text: str) -> int:
    block = 0
    for line in text.split("\n"):
        rest = line.lstrip(" ")
        block = max(block, len(line) - len(rest) + rest.count("-") + rest.count("?") + rest.count(":"))
    return flow_depth(text) + 2 * block + 1


def _event_depth(text: str, stop: int) -> int:
    """Deepest collection nesting in libyaml's event stream, counting stops past ``stop``. A syntax
    error ends the count: libyaml's composer stops at the same event."""
    parser = _CParser(text)
    depth = deepest = 0
    try:
        while deepest <= stop:
            event = parser.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            elif event is None or isinstance(event, yaml.StreamEndEvent):
                break
    except yaml.YAMLError:
        pass
    finally:
        parser.dispose()
    return deepest


def _use_libyaml(text: str) -> bool:
    check_nesting(text)
    if not getattr(yaml, "__with_libyaml__", False):
        return False
    return (_nesting_bound(text) < _LIBYAML_MAX_NESTING
            or _event_depth(text, _LIBYAML_MAX_NESTING) < _LIBYAML_MAX_NESTING)


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value  # a SequenceNode's


def _check_expansion(root: yaml.Node | None) -> None:
    """Raise a YAMLError when ``root`` expands (aliases copied out) to more than MAX_YAML_NODES
    nodes, or contains itself. Linear in the composed graph: each collection's expanded size is
    computed once, without recursion."""
    if not isinstance(root, yaml.CollectionNode):
        return
    scalar = yaml.ScalarNode
    sizes: dict[int, int] = {}   # id -> expanded size of a collection done
    active: set[int] = set()     # collections whose children are being sized
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key not in active:
            if key in sizes:     # reached twice before being sized: done by the other path
                stack.pop()
                continue
            active.add(key)
            for child in _node_children(node):
                if type(child) is not scalar and id(child) not in sizes:
                    if id(child) in active:
                        raise yaml.YAMLError("YAML alias refers to a node that contains it")
                    stack.append(child)
            continue
        stack.pop()
        active.discard(key)
        size = 1
        for child in _node_children(node):
            size += 1 if type(child) is scalar else sizes[id(child)]
        if size > MAX_YAML_NODES:
            raise yaml.YAMLError(f"YAML document expands to more than {MAX_YAML_NODES} nodes "
                                 "(aliases are counted as copies)")
        sizes[key] = size


def _check_size(text: str) -> None:
    if len(text) > MAX_YAML_CHARS:
        raise yaml.YAMLError(f"YAML document larger than {MAX_YAML_CHARS} characters")


def _compose(text: str) -> yaml.Node | None:
    _check_size(text)
    loader = (yaml.CSafeLoader if _use_libyaml(text) else _SafeLoader)(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    _check_expansion(node)
    return node


def _load_tolerant(text: str) -> Any:
    _check_size(text)
    loader = (_CTolerantLoader if _use_libyaml(text) else _TolerantLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def safe_load_all(text: str, *, pure: bool = False) -> list[Any]:
    """``yaml.safe_load_all`` with this module's bounds: size, nesting, alias expansion.

    ``pure``: use the pure-Python parser (slower, but its error marks are PyYAML's usual ones)."""
    _check_size(text)
    use_libyaml = _use_libyaml(text) and not pure
    loader = (yaml.CSafeLoader if use_libyaml else _SafeLoader)(text)
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            _check_expansion(node)
            docs.append(loader.construct_document(node))
    finally:
        loader.dispose()
    return docs


# Env maps are layered (ChainMap) rather than copied: a workflow with a large top-level env and many
# jobs and steps would otherwise copy that env once per job, combination and step.
Env = dict[str, str] | ChainMap


def _layer(*maps: Any) -> ChainMap:
    """A fresh writable layer over ``maps`` (dicts or ChainMaps), first one winning."""
    flat: list = [{}]
    for m in maps:
        flat.extend(m.maps if isinstance(m, ChainMap) else [m])
    return ChainMap(*flat)


class _Expansion:
    """One top-level substitution: env/matrix references expanded so far (each is expanded once),
    the references being expanded (a cycle or a chain deeper than MAX_EXPANSION_DEPTH is
    unresolved) and the characters substituted, nested ones included (capped at MAX_EXPANDED)."""

    __slots__ = ("memo", "active", "size")

    def __init__(self) -> None:
        self.memo: dict[tuple[str, str], str | None] = {}
        self.active: set[tuple[str, str]] = set()
        self.size = 0


@dataclass
class _Job:
    path: str
    env: Env
    matrix: dict[str, str]
    inputs: dict[str, str]
    workdir: str = ""
    region: str | None = None
    account: str | None = None
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class _Step:
    job: _Job
    env: Env
    workdir: str
    step_id: str | None = None


@dataclass
class _Shell:
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = ""


class _Scanner:
    def __init__(self, files: dict[str, str | None], repo: str | None):
        self.files = {p: t for p, t in files.items() if isinstance(t, str)}
        self.repo = repo
        self.targets: list[dict] = []
        self.warnings: list[dict] = []
        self._warned: set[tuple] = set()
        self.unresolved: list[str] = []
        self.used: set[str] = set()          # companion files a workflow command already read
        self.taskdefs: set[str] = set()      # task definition files named by the ECS deploy action
        self._unresolved_index: dict[str, int] = {}
        # work done so far, against the MAX_* bounds
        self.expanded = 0
        self.script_work = 0
        self.step_visits = 0
        self._tokens: dict[str, list[list[str]]] = {}   # shell line -> commands (matrix jobs repeat lines)
        self._parsed: dict[tuple[str, str], Any] = {}   # (what, path) -> a companion file, parsed once
        self._cdk_apps: dict[tuple[str, str], tuple[list[dict], dict[str, dict]]] = {}
        self._copilot_manifests: dict[str, str] | None = None
        self._cdk_matches: dict[tuple[int, str], list[dict]] = {}
        self._cdk_done: set[tuple] = set()
        self._added: set[tuple] = set()
        self._copilot_app: object = _UNSET
        self._maps: dict[int, tuple[Any, dict]] = {}    # id(node) -> (node, _mapping(node))
        self._envs: dict[int, tuple[Any, dict]] = {}    # id(node) -> (node, _env_of(node))

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

    def _unresolved_in(self, *values: str | None) -> list[str]:
        found = []
        for value in values:
            for m in _UNRES_REF.finditer(value or ""):
                found.append(self.unresolved[int(m.group(1))])
        return found

    def add(self, kind: str, name: str | None, path: str, line: int, source: str, *, step: _Step | None = None,
            cluster: str | None = None, stage: str | None = None, account: str | None = None,
            region: str | None = None, what: str | None = None) -> None:
        if self.full:
            return
        what = what or kind.replace("_", " ")
        unknown = self._unresolved_in(name)
        if unknown or REG in (name or ""):
            exprs = ", ".join(dict.fromkeys(unknown)) or "a registry expression"
            self.warn(UNRESOLVED, path, line, f"{what}: could not resolve {exprs} in the name; target skipped")
            return
        if self._unresolved_in(cluster, stage) or REG in (cluster or "") + (stage or ""):
            exprs = ", ".join(dict.fromkeys(self._unresolved_in(cluster, stage))) or "a registry expression"
            self.warn(UNRESOLVED, path, line, f"{what} {name}: could not resolve {exprs}; cluster/stage left empty")
            cluster = None if self._unresolved_in(cluster) or REG in (cluster or "") else cluster
            stage = None if self._unresolved_in(stage) or REG in (stage or "") else stage
        name = (name or "").strip()
        if not name:
            return
        if len(name) > MAX_NAME:
            self.too_large(path, line, f"{what}: a name longer than {MAX_NAME} characters; target skipped")
            return
        if step is not None:
            region = region or step.job.region
            account = account or step.job.account
        target = {
            "target_kind": kind, "name": name, "cluster": cluster or None, "stage": stage or None,
            "account": _clean(account, _ACCOUNT), "region": _clean(region, _REGION),
            "path": path, "line": line, "source": source,
        }
        # A repeat of an earlier target in everything _merge compares would merge into what the
        # earlier one merged into, changing nothing: drop it here, so repeats (a matrix job, a
        # command run many times) neither cost work later nor count against MAX_TARGETS.
        key = tuple(target[f] for f in ("target_kind", "name", "cluster", "stage", "account", "region"))
        if key not in self._added:
            self._added.add(key)
            self.targets.append(target)

    # --- expression evaluation ------------------------------------------------------------------
    def _mark_unresolved(self, expr: str, too_large: bool = False) -> str:
        if _is_ecr_registry(expr):
            return REG
        if len(expr) > MAX_SHOWN:
            expr = expr[:MAX_SHOWN] + "…"
        if too_large:
            expr += " (too large to expand)"
        index = self._unresolved_index.get(expr)
        if index is None:
            index = self._unresolved_index[expr] = len(self.unresolved)
            self.unresolved.append(expr)
        return f"{UNRES}{index}{UNRES}"

    def _exhausted(self, ctx: _Expansion) -> bool:
        return ctx.size > MAX_EXPANDED or self.expanded > MAX_EXPANSION_TOTAL

    def _spend(self, ctx: _Expansion, size: int) -> bool:
        """Count ``size`` substituted characters; False once over a cap."""
        ctx.size += size
        self.expanded += size
        return not self._exhausted(ctx)

    def gh(self, text: str, step: _Step | None, ctx: _Expansion | None = None) -> str:
        """Substitute ``${{ ... }}`` expressions, in one left-to-right scan (the first ``}}`` closes).

        ``ctx`` is shared by the nested expansions of one top-level string."""
        if "${{" not in text:
            return text
        ctx = ctx if ctx is not None else _Expansion()
        out, pos = [], 0
        while True:
            start = text.find("${{", pos)
            end = text.find("}}", start + 3) if start >= 0 else -1
            if end < 0:
                break
            expr = text[start + 3:end].strip()
            value = None if self._exhausted(ctx) else self._eval(expr, step, ctx).replace("\n", " ")
            if value is None or not self._spend(ctx, len(value)):
                value = self._mark_unresolved("${{ " + expr + " }}", too_large=True)
            out += (text[pos:start], value)
            pos = end + 2
        out.append(text[pos:])
        return "".join(out)

    def _eval(self, expr: str, step: _Step | None, ctx: _Expansion) -> str:
        for alternative in _split_or(expr):
            value = self._operand(alternative.strip(), step, ctx)
            if value:
                return value
        return self._mark_unresolved("${{ " + expr + " }}")

    def _reference(self, kind: str, name: str, raw: str | None, step: _Step, ctx: _Expansion) -> str | None:
        """An env/matrix value with its own expressions expanded: once per top-level string (a value
        naming another twice, which names another twice ... must not fan out), None for a cycle or
        a chain deeper than MAX_EXPANSION_DEPTH."""
        key = (kind, name)
        if raw is None or key in ctx.active or len(ctx.active) >= MAX_EXPANSION_DEPTH:
            return None
        if key not in ctx.memo:
            ctx.active.add(key)
            try:
                ctx.memo[key] = self.gh(raw, step, ctx)
            finally:
                ctx.active.discard(key)
        return ctx.memo[key]

    def _operand(self, op: str, step: _Step | None, ctx: _Expansion) -> str | None:
        m = re.fullmatch(r"'((?:[^']|'')*)'", op)
        if m:
            return m.group(1).replace("''", "'")
        if self.repo and op == "github.repository":
            return self.repo
        if self.repo and op in ("github.event.repository.name", "github.event.repository.full_name"):
            return self.repo.split("/", 1)[-1] if op.endswith(".name") else self.repo
        if self.repo and op == "github.repository_owner":
            return self.repo.split("/", 1)[0]
        if op == "github.workspace":
            return "/"
        if step is None:
            return None
        m = re.fullmatch(r"env\.([A-Za-z_][\w-]*)|env\[\s*'([^']+)'\s*\]", op)
        if m:
            name = m.group(1) or m.group(2)
            return self._reference("env", name, step.env.get(name), step, ctx)
        m = re.fullmatch(r"matrix\.([A-Za-z_][\w-]*)|matrix\[\s*'([^']+)'\s*\]", op)
        if m:
            name = m.group(1) or m.group(2)
            return self._reference("matrix", name, step.job.matrix.get(name), step, ctx)
        m = re.fullmatch(r"(?:github\.event\.)?inputs\.([A-Za-z_][\w-]*)", op)
        if m:
            return step.job.inputs.get(m.group(1))
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", op)
        if m:
            return step.job.outputs.get(m.group(1), {}).get(m.group(2))
        return None

    def sh(self, word: str, step: _Step, shell: _Shell, ctx: _Expansion | None = None) -> str:
        """Substitute ``$VAR`` / ``${VAR}`` / ``${VAR:-default}`` in one shell word.

        ``ctx`` is shared by the words of one command, so what they expand to is capped together
        (A=$B$B; B=$C$C ... doubles per assignment)."""
        if "$" not in word:
            return word
        ctx = ctx if ctx is not None else _Expansion()

        def var(m: re.Match) -> str:
            name, default = m.group(1) or m.group(3), m.group(2)
            if self._exhausted(ctx):
                return self._mark_unresolved("$" + name, too_large=True)
            if name in shell.env:
                value = shell.env[name]
            elif name in step.env:
                value = self._reference("env", name, step.env[name], step, ctx) or ""
            elif name == "GITHUB_REPOSITORY" and self.repo:
                value = self.repo
            elif name == "GITHUB_WORKSPACE":
                value = "/"
            elif default is not None:
                value = default
            else:
                return self._mark_unresolved("$" + name)
            return value if self._spend(ctx, len(value)) else self._mark_unresolved("$" + name, too_large=True)
        return _SH_VAR.sub(var, word)

    # --- workflows ------------------------------------------------------------------------------
    def scan_workflow(self, path: str, text: str) -> None:
        try:
            root = _compose(text)
        except Exception as exc:  # YAMLError, RecursionError on absurd nesting, reader errors
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            self.warn(INVALID_YAML, path, line, f"invalid YAML ({getattr(exc, 'problem', None) or exc}); "
                                               "read run: lines only")
            self.scan_fallback(path, text)
            return
        top = _mapping(root)
        if not top:
            if root is not None:
                self.warn(INVALID_YAML, path, 1, "workflow is not a mapping")
            return
        # Aliased nodes are shared, so a job or step referenced many times is converted once.
        self._maps.clear()
        self._envs.clear()
        if ACTION_PATH.match(path):
            runs = _mapping(top.get("runs"))
            inputs = {k: d for k, d in ((k, _scalar(_mapping(v).get("default")))
                                        for k, v in _mapping(top.get("inputs")).items()) if d}
            self.scan_job(path, runs.get("steps"), _Job(path, {}, {}, inputs))
            return
        wf_env = _env_of(top.get("env"))
        wf_used = {a or b for value in wf_env.values() for a, b in _MATRIX_REF.findall(value)}
        lines = text.split("\n")
        used_by_span: dict[tuple[int, int], set[str]] = {}
        inputs: dict[str, str] = {}
        for trigger in ("workflow_dispatch", "workflow_call"):
            for key, spec in _mapping(_mapping(_mapping(top.get("on")).get(trigger)).get("inputs")).items():
                default = _scalar(_mapping(spec).get("default"))
                if default:
                    inputs[key] = default
        wf_dir = _scalar(_mapping(_mapping(top.get("defaults")).get("run")).get("working-directory")) or ""
        for _job_id, job_node in _mapping(top.get("jobs")).items():
            job = self._map(job_node)
            if not job:
                continue
            env = ChainMap(self._env(job.get("env")), wf_env)
            workdir = _scalar(_mapping(_mapping(job.get("defaults")).get("run")).get("working-directory")) or wf_dir
            span = (job_node.start_mark.line, job_node.end_mark.line + 1)
            if span not in used_by_span:  # an aliased job has its anchor's span: read it once
                used_by_span[span] = wf_used | {a or b for line in lines[span[0]:span[1]]
                                                for a, b in _MATRIX_REF.findall(line)}
            for combo in self._matrix_combos(job.get("strategy"), used_by_span[span]):
                base = _Job(path, _layer(env), combo, inputs, workdir=workdir)
                base.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
                self.scan_job(path, job.get("steps"), base)

    def _map(self, node: Any) -> dict[str, yaml.Node]:
        """``_mapping``, once per node of the workflow being scanned (the node is kept, so its id is)."""
        hit = self._maps.get(id(node))
        if hit is None or hit[0] is not node:
            hit = self._maps[id(node)] = (node, _mapping(node))
        return hit[1]

    def _env(self, node: Any) -> dict[str, str]:
        """``_env_of``, once per node of the workflow being scanned; shared, so never written to."""
        hit = self._envs.get(id(node))
        if hit is None or hit[0] is not node:
            hit = self._envs[id(node)] = (node, _env_of(node))
        return hit[1]

    def _matrix_combos(self, strategy: Any, used: set[str]) -> list[dict[str, str]]:
        """Matrix combinations, projected on the keys the job text uses (GitHub's expansion rules)."""
        if not used:
            return [{}]
        matrix = _mapping(_mapping(strategy).get("matrix"))
        axes: dict[str, list[str]] = {}
        for key, node in matrix.items():
            if key in ("include", "exclude"):
                continue
            if isinstance(node, yaml.SequenceNode):
                axes[key] = [v for v in map(_scalar, node.value) if v is not None][:MAX_MATRIX_COMBOS]
            elif _scalar(node) is not None:
                axes[key] = [_scalar(node)]
        combos = [dict(zip(axes, values)) for values in itertools.islice(
            itertools.product(*axes.values()), MAX_MATRIX_COMBOS * 4)] if axes else []

        def entries(key: str) -> list[dict[str, str]]:
            node = matrix.get(key)
            items = node.value if isinstance(node, yaml.SequenceNode) else []
            return [{k: v for k, v in ((k, _scalar(n)) for k, n in _mapping(i).items()) if v is not None}
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

    def scan_job(self, path: str, steps_node: Any, job: _Job) -> None:
        if not isinstance(steps_node, yaml.SequenceNode):
            return
        for step_node in steps_node.value:
            self.step_visits += 1
            if self.step_visits > MAX_STEP_VISITS:
                self.too_large(path, step_node.start_mark.line + 1,
                               f"more than {MAX_STEP_VISITS} workflow steps (matrix combinations included) in this "
                               "repository; the rest were not read")
                return
            step = self._map(step_node)
            if not step:
                continue
            # the step's env over the job's: steps see the job env as it is when they run
            env = _layer(self._env(step.get("env")), job.env)
            view = _Step(job, env, job.workdir, _scalar(step.get("id")))
            workdir = _scalar(step.get("working-directory"))
            if workdir is not None:
                view.workdir = self.gh(workdir, view)
            uses = _scalar(step.get("uses"))
            if uses:
                self.scan_action(path, uses, self._map(step.get("with")), view, step_node.start_mark.line + 1)
            run = step.get("run")
            if _scalar(run):
                exact = run.style == "|"
                base = run.start_mark.line + (2 if run.style in ("|", ">") else 1)
                self.scan_script(path, _scalar(run), view, base, exact)

    def _input(self, inputs: dict[str, yaml.Node], key: str, step: _Step) -> tuple[str | None, int]:
        node = inputs.get(key)
        value = _scalar(node)
        if value is None:
            return None, 0
        return self.gh(value, step).strip(), node.start_mark.line + 1

    def scan_action(self, path: str, uses: str, inputs: dict[str, yaml.Node], step: _Step, line: int) -> None:
        action = uses.split("@", 1)[0].strip().lower()
        get = lambda key: self._input(inputs, key, step)  # noqa: E731
        if action == "aws-actions/configure-aws-credentials":
            region, _ = get("aws-region")
            role, _ = get("role-to-assume")
            if region and not self._unresolved_in(region) and REG not in region:
                step.job.region = region
            arn = _arn(role or "")
            if arn and _ACCOUNT.match(arn["account"]):
                step.job.account = arn["account"]
        elif action == "aws-actions/amazon-ecs-deploy-task-definition":
            service, sline = get("service")
            cluster, _ = get("cluster")
            taskdef, _ = get("task-definition")
            if taskdef and not self._unresolved_in(taskdef):
                self.taskdefs.add(_join("", taskdef))
            if service:
                self.ecs(service, cluster or "default", path, sline or line, "amazon-ecs-deploy-task-definition", step)
        elif action == "aws-actions/aws-cloudformation-github-deploy":
            name, nline = get("name")
            if name is not None:
                self.add(CFN_STACK, name, path, nline, "aws-cloudformation-github-deploy", step=step)
        elif action in ("aws-actions/aws-lambda-deploy", "appleboy/lambda-action"):
            name, nline = get("function-name") if "function-name" in inputs else get("function_name")
            if name is not None:
                self.lambda_fn(name, path, nline, action.split("/", 1)[1], step)
        elif action == "serverless/github-action":
            args, aline = get("args")
            if args:
                if args.startswith("-c "):
                    self.scan_script(path, args[3:].strip().strip("'\""), step, aline, False)
                else:
                    self.scan_script(path, "serverless " + args, step, aline, False)
        for key in ("image", "images") + (("tags",) if action == "docker/build-push-action" else ()):
            value, vline = get(key)
            for ref in _image_list(value or ""):
                self.image(ref, path, vline, "docker" if key == "tags" else action.split("/")[-1], step)

    # --- run scripts ----------------------------------------------------------------------------
    def _script_work(self, path: str, line: int, work: int) -> bool:
        """Count script work; False (and one warning per file) once over MAX_SCRIPT_WORK."""
        self.script_work += work
        if self.script_work <= MAX_SCRIPT_WORK:
            return True
        self.too_large(path, line, "scripts in this repository are too long to read in full (matrix "
                                   "combinations included); the rest were not read")
        return False

    def scan_script(self, path: str, script: str, step: _Step, base: int, exact: bool) -> None:
        if not self._script_work(path, base, 0):
            return
        script = self.gh(script, step)
        if not self._script_work(path, base, len(script)):
            return
        shell = _Shell(cwd=step.workdir)
        lines = script.split("\n")
        i, heredoc = 0, None
        while i < len(lines):
            start, line = i, lines[i]
            i += 1
            if heredoc:
                if line.strip() == heredoc:
                    heredoc = None
                continue
            if _continued(line) and i < len(lines):
                parts = [line]  # joined once at the end: joining line by line is quadratic
                while _continued(parts[-1]) and i < len(lines):
                    parts[-1] = parts[-1][:-1]
                    parts.append(lines[i])
                    i += 1
                line = " ".join(parts)
            m = _HEREDOC.search(line)
            if m:
                heredoc = m.group(1)
            at = base + (start if exact else 0)
            if len(line) > MAX_LINE:
                self.too_large(path, at, f"a shell line longer than {MAX_LINE} characters was not read")
                continue
            if not _MAYBE_COMMAND.search(line):
                continue
            commands = self._tokens.get(line)
            if commands is None:
                if not self._script_work(path, at, len(line)):
                    return
                commands = self._tokens[line] = _commands(line)
            for tokens in commands:
                if not self._script_work(path, at, COMMAND_COST):
                    return
                self.command(tokens, path, at, step, shell)

    def command(self, tokens: list[str], path: str, line: int, step: _Step, shell: _Shell) -> None:
        args, redirects = _strip_redirects(tokens)
        if not args:
            return
        if args[0] in ("echo", "printf") and any("GITHUB_OUTPUT" in r or "GITHUB_ENV" in r for r in redirects):
            to_env = any("GITHUB_ENV" in r for r in redirects)
            for word in args[1:]:
                m = _ASSIGN.match(word)
                if m:
                    value = self.sh(m.group(2), step, shell)
                    if to_env:
                        step.job.env[m.group(1)] = value
                        step.env[m.group(1)] = value
                    elif step.step_id:
                        step.job.outputs.setdefault(step.step_id, {})[m.group(1)] = value
            return
        if args[0] in ("export", "declare", "local", "readonly"):
            args = [a for a in args[1:] if not a.startswith("-")]
        ctx = _Expansion()  # one expansion budget for the whole command
        while args and _ASSIGN.match(args[0]):
            name, value = _ASSIGN.match(args[0]).groups()
            # "$" alone is what is left of a command substitution split off by the tokenizer
            shell.env[name] = (self._mark_unresolved("$" + name) if value.endswith("$")
                               else self.sh(value, step, shell, ctx))
            args = args[1:]
        args = _unwrap(args)
        if not args:
            return
        args = [self.sh(a, step, shell, ctx) for a in args]
        prog = posixpath.basename(args[0])
        if prog == "cd" and len(args) > 1 and not self._unresolved_in(args[1]) and args[1] not in ("-", "~"):
            shell.cwd = _join(shell.cwd, args[1])
        elif prog == "aws":
            self.aws(args[1:], path, line, step)
        elif prog == "sam":
            self.sam(args[1:], path, line, step, shell.cwd)
        elif prog in ("serverless", "sls"):
            self.serverless(args[1:], path, line, step, shell.cwd)
        elif prog in ("cdk", "aws-cdk"):
            self.cdk(args[1:], path, line, step, shell.cwd)
        elif prog == "copilot":
            self.copilot(args[1:], path, line, step)
        elif prog in ("docker", "podman"):
            self.docker(args[1:], path, line, step)
        elif prog == "ecs-deploy":
            opts, _ = _opts(args[1:], {"--force-new-deployment", "--skip-deployments-check", "-v", "--verbose"})
            service = _opt(opts, "-n", "--service-name")
            if service:
                self.ecs(service, _opt(opts, "-c", "--cluster") or "default", path, line, "ecs-deploy", step,
                         region=_opt(opts, "-r", "--region"))
            image = _opt(opts, "-i", "--image")
            if image:
                self.image(image, path, line, "ecs-deploy", step)

    # --- tools ----------------------------------------------------------------------------------
    def ecs(self, service: str, cluster: str, path: str, line: int, source: str, step: _Step | None,
            region: str | None = None) -> None:
        account = None
        arn = _arn(cluster)
        if arn and arn["service"] == "ecs":
            cluster, region, account = arn["resource"].split("/")[-1], region or arn["region"], arn["account"]
        arn = _arn(service)
        if arn and arn["service"] == "ecs":
            parts = arn["resource"].split("/")
            service = parts[-1]
            if len(parts) == 3:
                cluster = parts[1]
            region, account = region or arn["region"], account or arn["account"]
        self.add(ECS_SERVICE, service, path, line, source, step=step, cluster=cluster, region=region, account=account)

    def lambda_fn(self, name: str, path: str, line: int, source: str, step: _Step | None,
                  region: str | None = None) -> None:
        account = None
        arn = _arn(name)
        if arn and arn["service"] == "lambda":
            parts = arn["resource"].split(":")  # function:NAME[:qualifier]
            name = parts[1] if len(parts) > 1 else parts[0]
            region, account = region or arn["region"], arn["account"]
        elif re.match(r"^\d{12}:function:", name):
            account, name = name.split(":")[0], name.split(":")[2]
        else:
            name = name.split(":")[0]  # drop a version or alias qualifier
        self.add(LAMBDA_FUNCTION, name, path, line, source, step=step, region=region, account=account)

    def image(self, ref: str, path: str, line: int, source: str, step: _Step | None) -> None:
        parsed = _parse_image(ref)
        if parsed is None:
            return
        account, region, name = parsed
        if not _UNRES_REF.search(name) and not _ECR_NAME.match(name):
            return
        self.add(ECR_IMAGE, name, path, line, source, step=step, account=account, region=region,
                 what=f"image {_printable(ref, self.unresolved)}")

    def aws(self, args: list[str], path: str, line: int, step: _Step) -> None:
        opts, pos = _opts(args, _AWS_FLAGS)
        if len(pos) < 2:
            return
        service, op = pos[0], pos[1]
        region = _opt(opts, "--region")
        if service == "ecs" and op in ("update-service", "deploy", "create-service"):
            name = _opt(opts, "--service", "--service-name")
            if name:
                self.ecs(name, _opt(opts, "--cluster") or "default", path, line, "aws-cli", step, region)
        elif service == "lambda" and op in ("update-function-code", "create-function"):
            name = _opt(opts, "--function-name")
            if name:
                self.lambda_fn(name, path, line, "aws-cli", step, region)
        elif service == "cloudformation" and op in ("deploy", "create-stack", "update-stack", "create-change-set"):
            name = _opt(opts, "--stack-name")
            if name:
                self.add(CFN_STACK, name, path, line, "aws-cli", step=step, region=region)
        elif service == "ecr" and op == "create-repository":
            name = _opt(opts, "--repository-name")
            if name:
                self.add(ECR_IMAGE, name, path, line, "aws-cli", step=step, region=region)

    def sam(self, args: list[str], path: str, line: int, step: _Step, cwd: str) -> None:
        opts, pos = _opts(args, _SAM_FLAGS)
        if not pos or pos[0] not in ("deploy", "sync"):
            return
        region = _opt(opts, "--region")
        stack = _opt(opts, "--stack-name")
        if stack:
            self.add(CFN_STACK, stack, path, line, "sam", step=step, region=region)
            return
        env = _opt(opts, "--config-env") or "default"
        config = _opt(opts, "--config-file")
        candidates = [_join(cwd, config)] if config else [_join(cwd, n) for n in SAMCONFIG_NAMES]
        for candidate in candidates:
            if candidate in self.files:
                self.used.add(candidate)
                params = self._samconfig_envs(candidate).get(env)
                if params is not None:
                    self.add(CFN_STACK, params["stack_name"], path, line, "sam", step=step,
                             region=region or params.get("region"))
                    return
        self.warn(UNRESOLVED, path, line, f"sam {pos[0]} without --stack-name and no stack_name for config "
                                          f"env {env!r} in {' or '.join(candidates)}; target skipped")

    def _parse_once(self, kind: str, path: str, parse: Callable[[str], Any]) -> tuple[Any, Exception | None]:
        """(``parse(text)``, None) or (None, the exception) for a file, computed once however many
        commands point at it."""
        key = (kind, path)
        if key not in self._parsed:
            try:
                self._parsed[key] = (parse(self.files[path]), None)
            except Exception as exc:  # noqa: BLE001 - callers turn it into a warning
                self._parsed[key] = (None, exc)
        return self._parsed[key]

    def samconfig_stacks(self, path: str) -> list[tuple[str, dict, int]]:
        """(config env, {stack_name, region}, line) for each env of a samconfig file with a stack name."""
        stacks, _ = self._parse_once("samconfig", path, lambda text: self._samconfig_stacks(path, text))
        return stacks

    def _samconfig_envs(self, path: str) -> dict[str, dict]:
        """Config env -> parameters (the first env of a name, as a scan in order finds it), once per file."""
        envs, _ = self._parse_once("samconfig-envs", path, lambda text: {
            env_name: params for env_name, params, _ in reversed(self.samconfig_stacks(path))})
        return envs

    def _samconfig_stacks(self, path: str, text: str) -> list[tuple[str, dict, int]]:
        try:
            data = tomllib.loads(text) if path.endswith(".toml") else _load_tolerant(text)
        except Exception as exc:  # TOMLDecodeError, YAMLError
            self.warn(INVALID_YAML, path, 1, f"unreadable SAM config: {exc}")
            return []
        line = None
        found = []
        for env_name, env in (data.items() if isinstance(data, dict) else []):
            if not isinstance(env, dict):
                continue
            params: dict[str, Any] = {}
            for command in ("global", "deploy", "sync"):
                section = env.get(command)
                section = section.get("parameters") if isinstance(section, dict) else None
                if isinstance(section, dict):
                    params.update({k: v for k, v in section.items() if isinstance(v, str)})
            if params.get("stack_name"):
                if line is None:  # [ \t]: with re.M, \s* would rescan every run of blank lines from each line
                    line = _line_of(text, r"^[ \t]*stack_name[ \t]*[=:]")
                found.append((str(env_name), params, line))
        return found

    def serverless(self, args: list[str], path: str, line: int, step: _Step, cwd: str) -> None:
        opts, pos = _opts(args, _SLS_FLAGS)
        if not pos or pos[0] != "deploy":
            return
        config = _opt(opts, "--config", "-c")
        candidates = [_join(cwd, config)] if config else [_join(cwd, n) for n in SERVERLESS_NAMES]
        config_path = next((c for c in candidates if c in self.files), None)
        if config_path is None:
            code = [_join(cwd, n) for n in SERVERLESS_CODE if _join(cwd, n) in self.files]
            reason = f"{code[0]} is code we don't run" if code else f"no {' or '.join(candidates)} in the repository"
            self.warn(UNRESOLVED, path, line, f"serverless deploy: service name unknown ({reason}); target skipped")
            return
        self.used.add(config_path)
        stage = _opt(opts, "--stage", "-s")
        self.serverless_targets(config_path, path, line, step, stage=stage, region=_opt(opts, "--region", "-r"),
                                deployed=True)

    def serverless_targets(self, config_path: str, path: str, line: int, step: _Step | None, *,
                           stage: str | None, region: str | None, deployed: bool) -> None:
        text = self.files[config_path]
        doc, exc = self._parse_once("serverless", config_path,
                                    json.loads if config_path.endswith(".json") else _load_tolerant)
        if exc is not None:
            mark = getattr(exc, "problem_mark", None)
            self.warn(INVALID_YAML, config_path, mark.line + 1 if mark else 1, f"unreadable serverless config: {exc}")
            return
        if not isinstance(doc, dict):
            self.warn(INVALID_YAML, config_path, 1, "serverless config is not a mapping")
            return
        resolver = _SlsResolver(doc, region, step.env if step else {})
        try:
            self._serverless_targets(resolver, doc, text, config_path, path, line, step, stage, region, deployed)
        finally:
            if resolver.too_large:
                self.warn(UNRESOLVED, config_path, 1,
                          f"serverless variables expand to more than {MAX_SLS_VALUE} characters or nest deeper "
                          f"than {_SlsResolver.MAX_DEPTH} levels; those values were left unresolved")

    def _serverless_targets(self, resolver: _SlsResolver, doc: dict, text: str, config_path: str, path: str,
                            line: int, step: _Step | None, stage: str | None, region: str | None,
                            deployed: bool) -> None:
        resolve = resolver.resolve
        service = doc.get("service")
        service = service.get("name") if isinstance(service, dict) else service
        service_name = resolve(service, stage)
        if not service_name:
            self.warn(UNRESOLVED, config_path, _line_of(text, r"^service\s*:"),
                      f"serverless service name {_shown(service)} could not be resolved; target skipped")
            return
        provider = doc.get("provider") if isinstance(doc.get("provider"), dict) else {}
        if stage is None:
            stage = resolve(provider.get("stage"), None) or ("dev" if deployed else None)
        region = region or resolve(provider.get("region"), stage)
        self.add(SERVERLESS_SERVICE, service_name, path, line, "serverless", step=step, stage=stage, region=region)
        if not stage or self._unresolved_in(stage):
            return  # the stack and function names need the stage
        stack = resolve(provider.get("stackName"), stage) or f"{service_name}-{stage}"
        self.add(CFN_STACK, stack, path, line, "serverless", step=step, stage=stage, region=region)
        functions = doc.get("functions")
        if isinstance(functions, list):  # the framework also accepts a list of one-key mappings
            functions = {k: v for item in functions if isinstance(item, dict) for k, v in item.items()}
        for key, spec in (functions.items() if isinstance(functions, dict) else []):
            if self.full or (step is not None and not self._script_work(path, line, ADD_COST)):
                return
            explicit = spec.get("name") if isinstance(spec, dict) else None
            name = resolve(explicit, stage) if explicit is not None else f"{service_name}-{stage}-{key}"
            if name:
                self.add(LAMBDA_FUNCTION, name, path, line, "serverless", step=step, stage=stage, region=region)

    def cdk(self, args: list[str], path: str, line: int, step: _Step, cwd: str) -> None:
        opts, pos = _opts(args, _CDK_FLAGS)
        if not pos or pos[0] != "deploy":
            return
        app, declared = self._cdk_app(cwd, _opt(opts, "--app", "-a"))
        selectors = pos[1:] or (["*"] if "--all" in opts else [])
        if len(selectors) > MAX_CDK_SELECTORS:  # each one with a wildcard is matched against every stack
            self.too_large(path, line, f"cdk deploy with more than {MAX_CDK_SELECTORS} stack names; the rest "
                                       "were not read")
            selectors = selectors[:MAX_CDK_SELECTORS]
        if not selectors and len(app) == 1:
            selectors = [app[0]["id"]]  # cdk deploys an app's only stack without being told its name
        if not selectors:
            self.warn(UNRESOLVED, path, line, "cdk deploy without stack names: the app's stacks are only known "
                                              "after cdk synth")
        for selector in selectors:
            if not any(c in selector for c in "*?"):
                found = declared.get(selector, {})
                self.add(CDK_STACK, selector, path, line, "cdk", step=step,
                         account=found.get("account"), region=found.get("region"))
                continue
            key = (id(app), selector)  # app lists are cached and kept, so their ids are stable
            if key not in self._cdk_matches:
                self._cdk_matches[key] = [s for s in app if fnmatch.fnmatchcase(s["id"], selector)]
            matches = self._cdk_matches[key]
            if not matches:
                shown = "--all" if selector == "*" and "--all" in opts else repr(selector)
                self.warn(UNRESOLVED, path, line, f"cdk deploy {shown}: the stacks it selects are only known after "
                                                  "cdk synth (no readable app file)")
            done = (key, step.job.region, step.job.account)
            if done in self._cdk_done:  # the same stacks again: every add would be a repeat
                continue
            self._cdk_done.add(done)
            for stack in matches:
                if self.full or not self._script_work(path, line, ADD_COST):
                    return
                self.add(CDK_STACK, stack["id"], path, line, "cdk", step=step,
                         account=stack["account"], region=stack["region"])

    def cdk_app(self, cwd: str, app_command: str | None) -> list[dict]:
        """Top-level stacks a CDK app file declares: [{id, account, region, path, line}].

        The app comes from ``--app`` or the ``app`` command in ``cdk.json``; its entry file is read
        with a pattern for ``new SomeStack(app, 'Id', { env: { account, region } })`` calls."""
        return self._cdk_app(cwd, app_command)[0]

    def _cdk_app(self, cwd: str, app_command: str | None) -> tuple[list[dict], dict[str, dict]]:
        """``cdk_app`` and its stacks by id, computed once per (cwd, app command)."""
        config = _join(cwd, "cdk.json")
        if app_command is None and config in self.files:
            self.used.add(config)
            data, exc = self._parse_once("json", config, json.loads)
            if exc is not None:
                self.warn(INVALID_YAML, config, 1, "unreadable cdk.json")
                return [], {}
            app_command = data.get("app") if isinstance(data, dict) and isinstance(data.get("app"), str) else None
        key = (cwd, app_command or "")
        if key not in self._cdk_apps:
            stacks: list[dict] = []
            for word in dict.fromkeys((app_command or "").split()):
                source = _join(cwd, word)
                if not _CDK_APP_FILE.match(word) or source not in self.files:
                    continue
                self.used.add(source)
                found, _ = self._parse_once("cdk", source, lambda text: _cdk_stacks(source, text))
                stacks.extend(found[:MAX_TARGETS - len(stacks)])
            self._cdk_apps[key] = (stacks, {s["id"]: s for s in stacks})
        return self._cdk_apps[key]

    def copilot(self, args: list[str], path: str, line: int, step: _Step) -> None:
        """``copilot [svc|job] deploy --name S --env E``: stack {app}-{env}-{svc}, image repo {app}/{svc}."""
        if args[:1] in (["svc"], ["job"]):
            args = args[1:]
        opts, pos = _opts(args, {"--force", "--detach", "--no-rollback", "--allow-downgrade"})
        if pos[:1] != ["deploy"]:
            return
        app = _opt(opts, "--app", "-a") or self.copilot_app()
        name = _opt(opts, "--name", "-n")
        if self._copilot_manifests is None:
            self._copilot_manifests = {m.group(1): m.group(0)
                                       for m in map(_COPILOT_MANIFEST.match, sorted(self.files)) if m}
        manifests = self._copilot_manifests
        if name is None and len(manifests) == 1:
            name = next(iter(manifests))  # copilot picks the workspace's only service itself
        env = _opt(opts, "--env", "-e")
        if not name or not app or not env:
            missing = "--name" if not name else "an application in copilot/.workspace" if not app else "--env"
            self.warn(UNRESOLVED, path, line, f"copilot deploy without {missing}; stack name unknown")
            if not (name and app):
                return
        if name in manifests:
            self.used.add(manifests[name])
        self.add(ECR_IMAGE, f"{app}/{name}", path, line, "copilot", step=step)
        if env:
            self.add(CFN_STACK, f"{app}-{env}-{name}", path, line, "copilot", step=step, stage=env)

    def copilot_app(self) -> str | None:
        if self._copilot_app is _UNSET:
            m = re.search(r"^application\s*:\s*['\"]?([\w-]+)", self.files.get(COPILOT_WORKSPACE) or "", re.M)
            self._copilot_app = m.group(1) if m else None
        return self._copilot_app  # type: ignore[return-value]

    def docker(self, args: list[str], path: str, line: int, step: _Step) -> None:
        while args and args[0] in ("buildx", "image", "builder"):
            args = args[1:]
        if not args:
            return
        opts, pos = _opts(args[1:], _DOCKER_FLAGS)
        sub = args[0]
        refs: list[str] = []
        if sub == "build" or (sub == "imagetools" and pos[:1] == ["create"]):
            refs = [v for v in opts.get("-t", []) + opts.get("--tag", []) if v]
        elif sub == "push":
            refs = pos[:1]
        elif sub == "tag":
            refs = pos[:2]
        for ref in refs:
            self.image(ref, path, line, "docker", step)

    # --- fallback for malformed YAML ------------------------------------------------------------
    def scan_fallback(self, path: str, text: str) -> None:
        lines = text.replace("\r\n", "\n").split("\n")
        step = _Step(_Job(path, {}, {}, {}), {}, "")
        run_key = re.compile(r"^(\s*(?:-\s+)?)run\s*:\s*(.*)$")
        # (?:-\s*)? rather than -?\s*: two \s* runs around an optional "-" split a long run of
        # spaces every possible way (quadratic per line)
        ecs_uses = re.compile(r"^(\s*)(?:-\s*)?uses\s*:\s*['\"]?aws-actions/amazon-ecs-deploy-task-definition")
        for i, line in enumerate(lines):
            m = run_key.match(line)
            if m:
                column, value = len(m.group(1)), m.group(2).strip()
                if not self._script_work(path, i + 1, 0):  # don't even gather the block
                    continue
                if value[:1] in ("|", ">"):
                    body = []
                    for j in range(i + 1, len(lines)):
                        nxt = lines[j]
                        if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= column:
                            break
                        body.append(nxt)
                    indent = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
                    self.scan_script(path, "\n".join(b[indent:] for b in body), step, i + 2, value[0] == "|")
                elif value and value[0] not in "[{":
                    if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
                        value = value[1:-1]
                    self.scan_script(path, value, step, i + 1, False)
                continue
            m = ecs_uses.match(line)
            if m:
                column = len(m.group(1))
                found: dict[str, tuple[str, int]] = {}
                for j in range(i + 1, min(i + 30, len(lines))):
                    nxt = lines[j]
                    if nxt.strip() and (len(nxt) - len(nxt.lstrip()) <= column):
                        break
                    km = re.match(r"^\s*(service|cluster)\s*:\s*['\"]?([^'\"#\s]+)", nxt)
                    if km:
                        found[km.group(1)] = (km.group(2), j + 1)
                if "service" in found:
                    svc, sline = found["service"]
                    self.ecs(self.gh(svc, step), self.gh(found.get("cluster", ("default", 0))[0], step),
                             path, sline, "amazon-ecs-deploy-task-definition", step)

    # --- companion files ------------------------------------------------------------------------
    def scan_companions(self) -> None:
        for path in sorted(self.files):
            base = posixpath.basename(path)
            text = self.files[path]
            if path in self.used:
                continue
            if base in SAMCONFIG_NAMES:
                for env_name, params, line in self.samconfig_stacks(path):
                    self.add(CFN_STACK, params["stack_name"], path, line, "sam", region=params.get("region"))
            elif base in SERVERLESS_NAMES:
                self.serverless_targets(path, path, _line_of(text, r"^service\s*:"), None,
                                        stage=None, region=None, deployed=False)
            elif _TASKDEF_NAME.search(base) or path in self.taskdefs:
                self.scan_taskdef(path, text)
            elif _TEMPLATE_NAME.match(base):
                self.scan_template(path, text)
            elif base == "cdk.json":
                for stack in self.cdk_app(posixpath.dirname(path), None):
                    self.add(CDK_STACK, stack["id"], stack["path"], stack["line"], "cdk",
                             account=stack["account"], region=stack["region"])
            elif _COPILOT_MANIFEST.match(path):
                self.scan_copilot_manifest(path, text)
            elif _JENKINSFILE.match(base):
                self.scan_jenkinsfile(path, text)
            elif _BUILDSPEC.match(base):
                self.scan_buildspec(path, text)

    def scan_copilot_manifest(self, path: str, text: str) -> None:
        """A Copilot service not deployed by a workflow: its image repository, and a stack per
        environment the manifest overrides (the only environments it names)."""
        app = self.copilot_app()
        try:
            doc = _load_tolerant(text)
        except Exception as exc:
            self.warn(INVALID_YAML, path, 1, f"unreadable Copilot manifest: {exc}")
            return
        name = doc.get("name") if isinstance(doc, dict) else None
        if not app or not isinstance(name, str):
            return
        line = _line_of(text, r"^name\s*:")
        self.add(ECR_IMAGE, f"{app}/{name}", path, line, "copilot")
        envs = doc.get("environments")
        for env in envs if isinstance(envs, dict) else {}:
            self.add(CFN_STACK, f"{app}-{env}-{name}", path, line, "copilot", stage=str(env))

    def scan_jenkinsfile(self, path: str, text: str) -> None:
        """``sh '...'`` steps of a Jenkins pipeline, with its ``environment {}`` literals as env."""
        env = dict(_JENKINS_ENV.findall(text))
        step = _Step(_Job(path, env, {}, {}), env, "")
        line_of = _Lines(text)
        for m in _JENKINS_SH.finditer(text):
            if not self._script_work(path, line_of(m.start()), 0):
                return
            line = line_of(m.start(2))
            body = re.sub(r"\\([\\$\"'])", r"\1", m.group(2))  # Groovy string escapes
            self.scan_script(path, body, step, line, True)

    def scan_buildspec(self, path: str, text: str) -> None:
        """AWS CodeBuild ``phases.*.commands``, with ``env.variables`` as env."""
        try:
            top = _mapping(_compose(text))
        except Exception as exc:
            mark = getattr(exc, "problem_mark", None)
            self.warn(INVALID_YAML, path, mark.line + 1 if mark else 1, f"invalid YAML: {exc}")
            return
        env = _env_of(_mapping(top.get("env")).get("variables"))
        step = _Step(_Job(path, env, {}, {}), env, "")
        for phase in _mapping(top.get("phases")).values():
            commands = _mapping(phase).get("commands")
            for node in commands.value if isinstance(commands, yaml.SequenceNode) else []:
                if _scalar(node):
                    self.scan_script(path, _scalar(node), step,
                                     node.start_mark.line + (2 if node.style in ("|", ">") else 1), node.style == "|")

    def scan_taskdef(self, path: str, text: str) -> None:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            self.warn(INVALID_YAML, path, 1, f"unreadable task definition JSON: {exc}")
            return
        containers = doc.get("containerDefinitions") if isinstance(doc, dict) else None
        literal_lines: dict[str, int] | None = None
        for container in containers if isinstance(containers, list) else []:
            if self.full:
                return
            image = container.get("image") if isinstance(container, dict) else None
            if isinstance(image, str):
                if literal_lines is None:
                    literal_lines = _literal_lines(text)
                self.image(image, path, literal_lines.get(json.dumps(image), 1), "ecs-task-definition", None)

    def scan_template(self, path: str, text: str) -> None:
        try:
            doc = _load_tolerant(text)
        except Exception as exc:
            mark = getattr(exc, "problem_mark", None)
            self.warn(INVALID_YAML, path, mark.line + 1 if mark else 1, f"unreadable template: {exc}")
            return
        resources = doc.get("Resources") if isinstance(doc, dict) else None
        if not isinstance(resources, dict):
            return
        transform = doc.get("Transform")
        sam = any(isinstance(t, str) and "AWS::Serverless" in t
                  for t in (transform if isinstance(transform, list) else [transform]))
        names = _TemplateNames(text)
        for resource in resources.values():
            if self.full:
                return
            if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
                continue
            props, kind = resource["Properties"], resource.get("Type")
            if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function") and isinstance(props.get("FunctionName"), str):
                name = props["FunctionName"]
                self.add(LAMBDA_FUNCTION, name, path, names.line("FunctionName", name),
                         "sam" if sam else "cloudformation")
            elif kind == "AWS::ECS::Service" and isinstance(props.get("ServiceName"), str):
                name = props["ServiceName"]
                cluster = props.get("Cluster", "default")  # an intrinsic (!Ref) is unknown, not "default"
                self.ecs(name, cluster if isinstance(cluster, str) else "", path, names.line("ServiceName", name),
                         "sam" if sam else "cloudformation", None)


# --- module-level helpers used by the scanner -------------------------------------------------------
def _literal_lines(text: str) -> dict[str, int]:
    """Line of the first occurrence of each JSON string literal (as written, quotes included):
    one pass, where a search per container from the top of the file is quadratic."""
    found: dict[str, int] = {}
    line_of = _Lines(text)
    for m in _JSON_STRING.finditer(text):
        found.setdefault(m.group(), line_of(m.start()))
    return found


class _TemplateNames:
    """Lines of ``FunctionName: x`` / ``ServiceName: x`` in a template, indexed in one pass.

    A name is looked up as the whole value written after the key; one written some other way
    (flow style, odd quoting) falls back to a search from the top, a bounded number of times."""

    MAX_SEARCHES = 20

    def __init__(self, text: str):
        self.text = text
        self.searches = 0
        line_of = _Lines(text)
        self.found: dict[tuple[str, str], int] = {}
        for m in _TEMPLATE_NAME_KEY.finditer(text):
            self.found.setdefault((m.group(1), m.group(2)), line_of(m.start()))

    def line(self, key: str, name: str) -> int:
        line = self.found.get((key, name))
        if line is None and self.searches < self.MAX_SEARCHES:
            self.searches += 1
            line = _line_of(self.text, key + r"\s*:\s*['\"]?" + re.escape(name))
        return line or 1


def _join(cwd: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(cwd or "", path))
    return joined.lstrip("/") if joined not in (".", "/") else ""


def _continued(line: str) -> bool:
    """Whether a shell line ends in an unescaped backslash (continues on the next line)."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _commands(line: str) -> list[list[str]]:
    """Words of each simple command on a logical line (split at && || ; | & and parentheses)."""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        words = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        words = line.split()
    commands: list[list[str]] = [[]]
    for word in words:
        if word.startswith("#"):
            break  # bash comment: '#' starting a word
        if word and set(word) <= set("&|;()"):
            commands.append([])
        else:
            commands[-1].append(word)
    return [c for c in commands if c]


def _strip_redirects(tokens: list[str]) -> tuple[list[str], list[str]]:
    args, targets = [], []
    skip = False
    for i, tok in enumerate(tokens):
        if skip:
            skip = False
            continue
        if tok and set(tok) <= set("<>&"):
            if args and args[-1].isdigit():
                args.pop()  # file descriptor, as in 2>&1
            if i + 1 < len(tokens):
                targets.append(tokens[i + 1])
                skip = True
            continue
        args.append(tok)
    return args, targets


def _unwrap(args: list[str]) -> list[str]:
    """Drop wrappers (sudo, env, npx, yarn/pnpm exec, poetry run ...) in front of the real tool."""
    for _ in range(6):
        if not args:
            return args
        prog = posixpath.basename(args[0])
        if prog in _SHELL_KEYWORDS:
            args = args[1:]
        elif prog in ("sudo", "time", "exec", "nohup", "command"):
            args = args[1:]
            while args and args[0].startswith("-"):
                args = args[1:]
        elif prog == "env":
            args = [a for a in args[1:]]
            while args and (args[0].startswith("-") or _ASSIGN.match(args[0])):
                args = args[1:]
        elif prog in ("npx", "bunx", "pnpx"):
            args = args[1:]
            while args and args[0].startswith("-"):
                args = args[2:] if args[0] in ("-p", "--package") else args[1:]
            if args:
                args = [_strip_version(args[0])] + args[1:]
        elif prog in ("yarn", "pnpm", "npm", "bun") and len(args) > 1:
            if args[1] in ("exec", "dlx", "x"):
                args = [a for a in args[2:]]
                if args and args[0] == "--":
                    args = args[1:]
            elif _strip_version(args[1]) in _TOOLS:
                args = args[1:]
            else:
                return args
        elif prog in ("poetry", "pipenv", "uv", "pdm") and args[1:2] == ["run"]:
            args = args[2:]
        else:
            return args
    return args


def _cdk_stacks(source: str, text: str) -> list[dict]:
    """The top-level stacks one CDK app file declares (at most MAX_TARGETS)."""
    stacks: list[dict] = []
    line_of = _Lines(text)
    for m in _CDK_STACK_CALL.finditer(text):
        stack_id = m.group(2)
        if "{" in stack_id:
            continue  # a template string: the id is computed
        call = _call_arguments(text, m.end())
        account, region = _CDK_ACCOUNT.search(call), _CDK_REGION.search(call)
        stacks.append({"id": stack_id, "account": account.group(1) if account else None,
                       "region": region.group(1) if region else None, "path": source,
                       "line": line_of(m.start())})
        if len(stacks) >= MAX_TARGETS:
            break
    return stacks


def _call_arguments(text: str, start: int, limit: int = 4000) -> str:
    """Text from ``start`` to the parenthesis that closes the call it is inside."""
    depth = 1
    end = min(len(text), start + limit)
    for i in range(start, end):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start:end]


def _strip_version(package: str) -> str:
    """``serverless@3`` -> ``serverless`` (a scoped ``@org/pkg`` keeps its leading @)."""
    head, sep, _ = package[1:].partition("@")
    return package[0] + head if sep else package


def _image_list(value: str) -> list[str]:
    """Image references in an action input: newline or comma separated, ``name=`` CSV entries allowed."""
    refs = []
    for entry in re.split(r"[\n,]", value):
        entry = entry.strip()
        if not entry or ("=" in entry and not entry.startswith("name=")):
            continue
        refs.append(entry[5:] if entry.startswith("name=") else entry)
    return refs


def _parse_image(ref: str) -> tuple[str | None, str | None, str] | None:
    """ECR image reference -> (account, region, repository name); None when it is not an ECR image.

    The tag or digest is dropped; account/region are None when the registry is not visible."""
    ref = ref.strip().strip("'\"")
    if ref.startswith("docker://"):
        ref = ref[len("docker://"):]
    host, slash, rest = ref.partition("/")
    if not slash or not rest:
        bare = ref.split("@", 1)[0].split(":", 1)[0]
        if _UNRES_REF.fullmatch(bare):
            return None, None, bare  # the whole reference is an unknown expression
        return None
    if host == REG:
        account = region = None
    else:
        m = _ECR_HOST.match(host)
        if not m:
            return None
        account, region = m.group("account"), m.group("region")
    name = rest.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name[: name.rindex(":")]
    return _clean(account, _ACCOUNT), _clean(region, _REGION), name


def _printable(value: str, unresolved: list[str]) -> str:
    value = _UNRES_REF.sub(lambda m: unresolved[int(m.group(1))], value)
    return value.replace(REG, "<registry>")


class _SlsResolver:
    """Serverless Framework ``${...}`` variables of one config that we can know statically.

    Each ``self:`` reference is resolved once per (path, stage, depth): ``a: ${self:b}${self:b}``,
    ``b: ${self:c}${self:c}`` ... is exponential otherwise. A value growing past MAX_SLS_VALUE
    characters is unresolved (and ``too_large`` is set, for one warning)."""

    MAX_DEPTH = 6        # self: references followed
    MAX_STEPS = 20       # variables substituted in one value

    def __init__(self, doc: dict, region: str | None, env: Env):
        self.doc, self.region, self.env = doc, region, env
        self.memo: dict[tuple[str, str | None, int], str | None] = {}
        self.too_large = False

    def resolve(self, value: Any, stage: str | None, depth: int = 0) -> str | None:
        """``value`` with its variables substituted; None if we can't."""
        if value is None or isinstance(value, (dict, list, set, tuple, bytes, _Intrinsic, bool)):
            return None
        if depth > self.MAX_DEPTH:
            self.too_large = True
            return None
        text = str(value)
        for _ in range(self.MAX_STEPS):
            if len(text) > MAX_SLS_VALUE:
                self.too_large = True
                return None
            m = _SLS_VAR.search(text)
            if not m:
                return text.strip() or None
            resolved = None
            for source in (s.strip() for s in m.group(1).split(",")):
                if len(source) >= 2 and source[0] in "'\"" and source[-1] == source[0]:
                    resolved = source[1:-1]
                elif source in ("opt:stage", "sls:stage"):
                    resolved = stage
                elif source == "opt:region":
                    resolved = self.region
                elif source.startswith("self:"):
                    resolved = self._self(source[5:], stage, depth + 1)
                elif source.startswith("env:"):
                    raw = self.env.get(source[4:])
                    resolved = raw if raw and not _has_gh_expr(raw) else None
                if resolved:
                    break
            if not resolved:
                return None
            text = text[: m.start()] + resolved + text[m.end():]
        return None

    def _self(self, path: str, stage: str | None, depth: int) -> str | None:
        key = (path, stage, depth)
        if key not in self.memo:
            node: Any = self.doc
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            self.memo[key] = self.resolve(node, stage, depth)
        return self.memo[key]


def _merge(targets: list[dict]) -> list[dict]:
    """Drop repeats: a target equal to an earlier one, or one that only adds what the earlier lacked."""
    merged: list[dict] = []
    by_name: dict[tuple[str, str], list[dict]] = {}  # only same kind and name can merge: no all-pairs pass
    for target in targets:
        same = by_name.setdefault((target["target_kind"], target["name"]), [])
        for seen in same:
            if all(seen[f] is None or target[f] is None or seen[f] == target[f]
                   for f in ("cluster", "stage", "account", "region")):
                for f in ("cluster", "stage", "account", "region"):
                    seen[f] = seen[f] or target[f]
                break
        else:
            merged.append(dict(target))
            same.append(merged[-1])
    return merged


def wanted_file(path: str) -> bool:
    """Whether ``find_deploy_targets`` reads a file of this path (for the connector to fetch).

    A CDK app's entry file is named inside ``cdk.json`` (its ``app`` command), so it can only be
    asked for once ``cdk.json`` has been read."""
    base = posixpath.basename(path)
    return bool(
        WORKFLOW_PATH.match(path) or ACTION_PATH.match(path) or base in SAMCONFIG_NAMES
        or base in SERVERLESS_NAMES or base == "cdk.json" or _TASKDEF_NAME.search(base)
        or _TEMPLATE_NAME.match(base) or _JENKINSFILE.match(base) or _BUILDSPEC.match(base)
        or path == COPILOT_WORKSPACE or _COPILOT_MANIFEST.match(path)
    )


def find_deploy_targets(files: dict[str, str | None], *, repo: str | None = None) -> tuple[list[dict], list[dict]]:
    """Deploy targets declared by a repository's files.

    ``files``: path -> text (None for unreadable files, skipped). ``repo``: "org/name", used for
    ``github.repository`` expressions. Returns (targets, warnings): each target has TARGET_FIELDS;
    each warning is {"reason_code", "path", "line", "message"}. Never raises."""
    scanner = _Scanner(files or {}, repo)
    for path in sorted(scanner.files):
        if WORKFLOW_PATH.match(path) or ACTION_PATH.match(path):
            try:
                scanner.scan_workflow(path, scanner.files[path])
            except RecursionError:
                scanner.warn(INVALID_YAML, path, 1, "workflow nests too deeply to read")
    try:
        scanner.scan_companions()
    except RecursionError:
        scanner.warn(INVALID_YAML, "", 1, "a companion file nests too deeply to read")
    return _merge(scanner.targets), scanner.warnings
