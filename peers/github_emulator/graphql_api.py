"""GitHub's GraphQL API over the store: the real public schema, generic resolvers, GitHub's cost rules.

Queries are parsed and validated by graphql-core against GitHub's published schema
(npm ``@octokit/graphql-schema``), so anything GitHub rejects is rejected here. Objects are plain
dicts keyed by GraphQL field name; a value that is callable is called with the field's arguments.
A field the emulator does not model resolves to null when nullable; a non-null one to an empty value
(empty list or connection, 0, ""), GitHub's documented default (``DOCUMENTED_DEFAULTS``) or an ``UNKNOWN``
enum value, and otherwise to a FORBIDDEN field error: no Boolean or enum value is made up.
"""
from __future__ import annotations

import base64
import gc
import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLSchema,
    InlineFragmentNode, IntValueNode, OperationDefinitionNode, OperationType, VariableNode, build_schema,
    execute_sync, get_named_type, get_nullable_type, is_composite_type, is_enum_type, is_list_type,
    is_non_null_type, is_object_type, parse, validate,
)
from graphql.execution.values import get_variable_values

from .changes import at_ref
from .rest import Urls
from .store import EPOCH, Commit, Member, Org, Repo, Store, Team, TreeEntry, is_binary, iso, node_id, stable_id

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_PATH = PACKAGE_DIR / "node_modules" / "@octokit" / "graphql-schema" / "schema.graphql"
MAX_PAGE = 100
MAX_NODES = 500_000
BLOB_TEXT_LIMIT = 512_000  # GitHub cuts Blob.text at this many bytes and sets isTruncated
PERMISSION_ENUM = {"pull": "READ", "triage": "TRIAGE", "push": "WRITE", "maintain": "MAINTAIN", "admin": "ADMIN"}


def ensure_schema() -> Path:
    """Install the pinned npm packages (``npm ci``) if the schema file is missing; return its path."""
    if not SCHEMA_PATH.exists():
        subprocess.run(["npm", "ci", "--prefix", str(PACKAGE_DIR), "--no-audit", "--no-fund"], check=True,
                       stdout=subprocess.DEVNULL)
    return SCHEMA_PATH


_schema: GraphQLSchema | None = None
_schema_lock = threading.Lock()


def get_schema() -> GraphQLSchema:
    """GitHub's schema, built once per process (takes a couple of seconds)."""
    global _schema
    with _schema_lock:
        if _schema is None:
            # The published SDL repeats two field definitions and marks a few implementations of
            # non-deprecated interface fields as deprecated; GitHub's server tolerates both, so skip
            # the SDL/schema validation that would refuse them.
            _schema = build_schema(ensure_schema().read_text(encoding="utf-8"), assume_valid=True,
                                   assume_valid_sdl=True)
            # The schema is ~300k long-lived objects; left to the cyclic GC, every full collection
            # walks them all (pauses of up to a second mid-request). Move them out of its sight.
            gc.collect()
            gc.freeze()
        return _schema


class GitHubError(Exception):
    """An error GitHub reports with a ``type`` (NOT_FOUND, INVALID_CURSOR_ARGUMENTS, ...)."""

    def __init__(self, type_: str, message: str):
        super().__init__(message)
        self.type = type_


# --- request preparation: parse, validate, pagination limits and cost --------------------------

# graphql-core's wording -> GitHub's (graphql-ruby) wording for the errors clients meet most
_MESSAGE_REWRITES = [
    (re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\..*"), r"Field '\1' doesn't exist on type '\2'"),
    (re.compile(r"^Unknown argument '(\w+)' on field '\w+\.(\w+)'\..*"), r"Field '\2' doesn't accept argument '\1'"),
    (re.compile(r"^Argument '\w+\.(\w+)\((\w+):\)' of type '.+' is required, but it was not provided\."),
     r"Field '\1' is missing required arguments: \2"),
]


def _format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {}
    original = error.original_error
    if isinstance(original, GitHubError):
        out["type"] = original.type
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    message = error.message
    for pattern, repl in _MESSAGE_REWRITES:
        message = pattern.sub(repl, message)
    out["message"] = message
    return out


@lru_cache(maxsize=256)
def _parse_and_validate(query: str) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
    schema = get_schema()
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, (_format_error(exc),)
    errors = validate(schema, document)
    return (None, tuple(_format_error(e) for e in errors)) if errors else (document, ())


@dataclass
class Plan:
    """A validated query with what GitHub computes before running it."""

    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict[str, Any]
    requests: int = 0  # GitHub's "requests needed to fulfil each connection"
    node_count: int = 0
    max_page: int = 0  # the largest first/last asked for on any connection
    dry_run: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def cost(self) -> int:
        # GitHub: total requests / 100, rounded to the nearest whole number, at least 1
        return max(1, (self.requests + 50) // 100)


def prepare(query: Any, variables: Any = None, operation_name: Any = None) -> Plan | list[dict[str, Any]]:
    """Parse, validate and cost a query; return the Plan, or the errors GitHub would answer with."""
    if not isinstance(query, str) or not query.strip():
        return [{"message": "A query attribute must be specified and must be a string."}]
    variables = _parse_variables(variables)
    if variables is _INVALID:
        return [{"message": "Variables are invalid JSON."}]
    document, errors = _parse_and_validate(query)
    if document is None:
        return [dict(e) for e in errors]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
        if not operations:
            return [{"message": f'No operation named "{operation_name}"'}]
    elif len(operations) > 1:
        return [{"message": "An operation name is required"}]
    operation = operations[0]
    if operation.operation != OperationType.QUERY:
        return [{"message": f"The emulator serves queries only, not {operation.operation.value}s."}]
    schema = get_schema()
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return [_format_error(e) for e in coerced]
    plan = Plan(document, operation, dict(variables or {}))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    _walk(schema, schema.query_type, operation.selection_set, fragments, coerced.coerced, 1, [], plan)
    if not plan.errors and plan.node_count > MAX_NODES:
        plan.errors.append({"type": "MAX_NODE_LIMIT_EXCEEDED", "message": (
            f"This query requests up to {plan.node_count:,} possible nodes which exceeds the maximum limit of "
            f"{MAX_NODES:,}.")})
    return plan.errors or plan


_INVALID = object()


def _parse_variables(variables: Any) -> Any:
    """GitHub takes ``variables`` as a JSON object or as a string holding one (what some clients, such as
    Cartography, send); an empty string or null means none. Anything else is ``_INVALID``."""
    if isinstance(variables, str):
        if not variables.strip():
            return None
        try:
            variables = json.loads(variables)
        except ValueError:
            return _INVALID
    if variables is not None and not isinstance(variables, dict):
        return _INVALID
    return variables


def _arg(node: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for arg in node.arguments or ():
        if arg.name.value == name:
            if isinstance(arg.value, VariableNode):
                return variables.get(arg.value.name.value)
            if isinstance(arg.value, IntValueNode):
                return int(arg.value.value)
            return getattr(arg.value, "value", None)
    return None


def _located(node: FieldNode, path: list[str], type_: str, message: str) -> dict[str, Any]:
    loc = GraphQLError(message, node).locations or []
    return {"type": type_, "path": list(path), "locations": [{"line": x.line, "column": x.column} for x in loc],
            "message": message}


def _walk(schema: GraphQLSchema, parent: Any, selection_set: Any, fragments: dict[str, FragmentDefinitionNode],
          variables: dict[str, Any], multiplier: int, path: list[str], plan: Plan) -> None:
    """Apply GitHub's connection rules: first/last present and <= 100, and count requests and nodes."""
    for sel in selection_set.selections:
        if isinstance(sel, InlineFragmentNode):
            target = schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
            _walk(schema, target, sel.selection_set, fragments, variables, multiplier, path, plan)
            continue
        if isinstance(sel, FragmentSpreadNode):
            frag = fragments[sel.name.value]
            target = schema.get_type(frag.type_condition.name.value)
            _walk(schema, target, frag.selection_set, fragments, variables, multiplier, path, plan)
            continue
        name = sel.name.value
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            continue
        fdef = fields[name]
        named = get_named_type(fdef.type)
        key = sel.alias.value if sel.alias else name
        sub_path = [*path, key]
        sub_multiplier = multiplier
        if name == "rateLimit" and _arg(sel, "dryRun", variables):
            plan.dry_run = True
        if named.name.endswith("Connection") and ("first" in fdef.args or "last" in fdef.args):
            first, last = _arg(sel, "first", variables), _arg(sel, "last", variables)
            wants_items = sel.selection_set and any(
                isinstance(s, FieldNode) and s.name.value in ("nodes", "edges") for s in sel.selection_set.selections)
            size = first if first is not None else last
            if first is not None and last is not None:
                plan.errors.append(_located(sel, sub_path, "EXCESSIVE_PAGINATION", (
                    f"Passing both `first` and `last` to paginate the `{name}` connection is not supported.")))
            elif size is None and wants_items:
                plan.errors.append(_located(sel, sub_path, "MISSING_PAGINATION_BOUNDARIES", (
                    f"You must provide a `first` or `last` value to properly paginate the `{name}` connection.")))
            elif size is not None and size > MAX_PAGE:
                which = "first" if first is not None else "last"
                plan.errors.append(_located(sel, sub_path, "EXCESSIVE_PAGINATION", (
                    f"Requesting {size} records on the `{name}` connection exceeds the `{which}` limit of "
                    f"{MAX_PAGE} records.")))
            elif size is not None and size < 0:
                which = "first" if first is not None else "last"
                plan.errors.append(_located(sel, sub_path, "INVALID_ARGUMENT",
                                            f"`{which}` on the `{name}` connection cannot be less than zero."))
            size = max(0, min(size or 0, MAX_PAGE))
            plan.requests += multiplier
            plan.node_count += multiplier * size
            plan.max_page = max(plan.max_page, size)
            sub_multiplier = multiplier * size
        if sel.selection_set and is_composite_type(named):
            _walk(schema, named, sel.selection_set, fragments, variables, sub_multiplier, sub_path, plan)


# --- execution ---------------------------------------------------------------------------------

_MISSING = object()
# Non-null scalars with a neutral empty value: counts are 0, text is "", a missing date is the store's EPOCH
# (the creation date it gives everything the scenario dates not).
_SCALAR_FALLBACKS = {"Int": 0, "Float": 0.0, "DateTime": EPOCH, "GitTimestamp": EPOCH}
# Non-null Booleans and enums the scenario does not model, answered with the default GitHub documents for a
# new object (REST "Create an organization repository", "Update an organization", "Create a team"), the
# same values the emulator's REST payloads carry. Anything else non-null without a neutral value (such as
# Organization.ipAllowListEnabledSetting) is not made up: the field answers a FORBIDDEN error, as GitHub
# does for a field the token may not read.
DOCUMENTED_DEFAULTS: dict[tuple[str, str], Any] = {
    ("Repository", "hasIssuesEnabled"): True, ("Repository", "hasProjectsEnabled"): True,
    ("Repository", "hasWikiEnabled"): True, ("Repository", "hasDiscussionsEnabled"): False,
    ("Repository", "mergeCommitAllowed"): True, ("Repository", "squashMergeAllowed"): True,
    ("Repository", "rebaseMergeAllowed"): True, ("Repository", "autoMergeAllowed"): False,
    ("Repository", "deleteBranchOnMerge"): False, ("Repository", "allowUpdateBranch"): False,
    ("Repository", "webCommitSignoffRequired"): False, ("Repository", "squashPrTitleUsedAsDefault"): False,
    ("Repository", "isBlankIssuesEnabled"): True, ("Repository", "usesCustomOpenGraphImage"): False,
    ("Repository", "mergeCommitTitle"): "MERGE_MESSAGE", ("Repository", "mergeCommitMessage"): "PR_TITLE",
    ("Repository", "squashMergeCommitTitle"): "COMMIT_OR_PR_TITLE",
    ("Repository", "squashMergeCommitMessage"): "COMMIT_MESSAGES",
    ("Organization", "membersCanForkPrivateRepositories"): False,
    ("Organization", "webCommitSignoffRequired"): False,
    ("Team", "notificationSetting"): "NOTIFICATIONS_ENABLED", ("Team", "reviewRequestDelegationEnabled"): False,
    ("User", "userViewType"): "PUBLIC",
}
NEUTRAL_ENUM_VALUES = ("UNKNOWN",)  # an enum value that claims nothing
_fallbacks: dict[tuple[str, str], Any] = {}


class _NotModelled:
    """A non-null field with no neutral value: resolving it raises GitHub's FORBIDDEN field error."""


_NOT_MODELLED = _NotModelled()


def _empty_connection() -> dict[str, Any]:
    return {"totalCount": 0, "nodes": [], "edges": [],
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}


def _fallback_value(parent: str, field_name: str, return_type: Any) -> Any:
    named = get_named_type(return_type)
    if is_object_type(named) and named.name.endswith("Connection"):
        return "connection"
    if not is_non_null_type(return_type):
        return None  # nullable: null claims nothing
    if is_list_type(get_nullable_type(return_type)):
        return ()
    if (parent, field_name) in DOCUMENTED_DEFAULTS:
        return DOCUMENTED_DEFAULTS[(parent, field_name)]
    if is_enum_type(named):
        return next((v for v in NEUTRAL_ENUM_VALUES if v in named.values), _NOT_MODELLED)
    if is_object_type(named):
        return None  # graphql-core then reports the non-null violation, as a real server would
    if named.name == "Boolean":
        return _NOT_MODELLED  # true or false would both be a claim about the object
    return _SCALAR_FALLBACKS.get(named.name, "")


def _fallback(info: Any) -> Any:
    """What an unmodelled field returns: nothing, in the least surprising shape its type allows."""
    key = (info.parent_type.name, info.field_name)
    value = _fallbacks.get(key, _MISSING)
    if value is _MISSING:
        value = _fallbacks[key] = _fallback_value(key[0], key[1], info.return_type)
    if value == "connection":
        return _empty_connection()
    if value is _NOT_MODELLED:
        raise GitHubError("FORBIDDEN", (
            f"Resource not accessible: the emulator does not model `{key[0]}.{key[1]}` and GitHub documents no "
            "neutral value for it"))
    return value


def _resolve(source: Any, info: Any, **args: Any) -> Any:
    value = source.get(info.field_name, _MISSING) if isinstance(source, dict) else _MISSING
    if value is _MISSING:
        return _fallback(info)
    return value(**args) if callable(value) else value


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if text.startswith("cursor:v2:"):
            return int(text[len("cursor:v2:"):])
    except (ValueError, UnicodeDecodeError):
        pass
    raise GitHubError("INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor.")


def connection(items: list[Any], args: dict[str, Any], node: Callable[[Any], Any],
               edge: Callable[[Any], dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A cursor connection over ``items`` honouring first/after/last/before; nodes built on demand."""
    start = _decode_cursor(args["after"]) + 1 if args.get("after") else 0
    end = _decode_cursor(args["before"]) if args.get("before") else len(items)
    window = range(min(start, len(items)), max(min(start, len(items)), min(end, len(items))))
    if args.get("first") is not None:
        window = window[: args["first"]]
    if args.get("last") is not None:
        window = window[len(window) - min(args["last"], len(window)):]
    built: list[Any] = []

    def nodes(**_: Any) -> list[Any]:
        if not built:
            built.extend(node(items[i]) for i in window)
        return built

    def edges(**_: Any) -> list[dict[str, Any]]:
        return [{"cursor": _cursor(i), "node": n, **(edge(items[i]) if edge else {})}
                for i, n in zip(window, nodes())]

    return {
        "totalCount": len(items), "nodes": nodes, "edges": edges,
        "pageInfo": {"hasNextPage": window.stop < len(items), "hasPreviousPage": window.start > 0,
                     "startCursor": _cursor(window.start) if window else None,
                     "endCursor": _cursor(window[-1]) if window else None},
        **extra,
    }


def _order(items: list[Any], order: dict[str, Any] | None, keys: dict[str, Callable[[Any], Any]]) -> list[Any]:
    if not order or order.get("field") not in keys:
        return items
    return sorted(items, key=keys[order["field"]], reverse=order.get("direction") == "DESC")


class Graph:
    """Builds the GraphQL objects of one request from the store."""

    def __init__(self, store: Store, urls: Urls, rate: dict[str, Any], viewer: str | None):
        self.store, self.urls, self.rate, self.viewer_login = store, urls, rate, viewer
        self.memo: dict[tuple[str, Any], dict[str, Any]] = {}

    def root(self) -> dict[str, Any]:
        return {
            "organization": self._root_org, "repository": self._root_repo, "user": self._root_user,
            "repositoryOwner": self._root_owner, "rateLimit": lambda **_: self.rate, "viewer": self._viewer,
            "node": self._root_node, "nodes": self._root_nodes,
        }

    def _node_index(self) -> dict[str, Any]:
        """Global node id -> a builder for that object, as GitHub's Query.node / Query.nodes resolve them."""
        if "nodes" not in self.__dict__:
            index: dict[str, Any] = {}
            for org in self.store.orgs.values():
                index[node_id("O", org.id)] = lambda o=org: self.org(o)
                for repo in org.repos.values():
                    index[node_id("R", repo.id)] = lambda o=org, r=repo: self.repo(o, r)
                for team in org.teams.values():
                    index[node_id("T", team.id)] = lambda o=org, t=team: self.team(o, t)
            for member in self.store.users.values():
                index[node_id("U", member.id)] = lambda m=member: self.user(m)
            self.__dict__["nodes"] = index
        return self.__dict__["nodes"]

    def _root_node(self, id: str, **_: Any) -> dict[str, Any] | None:  # noqa: A002 - GitHub's argument name
        build = self._node_index().get(id)
        if build is None:
            raise GitHubError("NOT_FOUND", f"Could not resolve to a node with the global id of '{id}'")
        return build()

    def _root_nodes(self, ids: list[str], **_: Any) -> list[dict[str, Any] | None]:
        index = self._node_index()
        missing = [i for i in ids if i not in index]
        if missing:
            raise GitHubError("NOT_FOUND", f"Could not resolve to a node with the global id of '{missing[0]}'")
        return [index[i]() for i in ids]

    def _root_org(self, login: str, **_: Any) -> dict[str, Any]:
        org = self.store.org(login)
        if org is None:
            raise GitHubError("NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'.")
        return self.org(org)

    def _root_repo(self, owner: str, name: str, **_: Any) -> dict[str, Any]:
        org, repo = self.store.org(owner), self.store.repo(owner, name)
        if org is None or repo is None:
            raise GitHubError("NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return self.repo(org, repo)

    def _root_user(self, login: str, **_: Any) -> dict[str, Any]:
        member = self.store.user(login)
        if member is None:
            raise GitHubError("NOT_FOUND", f"Could not resolve to a User with the login of '{login}'.")
        return self.user(member)

    def _root_owner(self, login: str, **_: Any) -> dict[str, Any] | None:
        org = self.store.org(login)
        if org:
            return self.org(org)
        member = self.store.user(login)
        return self.user(member) if member else None

    def _viewer(self, **_: Any) -> dict[str, Any]:
        member = self.store.user(self.viewer_login or "")
        if member:
            return self.user(member)
        login = self.viewer_login or "emulator-viewer"
        return {"__typename": "User", "login": login, "name": None, "email": "", "url": f"{self.urls.html}/{login}"}

    # --- objects ---

    def _cached(self, key: tuple[str, Any], build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        obj = self.memo.get(key)
        if obj is None:
            obj = self.memo[key] = build()
        return obj

    def user(self, m: Member) -> dict[str, Any]:
        return self._cached(("user", m.login), lambda: {
            "__typename": "User", "id": node_id("U", m.id), "databaseId": m.id, "login": m.login, "name": m.name,
            "email": m.email or "", "url": f"{self.urls.html}/{m.login}", "resourcePath": f"/{m.login}",
            "avatarUrl": f"{self.urls.html}/avatars/{m.login}", "createdAt": EPOCH, "updatedAt": EPOCH,
            "company": None, "location": None, "bio": None, "isSiteAdmin": False,
            "isViewer": m.login.lower() == (self.viewer_login or "").lower(),
        })

    def org(self, org: Org) -> dict[str, Any]:
        return self._cached(("org", org.login), lambda: self._build_org(org))

    def _build_org(self, org: Org) -> dict[str, Any]:
        members = list(org.members.values())
        viewer = org.members.get((self.viewer_login or "").lower())

        def teams(**a: Any) -> dict[str, Any]:
            items = list(org.teams.values())
            if a.get("rootTeamsOnly"):
                items = [t for t in items if not t.parent]
            if a.get("query"):
                q = a["query"].lower()
                items = [t for t in items if q in t.slug.lower() or q in t.name.lower()]
            if a.get("userLogins"):
                wanted = {x.lower() for x in a["userLogins"]}
                items = [t for t in items if wanted & {x.lower() for x in t.members}]
            items = _order(items, a.get("orderBy"), {"NAME": lambda t: t.name.lower()})
            return connection(items, a, lambda t: self.team(org, t))

        def repositories(**a: Any) -> dict[str, Any]:
            items = list(org.repos.values())
            if a.get("isFork") is not None:
                items = [r for r in items if r.fork == a["isFork"]]
            if a.get("isArchived") is not None:
                items = [r for r in items if r.archived == a["isArchived"]]
            if a.get("privacy"):
                items = [r for r in items if r.visibility == a["privacy"].lower()]
            if a.get("visibility"):
                items = [r for r in items if r.visibility == a["visibility"].lower()]
            items = _order(items, a.get("orderBy"), {
                "NAME": lambda r: r.name.lower(), "CREATED_AT": lambda r: (r.created_at, r.index),
                "UPDATED_AT": lambda r: (r.updated_at, r.index), "PUSHED_AT": lambda r: (r.pushed_at or "", r.index),
                "STARGAZERS": lambda r: r.index,
            })
            return connection(items, a, lambda r: self.repo(org, r),
                              totalDiskUsage=sum(sum(r.languages.values()) // 1024 for r in items))

        def team(slug: str, **_: Any) -> dict[str, Any] | None:
            t = org.teams.get(slug.lower())
            return self.team(org, t) if t else None

        def repository(name: str, **_: Any) -> dict[str, Any] | None:
            r = org.repos.get(name.lower())
            return self.repo(org, r) if r else None

        return {
            "__typename": "Organization", "id": node_id("O", org.id), "databaseId": org.id, "login": org.login,
            "name": org.name, "description": org.description, "email": org.email,
            "url": f"{self.urls.html}/{org.login}", "resourcePath": f"/{org.login}",
            "avatarUrl": f"{self.urls.html}/avatars/{org.login}", "createdAt": org.created_at,
            "updatedAt": org.created_at, "isVerified": False,
            "membersWithRole": lambda **a: connection(members, a, self.user,
                                                      lambda m: {"role": m.role.upper(), "hasTwoFactorEnabled": None}),
            "teams": teams, "team": team, "repositories": repositories, "repository": repository,
            "viewerIsAMember": viewer is not None, "viewerCanAdminister": viewer is not None and viewer.role == "admin",
        }

    def team(self, org: Org, t: Team) -> dict[str, Any]:
        return self._cached(("team", org.login, t.slug), lambda: self._build_team(org, t))

    def _build_team(self, org: Org, t: Team) -> dict[str, Any]:
        parent = org.teams.get(t.parent.lower()) if t.parent else None

        def members(**a: Any) -> dict[str, Any]:
            membership = a.get("membership") or "ALL"
            logins: list[str] = list(t.members) if membership in ("ALL", "IMMEDIATE") else []
            if membership in ("ALL", "CHILD_TEAM"):  # GitHub's default includes child teams' members
                for child in org.team_descendants(t.slug):
                    logins.extend(x for x in child.members if x.lower() not in {y.lower() for y in logins})
            people = [m for m in (self.store.user(x) for x in logins) if m]
            role = lambda m: "MAINTAINER" if m.login.lower() in t.maintainers else "MEMBER"  # noqa: E731
            if a.get("role"):
                people = [m for m in people if role(m) == a["role"]]
            if a.get("query"):
                q = a["query"].lower()
                people = [m for m in people if q in m.login.lower() or q in (m.name or "").lower()]
            people = _order(people, a.get("orderBy"), {"LOGIN": lambda m: m.login.lower(),
                                                       "CREATED_AT": lambda m: m.login.lower()})
            return connection(people, a, self.user, lambda m: {"role": role(m)})

        def repositories(**a: Any) -> dict[str, Any]:
            items = [(org.repos[n.lower()], perm) for n, perm in t.repos.items() if n.lower() in org.repos]
            if a.get("query"):
                items = [(r, p) for r, p in items if a["query"].lower() in r.name.lower()]
            items = _order(items, a.get("orderBy"), {
                "NAME": lambda rp: rp[0].name.lower(), "PERMISSION": lambda rp: list(PERMISSION_ENUM).index(rp[1])
                if rp[1] in PERMISSION_ENUM else 0, "CREATED_AT": lambda rp: rp[0].created_at,
                "UPDATED_AT": lambda rp: rp[0].updated_at, "PUSHED_AT": lambda rp: rp[0].pushed_at or "",
                "STARGAZERS": lambda rp: rp[0].index})
            return connection(items, a, lambda rp: self.repo(org, rp[0]),
                              lambda rp: {"permission": PERMISSION_ENUM.get(rp[1], "READ")})

        def child_teams(**a: Any) -> dict[str, Any]:
            immediate = a.get("immediateOnly", True) is not False
            items = org.team_children(t.slug) if immediate else org.team_descendants(t.slug)
            items = _order(items, a.get("orderBy"), {"NAME": lambda x: x.name.lower()})
            return connection(items, a, lambda x: self.team(org, x))

        def ancestors(**a: Any) -> dict[str, Any]:
            chain, cur = [], parent
            while cur and cur not in chain:
                chain.append(cur)
                cur = org.teams.get(cur.parent.lower()) if cur.parent else None
            return connection(chain, a, lambda x: self.team(org, x))

        return {
            "__typename": "Team", "id": node_id("T", t.id), "databaseId": t.id, "slug": t.slug, "name": t.name,
            "description": t.description, "combinedSlug": f"{org.login}/{t.slug}", "privacy": "VISIBLE",
            "url": f"{self.urls.html}/orgs/{org.login}/teams/{t.slug}",
            "resourcePath": f"/orgs/{org.login}/teams/{t.slug}", "createdAt": EPOCH, "updatedAt": EPOCH,
            "organization": lambda **_: self.org(org),
            "parentTeam": lambda **_: self.team(org, parent) if parent else None,
            "members": members, "repositories": repositories, "childTeams": child_teams, "ancestors": ancestors,
        }

    def repo(self, org: Org, r: Repo) -> dict[str, Any]:
        return self._cached(("repo", r.full_name, id(r)), lambda: self._build_repo(org, r))

    def _build_repo(self, org: Org, r: Repo) -> dict[str, Any]:
        url = f"{self.urls.html}/{r.full_name}"
        languages = list(r.languages.items())

        def language(name: str) -> dict[str, Any]:
            return {"__typename": "Language", "id": node_id("L", stable_id("language", name)), "name": name, "color": None}

        def langs(**a: Any) -> dict[str, Any]:
            items = _order(languages, a.get("orderBy"), {"SIZE": lambda kv: kv[1]})
            return connection(items, a, lambda kv: language(kv[0]), lambda kv: {"size": kv[1]},
                              totalSize=sum(r.languages.values()))

        def topic(name: str) -> dict[str, Any]:
            return {"__typename": "RepositoryTopic", "id": node_id("RT", stable_id("repository-topic", f"{r.full_name}/{name}")),
                    "url": f"{self.urls.html}/topics/{name}", "resourcePath": f"/topics/{name}",
                    "topic": {"__typename": "Topic", "id": node_id("TO", stable_id("topic", name)), "name": name}}

        def ref(qualifiedName: str, **_: Any) -> dict[str, Any] | None:
            branch = qualifiedName.removeprefix("refs/heads/")
            if branch == r.default_branch:
                return self.ref(org, r) if not r.is_empty else None
            view = at_ref(r, branch) if branch in r.branches else None  # pushed through the control API
            return self.ref(org, view, home=r) if view else None

        def refs(**a: Any) -> dict[str, Any]:
            items = [r] if a.get("refPrefix") == "refs/heads/" and not r.is_empty else []
            if items:
                items = sorted(items + [at_ref(r, name) for name in r.branches], key=lambda v: v.default_branch)
            return connection(items, a, lambda v: self.ref(org, v, home=r))

        return {
            "__typename": "Repository", "id": node_id("R", r.id), "databaseId": r.id, "name": r.name,
            "nameWithOwner": r.full_name, "owner": lambda **_: self.org(org), "description": r.description,
            "url": url, "resourcePath": f"/{r.full_name}", "homepageUrl": None,
            "sshUrl": f"git@{self.urls.html.split('://', 1)[-1]}:{r.full_name}.git",
            "isArchived": r.archived, "isFork": r.fork, "isPrivate": r.private, "visibility": r.visibility.upper(),
            "isEmpty": r.is_empty, "isTemplate": False, "isDisabled": False, "isMirror": False, "isLocked": False,
            "isInOrganization": True, "archivedAt": r.updated_at if r.archived else None, "createdAt": r.created_at,
            "updatedAt": r.updated_at, "pushedAt": r.pushed_at, "diskUsage": sum(r.languages.values()) // 1024,
            "primaryLanguage": language(r.language) if r.language else None, "languages": langs,
            "repositoryTopics": lambda **a: connection(list(r.topics), a, topic),
            "defaultBranchRef": lambda **_: None if r.is_empty else self.ref(org, r),
            "ref": ref, "refs": refs, "object": lambda **a: self.object(org, r, a.get("expression"), a.get("oid")),
        }

    def ref(self, org: Org, r: Repo, home: Repo | None = None) -> dict[str, Any]:
        """A branch: ``r`` is the repository as of that branch (``changes.at_ref``), ``home`` the repository
        itself when that is another branch."""
        home = home or r
        on_default = r.default_branch == home.default_branch
        ref_id = r.id if on_default else stable_id("ref", f"{r.full_name}/{r.default_branch}")
        return {
            "__typename": "Ref", "id": node_id("REF", ref_id), "name": r.default_branch, "prefix": "refs/heads/",
            "repository": lambda **_: self.repo(org, home),
            "target": lambda **_: self.commit(org, r, 0) if r.commits else None,
        }

    def _rev_ok(self, r: Repo, rev: str) -> bool:
        if rev in ("", "HEAD", r.default_branch, f"refs/heads/{r.default_branch}"):
            return True
        # only the head commit's tree is known, so only it resolves
        return bool(r.commits) and len(rev) >= 7 and r.commits[0].oid.startswith(rev)

    def object(self, org: Org, r: Repo, expression: str | None, oid: str | None) -> dict[str, Any] | None:
        if oid:
            index = next((i for i, c in enumerate(r.commits) if c.oid == oid), None)
            return self.commit(org, r, index) if index is not None else None
        if expression is None:
            return None
        rev, sep, path = expression.partition(":")
        if r.is_empty or not self._rev_ok(r, rev):
            return None
        if not sep:
            return self.commit(org, r, 0) if r.commits else None
        entry = r.entry(path)
        if entry is None:
            return None
        return self.tree(org, r, entry) if entry.is_dir else self.blob(org, r, entry)

    def commit(self, org: Org, r: Repo, index: int) -> dict[str, Any]:
        return self._cached(("commit", r.full_name, id(r), index), lambda: self._build_commit(org, r, index))

    def _git_actor(self, c: Commit) -> dict[str, Any]:
        member = self.store.user(c.author) if c.author else None
        return {"name": c.name, "email": c.email, "date": c.date, "user": self.user(member) if member else None,
                "avatarUrl": f"{self.urls.html}/avatars/{c.author or 'ghost'}"}

    def _build_commit(self, org: Org, r: Repo, index: int) -> dict[str, Any]:
        c = r.commits[index]
        headline, _, body = c.message.partition("\n")
        url = f"{self.urls.html}/{r.full_name}/commit/{c.oid}"

        def history(**a: Any) -> dict[str, Any]:
            items = list(range(index, len(r.commits)))
            if a.get("since"):
                since = iso(a["since"]) or ""
                items = [i for i in items if r.commits[i].date >= since]
            if a.get("until"):
                until = iso(a["until"]) or ""
                items = [i for i in items if r.commits[i].date <= until]
            if a.get("path") and r.entry(a["path"]) is None:
                items = []  # which commits touched a path is unknown; a path that does not exist has none
            author = a.get("author") or {}
            if author.get("emails"):
                emails = {e.lower() for e in author["emails"]}
                items = [i for i in items if r.commits[i].email.lower() in emails]
            return connection(items, a, lambda i: self.commit(org, r, i))

        return {
            "__typename": "Commit", "id": node_id("C", int(c.oid[:8], 16)), "oid": c.oid,
            "abbreviatedOid": c.oid[:7], "message": c.message, "messageHeadline": headline,
            "messageBody": body.lstrip("\n"), "committedDate": c.date, "authoredDate": c.date,
            "author": self._git_actor(c), "committer": self._git_actor(c), "url": url, "commitUrl": url,
            "resourcePath": f"/{r.full_name}/commit/{c.oid}", "history": history,
            "tree": lambda **_: self.tree(org, r, r.entry("")),
            "parents": lambda **a: connection(list(range(index + 1, min(index + 2, len(r.commits)))), a,
                                              lambda i: self.commit(org, r, i)),
            "authors": lambda **a: connection([c], a, self._git_actor),
            "repository": lambda **_: self.repo(org, r),
        }

    def _object_common(self, org: Org, r: Repo, entry: TreeEntry) -> dict[str, Any]:
        head = r.commits[0].oid if r.commits else ""
        return {
            "id": node_id("B" if not entry.is_dir else "TR", int(entry.sha[:8], 16)), "oid": entry.sha,
            "abbreviatedOid": entry.sha[:7], "commitUrl": f"{self.urls.html}/{r.full_name}/commit/{head}",
            "commitResourcePath": f"/{r.full_name}/commit/{head}", "repository": lambda **_: self.repo(org, r),
        }

    def blob(self, org: Org, r: Repo, entry: TreeEntry) -> dict[str, Any]:
        data = r.files[entry.path]
        binary = is_binary(data)
        return {
            "__typename": "Blob", **self._object_common(org, r, entry), "byteSize": len(data), "isBinary": binary,
            "isTruncated": len(data) > BLOB_TEXT_LIMIT,
            "text": None if binary else data[:BLOB_TEXT_LIMIT].decode("utf-8", errors="ignore"),
        }

    def tree(self, org: Org, r: Repo, entry: TreeEntry) -> dict[str, Any]:
        def tree_entry(e: TreeEntry) -> dict[str, Any]:
            data = None if e.is_dir else r.files[e.path]
            text_lines = None if data is None or is_binary(data) else data.count(b"\n") + (
                0 if not data or data.endswith(b"\n") else 1)
            return {
                "name": e.name, "path": e.path, "type": "tree" if e.is_dir else "blob",
                "mode": 0o40000 if e.is_dir else 0o100644, "oid": e.sha, "size": e.size,
                "extension": ("." + e.name.rsplit(".", 1)[1]) if not e.is_dir and "." in e.name.lstrip(".") else None,
                "isGenerated": False, "lineCount": text_lines, "submodule": None, "language": None,
                "nameRaw": base64.b64encode(e.name.encode()).decode(),
                "pathRaw": base64.b64encode(e.path.encode()).decode(),
                "object": lambda **_: self.tree(org, r, e) if e.is_dir else self.blob(org, r, e),
                "repository": lambda **_: self.repo(org, r),
            }

        return {"__typename": "Tree", **self._object_common(org, r, entry),
                "entries": lambda **_: [tree_entry(e) for e in r.dirs.get(entry.path, ())]}


def execute(plan: Plan, store: Store, urls: Urls, rate: dict[str, Any], viewer: str | None = None) -> dict[str, Any]:
    """Run a prepared query; returns GitHub's response body ({"data": ..., "errors": [...]})."""
    graph = Graph(store, urls, rate, viewer)
    result = execute_sync(get_schema(), plan.document, root_value=graph.root(), variable_values=plan.variables,
                          operation_name=plan.operation.name.value if plan.operation.name else None,
                          field_resolver=_resolve)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [_format_error(e) for e in result.errors]
    return body
