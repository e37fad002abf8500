"""Infrastructure as code: resources a repository's Terraform declares together belong to one service.

Without CloudFormation nothing in AWS says that ``claims-intake-api``, ``claims-intake-worker`` and the
``clmintake-pg`` database are one service; the infrastructure repository does: they sit in one folder
(``services/claims-intake/``) or come from one module call (``module "claims_intake"`` in
``environments/prod.tf``). So (``merge_declared``) the service groups of a declaration set are merged,
the set's databases, queues and image repositories join that service before name rules guess, and a
folder under ``services/`` (or the like) names the service. Environment, layout and resource-type folders
(``environments/``, ``rds/``) hold many services and form no set; nor does a set whose resources two
repositories deploy (two services, however the infrastructure is laid out). The folder's owner in that repository's CODEOWNERS is
owner evidence for the service, weighed like a path rule (``owner_rules``); the repository's catch-all
rule is not (it names whoever runs the infrastructure repository, not the service's team).

Declarations never link a repository to a service: an infrastructure repository declares other
repositories' services, so it stays a (excluded) infrastructure module unless something else links it.
"""
from __future__ import annotations

import posixpath
from collections import defaultdict
from typing import Any

from catalog import naming
from catalog.reconcile.grouping import Group, UnionFind
from catalog.reconcile.repositories import Repositories
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.rules import COMPUTE_KINDS, DATA_KINDS
from catalog.reconcile.types import FactView
# the connector's CODEOWNERS matcher (pure, linear): GitHub's pattern semantics live in one place
from discovery.connectors.github.codeowners import Glob
from discovery.facts import (
    CLOUDWATCH_ALARM, ECS_SERVICE, GH_CODEOWNER_RULE, GH_DEPLOY_TARGET, GH_IAC_RESOURCE, LAMBDA_FUNCTION,
)

IAC_DECLARATION = 0.85
# Folders that hold many services' declarations (a layout, an environment), never one service's
LAYOUT_FOLDERS = frozenset({"", ".", "environments", "environment", "envs", "env", "live", "terraform", "tf",
                            "infra", "infrastructure", "modules", "stacks", "deploy", "deployments", "global",
                            "regions", "accounts", "workspaces"})
# Folders named for a kind of resource (a repository laid out by resource type: rds/ holds every database)
RESOURCE_FOLDERS = frozenset({"ecs", "lambda", "lambdas", "functions", "rds", "db", "dbs", "database", "databases",
                              "sqs", "queue", "queues", "sns", "apigateway", "api-gateway", "apis", "ecr", "iam",
                              "network", "networking", "vpc", "dns", "monitoring", "alarms", "s3", "storage",
                              "shared", "common", "core", "data", "main"})
# Parents whose sub-folders are one service each (services/claims-intake/)
COLLECTION_FOLDERS = frozenset({"services", "service", "apps", "applications", "components", "workloads",
                                "projects", "stacks", "microservices"})
_ROOT_PATTERNS = frozenset({"*", "/*", "**", "/**", "/", "**/*", "/**/*"})
_ANY_KIND = COMPUTE_KINDS + tuple(k for k in DATA_KINDS if k != CLOUDWATCH_ALARM)


def set_of(decl: FactView, repo_id: str) -> tuple[tuple[str, str, str], str | None] | None:
    """The declaration set a declaration belongs to, and the service name the set gives (or None):
    its folder when that folder is one service's, else its module call; a resource declared loose in
    an environment, layout or resource-type folder (``rds/`` of a repository laid out by type) belongs
    to no set."""
    attrs = decl.attributes or {}
    folder = str(attrs.get("folder") or "")
    base = posixpath.basename(folder).lower()
    if base not in LAYOUT_FOLDERS | RESOURCE_FOLDERS and not naming.env_word(base) and not base.isdigit():
        # the folder names the service only where folders are services (under services/ or the like)
        parent = posixpath.basename(posixpath.dirname(folder)).lower()
        return (repo_id, folder, ""), base if parent in COLLECTION_FOLDERS else None
    if attrs.get("module"):
        return (repo_id, str(attrs.get("path") or ""), str(attrs["module"])), None
    return None


class Declarations:
    """The declaration sets of every live repository, and the AWS facts each set's names match."""

    def __init__(self, ix: ResourceIndex, repos: Repositories):
        self.ix = ix
        self.repos = repos
        self.sets: dict[tuple[str, str, str], list[FactView]] = defaultdict(list)
        self.names: dict[tuple[str, str, str], str | None] = {}
        self._rules: dict[str, tuple] = {}
        self._folder_rules: dict[tuple[str, str], dict[str, Any] | None] = {}
        for repo_id, declared in repos.repo_declares.items():
            for decl in declared.get(GH_IAC_RESOURCE, ()):
                found = set_of(decl, repo_id)
                if found:
                    self.sets[found[0]].append(decl)
                    self.names[found[0]] = found[1]

    def facts_of(self, decl: FactView) -> list[FactView]:
        kind = str((decl.attributes or {}).get("resource_kind") or "")
        kinds = _ANY_KIND if kind == "module" else (kind,)
        return [f for k in kinds for f in self.ix.by_name.get((k, decl.name.lower()), ())]

    def merge_declared(self, groups: list[Group]) -> list[Group]:
        """Groups whose resources one set declares become one; the set's data resources join it."""
        if not self.sets:
            return groups
        index = {ext: i for i, g in enumerate(groups) for ext in g.members}
        deployers = self._deployers(groups)
        uf = UnionFind(len(groups))
        matched: dict[tuple, list[FactView]] = {}
        for key in sorted(self.sets):
            facts = [f for d in self.sets[key] for f in self.facts_of(d)]
            held = sorted({index[f.external_id] for f in facts if f.external_id in index})
            if len(set().union(*(deployers[i] for i in held))) > 1:
                continue  # two repositories deploy what the set declares: two services, whatever the layout
            matched[key] = facts
            for other in held[1:]:
                uf.union(held[0], other)
        out: list[Group] = []
        head: dict[int, Group] = {}
        for i, g in enumerate(groups):
            root = uf.find(i)
            if root not in head:
                head[root] = g
                out.append(g)
                continue
            head[root].absorb(g)
        owner = {ext: head[uf.find(i)] for ext, i in index.items()}
        for key in sorted(matched):
            holders = list(dict.fromkeys(owner[f.external_id] for f in matched[key] if f.external_id in owner))
            if len(holders) != 1:
                continue  # nothing running matched (or a set the union could not make one): leave it to the rules
            g = holders[0]
            repo = self.repos.repos[key[0]]
            where = key[1] + (f" (module {key[2]})" if key[2] else "")
            for f in matched[key]:
                if f.external_id in owner or f.kind == CLOUDWATCH_ALARM:
                    continue
                g.add(f, "iac_declaration", IAC_DECLARATION)
                owner[f.external_id] = g
            g.evidence.append({"rule": "iac_declaration", "facts": sorted({d.external_id for d in self.sets[key]}),
                               "confidence": IAC_DECLARATION,
                               "detail": f"{repo.name}/{where} declares {', '.join(sorted({d.name for d in self.sets[key]}))}"})
            if not key[2]:
                g.iac_sets.append(key)        # a folder: its CODEOWNERS owner speaks for the service
            name = self.names.get(key)
            if name:
                g.names.append((0, naming.canonical(name, strip_env=False)))
                g.keys |= naming.name_keys(name)
        return out

    def _deployers(self, groups: list[Group]) -> list[set[str]]:
        """The repositories whose deploy targets name each group's ECS services or functions."""
        by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
        for repo_id, declared in self.repos.repo_declares.items():
            for target in declared.get(GH_DEPLOY_TARGET, ()):
                kind = (target.attributes or {}).get("target_kind")
                if kind in (ECS_SERVICE, LAMBDA_FUNCTION):
                    by_name[(kind, target.name.lower())].add(repo_id)
        return [set().union(*(by_name.get((f.kind, f.name.lower()), set()) for f, _, _ in g.members.values()))
                for g in groups]

    def owner_rules(self, g: Group) -> list[dict[str, Any]]:
        """The CODEOWNERS rules that own the folders declaring ``g`` in their repositories (not catch-alls)."""
        out = []
        for repo_id, folder, _ in dict.fromkeys(g.iac_sets):
            found = self._folder_rule(repo_id, folder)
            if found:
                out.append(found)
        return out

    def _folder_rule(self, repo_id: str, folder: str) -> dict[str, Any] | None:
        key = (repo_id, folder)
        if key not in self._folder_rules:
            self._folder_rules[key] = self._find_folder_rule(repo_id, folder)
        return self._folder_rules[key]

    def _find_folder_rule(self, repo_id: str, folder: str) -> dict[str, Any] | None:
        """The last rule matching a file of ``folder``, unless it is the repository's catch-all. Only the
        rules that can match are tried: anchored ones filed under the folder their pattern starts with (a
        thousand-service repository has a thousand folder rules), plus the unanchored few."""
        loose, by_dir = self._rule_index(repo_id)
        probe = f"{folder}/main.tf"
        dirs = [""] + ["/".join(probe.split("/")[:i]) + "/" for i in range(1, probe.count("/") + 1)]
        last = None
        for order, rule, pattern, glob in sorted(loose + [r for d in dirs for r in by_dir.get(d, ())],
                                                 key=lambda r: r[0]):
            if glob.search(probe):
                last = (rule, pattern)
        if not last or last[1] in _ROOT_PATTERNS:
            return None
        repo = self.repos.repos[repo_id]
        a = last[0].attributes or {}
        return {"repo": (repo.attributes or {}).get("full_name") or repo.name, "path": a.get("path"), "folder": folder,
                "pattern": last[1], "owners": list(a.get("owners") or []), "line": a.get("line"),
                "order": a.get("order"), "fact": last[0].external_id}

    def _rule_index(self, repo_id: str):
        """A repository's CODEOWNERS rules compiled once: (unanchored rules, anchored rules by the folder
        their literal prefix names), each as (order, rule fact, pattern, glob)."""
        if repo_id in self._rules:
            return self._rules[repo_id]
        path = (self.repos.repos[repo_id].attributes or {}).get("codeowners_path")
        loose: list[tuple] = []
        by_dir: dict[str, list[tuple]] = defaultdict(list)
        for rule in self.repos.repo_declares.get(repo_id, {}).get(GH_CODEOWNER_RULE, ()):
            a = rule.attributes or {}
            if a.get("path") not in (path, None):
                continue
            pattern = str(a.get("pattern") or "").strip()
            try:
                glob = Glob(pattern)
            except ValueError:
                continue
            entry = ((a.get("order") or 0, a.get("line") or 0), rule, pattern, glob)
            if not glob.anchored:
                loose.append(entry)
                continue
            literal = pattern.lstrip("/")
            cut = min([i for i in (literal.find(ch) for ch in "*?[\\") if i >= 0] or [len(literal)])
            by_dir[literal[:cut][:literal[:cut].rfind("/") + 1]].append(entry)
        self._rules[repo_id] = (loose, by_dir)
        return self._rules[repo_id]
