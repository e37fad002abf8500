"""The fact contract: what every connector emits and what reconcile reads.

Connectors are plain Python and know nothing of Django: they yield batches of
``FactRecord`` and ``LinkRecord``; the job runner (``discovery.store``) persists
them with provenance. Reconcile reads the stored facts back as the same shapes.

External ids: the ARN for AWS resources; ``github:<type>/<org>/...`` for GitHub.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- AWS kinds -------------------------------------------------------------
CFN_STACK = "cloudformation_stack"
ECS_CLUSTER = "ecs_cluster"
ECS_SERVICE = "ecs_service"
LAMBDA_FUNCTION = "lambda_function"
APIGW_REST_API = "apigateway_rest_api"
APIGW_HTTP_API = "apigateway_http_api"
RDS_INSTANCE = "rds_instance"
RDS_CLUSTER = "rds_cluster"
SQS_QUEUE = "sqs_queue"
ECR_REPOSITORY = "ecr_repository"
CLOUDWATCH_ALARM = "cloudwatch_alarm"

# --- GitHub kinds ----------------------------------------------------------
GH_ORG = "github_org"
GH_MEMBER = "github_member"
GH_TEAM = "github_team"
GH_REPO = "github_repository"
GH_CODEOWNER_RULE = "github_codeowner_rule"
GH_CATALOG_ENTITY = "catalog_entity"
GH_DEPLOY_TARGET = "deploy_target"
GH_DEPLOYMENT = "github_deployment"      # the latest successful deployment of a repository to one environment
GH_WORKFLOW_RUN = "github_workflow_run"  # the latest successful run of a deploy workflow on the default branch
GH_IAC_RESOURCE = "iac_resource"         # an AWS resource a repository's Terraform declares (kind, name, folder)

# Facts that belong to one repository (their ids start github:<prefix>/<org>/<repo>): read, kept or forgotten
# with it.
REPO_KINDS = (GH_REPO, GH_CODEOWNER_RULE, GH_CATALOG_ENTITY, GH_DEPLOY_TARGET, GH_DEPLOYMENT, GH_WORKFLOW_RUN,
              GH_IAC_RESOURCE)

AWS_KINDS = (
    CFN_STACK, ECS_CLUSTER, ECS_SERVICE, LAMBDA_FUNCTION, APIGW_REST_API, APIGW_HTTP_API,
    RDS_INSTANCE, RDS_CLUSTER, SQS_QUEUE, ECR_REPOSITORY, CLOUDWATCH_ALARM,
)
GITHUB_KINDS = (GH_ORG, GH_MEMBER, GH_TEAM, GH_REPO, GH_CODEOWNER_RULE, GH_CATALOG_ENTITY, GH_DEPLOY_TARGET,
                GH_DEPLOYMENT, GH_WORKFLOW_RUN, GH_IAC_RESOURCE)

# --- link relations (source -> target) --------------------------------------
CONTAINS = "contains"            # stack -> any resource in it
INTEGRATES = "integrates"        # api -> lambda
TRIGGERS = "triggers"            # sqs queue -> lambda (event source mapping)
USES_IMAGE = "uses_image"        # ecs service -> ecr repository
RUNS_IN = "runs_in"              # ecs service -> ecs cluster
WATCHES = "watches"              # alarm -> resource
MEMBER_OF = "member_of"          # github member -> team
HAS_PERMISSION = "has_permission"  # team -> repository, attributes {"permission": "push"}
CHILD_OF = "child_of"            # team -> parent team
DECLARES = "declares"            # repository -> codeowner rule | catalog entity | deploy target | iac resource

# Attributes each kind may keep. Anything else a connector sends is dropped (never an error),
# so a surprise field in an upstream response can't bloat or poison the store.
ATTRIBUTE_WHITELIST: dict[str, frozenset[str]] = {
    CFN_STACK: frozenset({"status", "created_at", "updated_at", "description", "resources"}),
    ECS_CLUSTER: frozenset({"status"}),
    ECS_SERVICE: frozenset({"cluster", "cluster_arn", "task_definition", "images", "desired_count",
                            "launch_type", "status", "deployed_at"}),
    LAMBDA_FUNCTION: frozenset({"runtime", "handler", "description", "last_modified", "memory_size",
                                "package_type", "event_sources"}),
    APIGW_REST_API: frozenset({"api_id", "description", "created_at", "endpoint_types"}),
    APIGW_HTTP_API: frozenset({"api_id", "description", "created_at", "protocol_type", "endpoint"}),
    RDS_INSTANCE: frozenset({"engine", "engine_version", "status", "instance_class", "cluster_identifier"}),
    RDS_CLUSTER: frozenset({"engine", "engine_version", "status", "members"}),
    SQS_QUEUE: frozenset({"url", "fifo"}),
    ECR_REPOSITORY: frozenset({"uri", "created_at"}),
    CLOUDWATCH_ALARM: frozenset({"state", "metric_name", "namespace", "dimensions", "state_updated_at"}),
    GH_ORG: frozenset({"name", "description"}),
    GH_MEMBER: frozenset({"name", "email"}),
    GH_TEAM: frozenset({"name", "description", "parent", "members", "org"}),
    GH_REPO: frozenset({"full_name", "description", "readme_description", "primary_language", "languages",
                        "topics", "archived", "fork", "default_branch", "pushed_at", "url",
                        "commit_authors", "last_commit_at", "codeowners_path", "workflow_files",
                        "has_catalog_info", "files_truncated"}),
    GH_CODEOWNER_RULE: frozenset({"repo", "path", "line", "pattern", "owners", "order"}),
    GH_CATALOG_ENTITY: frozenset({"repo", "entity_kind", "name", "owner", "owner_kind", "system", "type",
                                  "lifecycle", "description", "tags", "path", "owner_ref", "project_slug"}),
    GH_DEPLOY_TARGET: frozenset({"repo", "target_kind", "name", "cluster", "stage", "account", "region",
                                 "path", "line", "source", "job", "folder"}),
    GH_IAC_RESOURCE: frozenset({"repo", "tool", "resource_kind", "resource_type", "name", "address", "path",
                                "folder", "module", "cluster"}),
    GH_DEPLOYMENT: frozenset({"repo", "environment", "deployment_id", "sha", "ref", "task", "actor", "created_at",
                              "state", "deployed_at", "url"}),
    GH_WORKFLOW_RUN: frozenset({"repo", "workflow", "workflow_name", "run_id", "run_number", "head_sha",
                                "head_branch", "event", "status", "conclusion", "actor", "created_at", "url"}),
}


@dataclass
class FactRecord:
    kind: str
    external_id: str
    name: str
    account: str = ""      # AWS account id, or the GitHub org login
    region: str = ""       # AWS region; empty for GitHub
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    operation: str = ""    # upstream API operation that observed it, for provenance


@dataclass
class LinkRecord:
    source_kind: str
    source_id: str         # external id
    relation: str
    target_kind: str
    target_id: str         # external id
    attributes: dict[str, Any] = field(default_factory=dict)
    operation: str = ""


@dataclass
class Batch:
    facts: list[FactRecord] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # {"reason_code","message","item"}
    api_calls: int = 0
    # External ids still present but not re-read (incremental scans): the store marks them, and every
    # fact whose external id starts with "<id>/", as seen by this run without rewriting them.
    touched: list[str] = field(default_factory=list)


def clean_attributes(kind: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """Keep only whitelisted attribute keys for ``kind``."""
    allowed = ATTRIBUTE_WHITELIST.get(kind, frozenset())
    return {k: v for k, v in attributes.items() if k in allowed}


# --- external id helpers ---------------------------------------------------
def github_id(kind: str, *parts: str) -> str:
    prefix = {
        GH_ORG: "org", GH_MEMBER: "user", GH_TEAM: "team", GH_REPO: "repo",
        GH_CODEOWNER_RULE: "codeowners", GH_CATALOG_ENTITY: "catalog", GH_DEPLOY_TARGET: "deploy",
        GH_DEPLOYMENT: "deployment", GH_WORKFLOW_RUN: "workflow_run", GH_IAC_RESOURCE: "iac",
    }[kind]
    return "github:" + prefix + "/" + "/".join(parts)
