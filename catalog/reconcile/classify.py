"""Classifying facts and entries: environment, health, runtime, lifecycle, service and component type, shared IaC."""
from __future__ import annotations

from catalog import naming
from catalog.reconcile.rules import API_KINDS
from catalog.reconcile.tags import ENV_TAG_KEYS, tag_value
from catalog.reconcile.types import FactView
from discovery.facts import ECS_SERVICE, SQS_QUEUE

# A component's type, by the marker words its repository's name and topics share most (earlier on a tie).
COMPONENT_WORDS = (
    ("library", ("lib", "library", "sdk", "client", "common", "shared", "utils", "util", "kit", "proto",
                 "protos", "schema", "schemas", "toolkit")),
    ("website", ("web", "website", "frontend", "ui", "site", "webapp", "portal", "dashboard", "spa", "console")),
    ("docs", ("docs", "doc", "documentation", "handbook", "wiki", "guide", "guides", "runbooks", "adr")),
    ("tool", ("cli", "tool", "tools", "script", "scripts", "bot", "action", "actions", "generator", "template")),
    ("infrastructure", ("terraform", "infra", "infrastructure", "helm", "charts", "k8s", "kubernetes", "ansible",
                        "cdk", "iac", "modules", "pulumi", "playbooks")),
)


def env_of_fact(fact: FactView) -> str | None:
    """The stage a resource runs in: from its name, its ECS cluster's name, or an environment tag."""
    env = naming.env_of(fact.name)
    if env:
        return env
    if fact.kind == ECS_SERVICE:
        env = naming.env_of(str((fact.attributes or {}).get("cluster") or ""))
        if env:
            return env
    value = tag_value(fact.tags, ENV_TAG_KEYS)
    return naming.ENV_ALIASES.get(value.lower()) if value else None


def health(alarms: list[FactView]) -> str:
    """unknown, healthy, degraded or down, from the states of a service's alarms."""
    states = [str((a.attributes or {}).get("state") or "").upper() for a in alarms]
    known = [s for s in states if s in ("OK", "ALARM")]
    if not known:
        return "unknown"
    firing = [a for a, s in zip(alarms, states) if s == "ALARM"]
    if not firing:
        return "healthy"
    critical = any(w in naming.words(a.name) for a in firing for w in ("critical", "down", "p1", "sev1", "outage"))
    if critical or len(firing) * 2 > len(known) and len(known) > 1:
        return "down"
    return "degraded"


def runtime_family(runtime: str) -> str:
    """A Lambda runtime's language ("python3.12" -> Python)."""
    r = runtime.lower()
    for prefix, name in (("python", "Python"), ("nodejs", "Node.js"), ("java", "Java"), ("go", "Go"),
                         ("dotnet", ".NET"), ("ruby", "Ruby"), ("provided", "Custom runtime")):
        if r.startswith(prefix):
            return name
    return runtime


def component_type(repo: FactView, entities: list[FactView]) -> str:
    """What a repository with no infrastructure is: its catalog-info type, else by words, else by language."""
    for entity in entities:
        ctype = str((entity.attributes or {}).get("type") or "").lower()
        if ctype:
            return {"documentation": "docs", "web": "website", "frontend": "website"}.get(ctype, ctype)
    attrs = repo.attributes or {}
    words = set(naming.words(repo.name)) | {str(t).lower() for t in attrs.get("topics") or []}
    hits = [(len(words & set(markers)), -i, ctype) for i, (ctype, markers) in enumerate(COMPONENT_WORDS)]
    best = max(hits)
    if best[0]:
        return best[2]
    lang = attrs.get("primary_language")
    if lang in ("HCL", "Smarty", "Jsonnet"):
        return "infrastructure"
    if lang in ("Markdown", "MDX", "TeX"):
        return "docs"
    return "service"


IAC_MARKERS = frozenset({"terraform", "ansible", "helm", "charts", "playbooks", "playbook", "modules", "puppet", "chef",
                         "pulumi", "kustomize", "cloudformation", "terragrunt", "salt"})


def infrastructure_module(repo: FactView) -> bool:
    """Shared IaC (Terraform modules, Ansible playbooks, Helm charts) that deploys nothing of its
    own: not a catalog entry. Only called for repositories no infrastructure was linked to."""
    attrs = repo.attributes or {}
    words = set(naming.words(repo.name)) | {str(t).lower() for t in attrs.get("topics") or []}
    return bool(words & IAC_MARKERS) or attrs.get("primary_language") == "HCL"


def service_type(members: list[FactView], name: str) -> str:
    """api, cron, worker, web or service, from its resources and the words of its name."""
    kinds = {m.kind for m in members}
    words = set(naming.words(name))
    if kinds & set(API_KINDS) or words & {"api", "gateway", "gw", "graphql", "rest"}:
        return "api"
    if words & {"scheduler", "cron", "batch", "job", "jobs", "nightly", "reporter", "rotator"}:
        return "cron"
    if words & {"worker", "consumer", "processor", "indexer", "sync", "shipper", "handler", "listener", "pipeline"} \
            or any(m.kind == SQS_QUEUE for m in members):
        return "worker"
    if words & {"web", "frontend", "ui", "site", "portal"}:
        return "web"
    return "service"


def lifecycle(value: str) -> str:
    """A catalog-info lifecycle in the catalog's terms (anything unknown is production)."""
    v = value.lower()
    return {"production": "production", "prod": "production", "staging": "staging", "experimental": "experimental",
            "deprecated": "deprecated", "eol": "eol", "development": "experimental", "beta": "experimental"}.get(v, "production")
