"""What a repository's Terraform (``.tf``) files declare: the AWS resources they create, by kind and name.

Companies that build with Terraform have no CloudFormation stack to say which resources belong
together; the infrastructure repository says it instead: one folder (``services/claims-intake/``) or
one module call (``module "claims_intake" {...}`` in ``environments/prod.tf``) holds one service's ECS
service, functions, queues and database. This reader turns the files into those declarations so
reconcile can group the resources and credit the folder's CODEOWNERS.

HCL is parsed with python-hcl2 (a maintained LALR parser: linear in the input), never with regexes.
Names are resolved from string literals, ``locals``, ``variable`` defaults and simple interpolation
(``"${local.service}-worker"``, ``var.name``); a local module (``source = "../modules/ecs-service"``)
is expanded once with the call's arguments as its variables. Whatever cannot be resolved (a function
call, a remote state output, a ``count`` index) is dropped with a warning: a declaration never carries
a name like ``${``. Nothing here raises: malformed HCL is a warning on the file, and the work is
bounded by file count, size and estimated tokens (``MAX_TF_FILES``, ``MAX_TF_BYTES``, ``MAX_TF_WORK``).
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

TF_SUFFIX = ".tf"
# The parser is linear but not fast: 30-60 us of CPU per token, whatever the tokens (a long string is one
# token, ``1,1,1,...`` two per two characters). So the work is capped by an estimate of the tokens parsed
# per repository (``work``): 20,000 is a live-infrastructure repository of ~105 services, under a second of
# CPU at worst; a bigger one is read in part, with a warning.
MAX_TF_FILES = 200            # .tf files read per repository (a monorepo of modules has a few dozen)
MAX_TF_BYTES = 64 * 1024      # one file; generated files beyond this are not hand-written infrastructure
MAX_TF_WORK = 20_000          # estimated tokens parsed per repository
_PUNCTUATION = ',[]{}()=.:"+-*/<>!?%&|'


def work(text: str) -> int:
    """An over-estimate of the tokens in ``text`` (words, and each punctuation mark counted twice)."""
    return len(text.split()) + 2 * sum(text.count(ch) for ch in _PUNCTUATION)
MAX_DECLARATIONS = 1000
MAX_EXPANSIONS = 2000         # local module calls expanded per repository (a call inside a module multiplies)
MAX_VALUE = 1024              # a resolved name (AWS names are a few hundred characters at most)
MAX_REF_DEPTH = 8             # local -> local -> ... references followed

INVALID_HCL = "invalid_hcl"
UNRESOLVED = "unresolved_expression"
TOO_LARGE = "input_too_large"

# Terraform resource type -> (fact kind, the argument that names it, the argument naming its ECS cluster)
RESOURCE_TYPES: dict[str, tuple[str, str]] = {
    "aws_ecs_service": ("ecs_service", "name"),
    "aws_lambda_function": ("lambda_function", "function_name"),
    "aws_sqs_queue": ("sqs_queue", "name"),
    "aws_db_instance": ("rds_instance", "identifier"),
    "aws_rds_cluster": ("rds_cluster", "cluster_identifier"),
    "aws_api_gateway_rest_api": ("apigateway_rest_api", "name"),
    "aws_apigatewayv2_api": ("apigateway_http_api", "name"),
    "aws_ecr_repository": ("ecr_repository", "name"),
}
# Arguments of a module call that name what the module creates, most specific first.
MODULE_NAME_ARGS = ("name", "service_name", "function_name", "queue_name", "identifier", "service")

_REFERENCE = re.compile(r"^(local|var)\.([A-Za-z_][A-Za-z0-9_-]*)$")  # one reference, not HCL structure
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")


@dataclass
class Declaration:
    resource_kind: str        # a discovery fact kind (ecs_service, lambda_function, sqs_queue ...)
    resource_type: str        # the Terraform type (aws_ecs_service); "module" for a remote module's name
    name: str
    address: str              # aws_ecs_service.api, module.claims_intake.aws_sqs_queue.this
    path: str                 # the file that declares it (the module call's file for expanded modules)
    folder: str               # the folder of that file
    module: str | None = None  # the module call it comes from, if any
    cluster: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items()}


@dataclass
class _Folder:
    path: str
    files: list[tuple[str, dict]] = field(default_factory=list)


class _Unresolved(Exception):
    pass


def is_terraform(path: str) -> bool:
    return isinstance(path, str) and path.endswith(TF_SUFFIX)


def _unquote(value: str) -> str | None:
    """A python-hcl2 string literal (serialized with its quotes) without them; None for an expression."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return None


class _Resolver:
    """Evaluates the few expressions a name is built from, within one folder (a Terraform module)."""

    def __init__(self, locals_: dict[str, Any], variables: dict[str, Any]):
        self.locals = locals_
        self.variables = variables

    def value(self, raw: Any, depth: int = 0) -> str:
        if depth > MAX_REF_DEPTH:
            raise _Unresolved("references nest too deeply")
        if isinstance(raw, bool) or raw is None or isinstance(raw, (dict, list)):
            raise _Unresolved(f"{type(raw).__name__} is not a name")
        if isinstance(raw, (int, float)):
            return str(raw)
        if not isinstance(raw, str):
            raise _Unresolved("not a string")
        literal = _unquote(raw)
        if literal is not None:
            return self.template(literal, depth)
        if raw.startswith("${") and raw.endswith("}"):
            return self.reference(raw[2:-1].strip(), depth)
        raise _Unresolved(raw)

    def reference(self, expr: str, depth: int) -> str:
        m = _REFERENCE.match(expr)
        if not m:
            raise _Unresolved(expr)
        scope = self.locals if m.group(1) == "local" else self.variables
        if m.group(2) not in scope:
            raise _Unresolved(expr)
        return self.value(scope[m.group(2)], depth + 1)

    def template(self, text: str, depth: int) -> str:
        """A quoted string with ``${ref}`` interpolations; ``$${`` is a literal ``${``."""
        out, i, n = [], 0, len(text)
        while i < n:
            if text.startswith("$${", i):
                out.append("${")
                i += 3
            elif text.startswith("${", i):
                end = text.find("}", i + 2)
                if end < 0 or "{" in text[i + 2:end]:
                    raise _Unresolved(text)
                out.append(self.reference(text[i + 2:end].strip(), depth))
                i = end + 1
            elif text.startswith("%{", i):
                raise _Unresolved(text)  # template directives (for, if)
            else:
                out.append(text[i])
                i += 1
        value = "".join(out)
        if len(value) > MAX_VALUE:
            raise _Unresolved("value too long")
        return value


def _blocks(doc: dict, kind: str) -> list[dict]:
    return [b for b in doc.get(kind) or [] if isinstance(b, dict)]


def _label(value: str) -> str:
    return _unquote(value) or value


class TerraformReader:
    """Reads the ``.tf`` files of one repository (``read``); results in ``declarations`` and ``warnings``."""

    def __init__(self, files: dict[str, str | None]):
        self.files = files
        self.declarations: list[Declaration] = []
        self.warnings: list[dict] = []
        self.folders: dict[str, _Folder] = {}
        self.expansions = 0

    def warn(self, reason: str, path: str, message: str) -> None:
        if len(self.warnings) < MAX_DECLARATIONS:
            self.warnings.append({"reason_code": reason, "path": path, "line": 1, "message": message[:800]})

    def read(self) -> "TerraformReader":
        import hcl2  # the parser is only needed where Terraform files are read
        from hcl2 import SerializationOptions

        options = SerializationOptions(with_comments=False, explicit_blocks=False)
        paths = sorted(p for p, t in self.files.items() if is_terraform(p) and isinstance(t, str))
        if len(paths) > MAX_TF_FILES:
            self.warn(TOO_LARGE, paths[MAX_TF_FILES], f"more than {MAX_TF_FILES} Terraform files; the rest were not read")
            paths = paths[:MAX_TF_FILES]
        total = 0
        for path in paths:
            text = self.files[path]
            if len(text.encode("utf-8", "replace")) > MAX_TF_BYTES:
                self.warn(TOO_LARGE, path, f"Terraform file larger than {MAX_TF_BYTES} bytes; skipped")
                continue
            cost = work(text)
            if total + cost > MAX_TF_WORK:
                self.warn(TOO_LARGE, path, "the repository's Terraform is too large to read in full; file skipped")
                continue
            total += cost
            try:
                doc = hcl2.loads(text, serialization_options=options)
            except RecursionError:
                self.warn(INVALID_HCL, path, "HCL nests too deeply to read")
                continue
            except Exception as exc:  # noqa: BLE001 - lark raises many kinds; any of them is malformed input
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.warn(INVALID_HCL, path, f"not valid HCL: {first}")
                continue
            if isinstance(doc, dict):
                folder = posixpath.dirname(path)
                self.folders.setdefault(folder, _Folder(folder)).files.append((path, doc))
        for folder in sorted(self.folders):
            if not self._is_called_module(folder):
                self._read_folder(self.folders[folder], {}, None, path_override=None)
        return self

    def _is_called_module(self, folder: str) -> bool:
        """A folder some other folder calls as a local module: read through its callers, never on its own."""
        for other in self.folders.values():
            for _, doc in other.files:
                for block in _blocks(doc, "module"):
                    for _, args in block.items():
                        target = self._local_source(other.path, args)
                        if target == folder:
                            return True
        return False

    @staticmethod
    def _local_source(folder: str, args: Any) -> str | None:
        source = _unquote(args.get("source", "")) if isinstance(args, dict) and isinstance(args.get("source"), str) else None
        if not source or not source.startswith(("./", "../")):
            return None
        return posixpath.normpath(posixpath.join(folder, source))

    def _scope(self, folder: _Folder, inputs: dict[str, Any]) -> _Resolver:
        locals_: dict[str, Any] = {}
        variables: dict[str, Any] = {}
        for _, doc in folder.files:
            for block in _blocks(doc, "locals"):
                locals_.update({k: v for k, v in block.items() if not k.startswith("__")})
            for block in _blocks(doc, "variable"):
                for label, body in block.items():
                    if isinstance(body, dict) and "default" in body:
                        variables[_label(label)] = body["default"]
        variables.update(inputs)
        return _Resolver(locals_, variables)

    def _read_folder(self, folder: _Folder, inputs: dict[str, Any], module: str | None, *,
                     path_override: str | None, depth: int = 0) -> None:
        scope = self._scope(folder, inputs)
        for path, doc in folder.files:
            where = path_override or path
            for block in _blocks(doc, "resource"):
                for rtype, named in block.items():
                    rtype = _label(rtype)
                    if rtype not in RESOURCE_TYPES or not isinstance(named, dict):
                        continue
                    kind, name_arg = RESOURCE_TYPES[rtype]
                    for label, body in named.items():
                        if isinstance(body, dict):
                            address = (f"module.{module}." if module else "") + f"{rtype}.{_label(label)}"
                            self._declare(scope, body, kind, rtype, name_arg, address, where, module)
            for block in _blocks(doc, "module"):
                for label, args in block.items():
                    if self.expansions > MAX_EXPANSIONS:
                        return
                    if isinstance(args, dict):
                        self._module_call(folder, scope, _label(label), args, where, depth)

    def _module_call(self, folder: _Folder, scope: _Resolver, label: str, args: dict, where: str, depth: int) -> None:
        target = self._local_source(folder.path, args)
        if target in self.folders and depth < 2 and target != folder.path:
            self.expansions += 1
            if self.expansions > MAX_EXPANSIONS:
                if self.expansions == MAX_EXPANSIONS + 1:
                    self.warn(TOO_LARGE, where, f"more than {MAX_EXPANSIONS} module calls to expand; the rest were not")
                return
            # the callee's variables are the call's arguments, evaluated in the caller's scope; one
            # the caller cannot resolve is left out, so the callee's own default (if any) applies
            inputs: dict[str, Any] = {}
            for key, raw in args.items():
                if key in ("source", "version", "providers", "count", "for_each", "depends_on") or key.startswith("__"):
                    continue
                try:
                    inputs[key] = '"' + scope.value(raw).replace('"', "") + '"'
                except _Unresolved:
                    continue
            self._read_folder(self.folders[target], inputs, label, path_override=where, depth=depth + 1)
            return
        # a remote (or unread) module: its name argument still names what it creates
        arg = next((a for a in MODULE_NAME_ARGS if a in args), None)
        if arg is not None:
            self._declare(scope, args, "module", "module", arg, f"module.{label}", where, label)

    def _declare(self, scope: _Resolver, body: dict, kind: str, rtype: str, name_arg: str, address: str,
                 path: str, module: str | None) -> None:
        if len(self.declarations) >= MAX_DECLARATIONS:
            return
        if name_arg not in body:
            return  # Terraform generates the name (name_prefix, or none given): nothing to match by
        try:
            name = scope.value(body[name_arg]).strip()
        except _Unresolved as exc:
            self.warn(UNRESOLVED, path, f"{address}: could not resolve {str(exc)[:200]!r} in {name_arg}; skipped")
            return
        if not name or not _NAME_OK.match(name) or len(name) > MAX_VALUE:
            self.warn(UNRESOLVED, path, f"{address}: {name[:200]!r} is not a resource name; skipped")
            return
        cluster = None
        if rtype == "aws_ecs_service" and "cluster" in body:
            try:
                cluster = scope.value(body["cluster"]).rsplit("/", 1)[-1] or None
            except _Unresolved:
                cluster = None  # a cluster's ARN from another resource: the name alone still matches
        self.declarations.append(Declaration(kind, rtype, name, address, path, posixpath.dirname(path), module, cluster))


def read_terraform(files: dict[str, str | None]) -> tuple[list[dict], list[dict]]:
    """(declarations as dicts, warnings) for a repository's files (only ``.tf`` files are read). Never raises."""
    reader = TerraformReader(files or {})
    try:
        reader.read()
    except RecursionError:
        reader.warn(INVALID_HCL, "", "Terraform nests too deeply to read")
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises on any input"
        reader.warn(INVALID_HCL, "", f"could not read Terraform: {type(exc).__name__}")
    return [d.as_dict() for d in reader.declarations], reader.warnings
