"""One scanner per kind group: read an AWS account/region and yield ``discovery.facts.Batch``.

Failure rule: a call that decides *which resources exist* (list/describe) failing raises
ScanFailure for the whole kind (the run becomes partial, so nothing gets marked deleted); a call
that only *enriches* resources (tags, images, integrations, stack resources, event sources)
failing becomes a warning on the batch and the scan goes on. A resource that vanished between
the list and the per-item call is skipped silently.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar
from urllib.parse import urlparse

import boto3

from discovery.facts import (
    APIGW_HTTP_API, APIGW_REST_API, CFN_STACK, CLOUDWATCH_ALARM, CONTAINS, ECR_REPOSITORY, ECS_CLUSTER,
    ECS_SERVICE, INTEGRATES, LAMBDA_FUNCTION, RDS_CLUSTER, RDS_INSTANCE, RUNS_IN, SQS_QUEUE, TRIGGERS,
    USES_IMAGE, WATCHES, Batch, FactRecord, LinkRecord,
)

from .errors import ScanFailure, failure_from, is_not_found
from .retry import CallStats, RetryPolicy, call, paginate, paginate_pages
from .session import Clients

T = TypeVar("T")
PARALLEL_CALLS = 8  # per job; a run has one job per kind group, so ~8 x 8 requests in flight per account


@dataclass(frozen=True)
class KindGroup:
    name: str                     # what ``scan`` takes
    fact_kinds: tuple[str, ...]   # discovery.facts kinds it emits
    actions: tuple[str, ...]      # IAM actions it needs


KINDS: dict[str, KindGroup] = {g.name: g for g in (
    KindGroup("cloudformation_stack", (CFN_STACK,),
              ("cloudformation:ListStacks", "cloudformation:DescribeStacks", "cloudformation:ListStackResources")),
    KindGroup("ecs", (ECS_CLUSTER, ECS_SERVICE),
              ("ecs:ListClusters", "ecs:DescribeClusters", "ecs:ListServices", "ecs:DescribeServices",
               "ecs:DescribeTaskDefinition")),
    KindGroup("lambda_function", (LAMBDA_FUNCTION,),
              ("lambda:ListFunctions", "lambda:ListTags", "lambda:ListEventSourceMappings")),
    KindGroup("apigateway_rest_api", (APIGW_REST_API,), ("apigateway:GET",)),
    KindGroup("apigateway_http_api", (APIGW_HTTP_API,), ("apigateway:GET",)),
    KindGroup("rds", (RDS_INSTANCE, RDS_CLUSTER),
              ("rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:ListTagsForResource")),
    KindGroup("sqs_queue", (SQS_QUEUE,), ("sqs:ListQueues", "sqs:GetQueueAttributes", "sqs:ListQueueTags")),
    KindGroup("ecr_repository", (ECR_REPOSITORY,), ("ecr:DescribeRepositories", "ecr:ListTagsForResource")),
    KindGroup("cloudwatch_alarm", (CLOUDWATCH_ALARM,),
              ("cloudwatch:DescribeAlarms", "tag:GetResources", "apigateway:GET")),
)}
# Everything the Roster role's policy must allow (scan_tags needs tag:GetResources).
REQUIRED_ACTIONS: tuple[str, ...] = tuple(sorted({a for g in KINDS.values() for a in g.actions} | {"tag:GetResources"}))


# --- ARNs (formats fixed in docs/HELPERS.md) ---------------------------------------------------
def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def ecs_cluster_arn(region: str, account: str, cluster: str) -> str:
    return f"arn:{partition(region)}:ecs:{region}:{account}:cluster/{cluster}"


def ecs_service_arn(region: str, account: str, cluster: str, service: str) -> str:
    return f"arn:{partition(region)}:ecs:{region}:{account}:service/{cluster}/{service}"


def lambda_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:lambda:{region}:{account}:function:{name}"


def rest_api_arn(region: str, api_id: str) -> str:
    return f"arn:{partition(region)}:apigateway:{region}::/restapis/{api_id}"


def http_api_arn(region: str, api_id: str) -> str:
    return f"arn:{partition(region)}:apigateway:{region}::/apis/{api_id}"


def rds_instance_arn(region: str, account: str, db_id: str) -> str:
    return f"arn:{partition(region)}:rds:{region}:{account}:db:{db_id}"


def rds_cluster_arn(region: str, account: str, cluster_id: str) -> str:
    return f"arn:{partition(region)}:rds:{region}:{account}:cluster:{cluster_id}"


def sqs_arn(region: str, account: str, queue: str) -> str:
    return f"arn:{partition(region)}:sqs:{region}:{account}:{queue}"


def sqs_arn_from_url(url: str, region: str, account: str) -> str:
    """Queue URLs are https://sqs.<region>.amazonaws.com/<account>/<name> (moto: any host)."""
    parts = [p for p in urlparse(url).path.split("/") if p]
    queue_account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else account
    return sqs_arn(region, queue_account, parts[-1] if parts else url)


def ecr_repository_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:ecr:{region}:{account}:repository/{name}"


def alarm_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:cloudwatch:{region}:{account}:alarm:{name}"


_LAMBDA_ARN = re.compile(
    r"arn:(aws[\w-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::[^/:]+)?(?=/|$)")
_ECR_IMAGE = re.compile(
    r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::[^@]*)?(?:@.*)?$")


def lambda_arn_from(text: str | None) -> str | None:
    """The unqualified function ARN in a function ARN or an API Gateway integration URI
    (…/functions/arn:aws:lambda:…:function:NAME[:alias]/invocations); None for stage variables."""
    match = _LAMBDA_ARN.search(text or "")
    if not match:
        return None
    part, region, account, name = match.groups()
    return f"arn:{part}:lambda:{region}:{account}:function:{name}"


def ecr_repository_from_image(image: str) -> str | None:
    match = _ECR_IMAGE.match(image or "")
    if not match:
        return None
    account, region, repo = match.groups()
    return ecr_repository_arn(region, account, repo)


def resource_arn(resource_type: str, physical_id: str | None, region: str, account: str) -> tuple[str, str] | None:
    """(kind, ARN) of a CloudFormation resource of a type we scan, from its physical id."""
    if not physical_id:
        return None
    is_arn = physical_id.startswith("arn:")
    if resource_type == "AWS::ECS::Service" and is_arn:
        return ECS_SERVICE, physical_id
    if resource_type == "AWS::ECS::Cluster":
        return ECS_CLUSTER, physical_id if is_arn else ecs_cluster_arn(region, account, physical_id)
    if resource_type == "AWS::Lambda::Function":
        return LAMBDA_FUNCTION, lambda_arn_from(physical_id) if is_arn else lambda_arn(region, account, physical_id)
    if resource_type == "AWS::RDS::DBInstance":
        return RDS_INSTANCE, rds_instance_arn(region, account, physical_id)
    if resource_type == "AWS::RDS::DBCluster":
        return RDS_CLUSTER, rds_cluster_arn(region, account, physical_id)
    if resource_type == "AWS::SQS::Queue":
        return SQS_QUEUE, physical_id if is_arn else sqs_arn_from_url(physical_id, region, account)
    if resource_type == "AWS::ApiGateway::RestApi":
        return APIGW_REST_API, rest_api_arn(region, physical_id)
    if resource_type == "AWS::ApiGatewayV2::Api":
        return APIGW_HTTP_API, http_api_arn(region, physical_id)
    if resource_type == "AWS::ECR::Repository":
        return ECR_REPOSITORY, physical_id if is_arn else ecr_repository_arn(region, account, physical_id)
    if resource_type == "AWS::CloudWatch::Alarm":
        return CLOUDWATCH_ALARM, physical_id if is_arn else alarm_arn(region, account, physical_id)
    if resource_type == "AWS::CloudFormation::Stack" and is_arn:
        return CFN_STACK, physical_id
    return None


# --- small helpers ----------------------------------------------------------------------------
def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value if value is None else str(value)


def _tags(raw: Any) -> dict[str, str]:
    """Tags as a dict from any AWS shape: {k: v}, [{"Key","Value"}] or [{"key","value"}]."""
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    for tag in raw or []:
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            out[str(key)] = str(tag.get("Value", tag.get("value", "")) or "")
    return out


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


ClientSource = boto3.Session | Clients | Mapping[str, Any] | Callable[[], boto3.Session]


def _client_getter(source: ClientSource, region: str, endpoint_url: str | None) -> Callable[[str], Any]:
    if isinstance(source, Clients):
        return source
    if isinstance(source, boto3.Session):
        return Clients(source, region, endpoint_url)
    if isinstance(source, Mapping):
        return source.__getitem__
    if callable(source):
        return Clients(source(), region, endpoint_url)
    raise TypeError(f"expected a boto3.Session, a session factory, Clients or a mapping, got {type(source)!r}")


class _Run:
    """State of one scan: clients, counters, pending warnings, per-scan caches."""

    def __init__(self, clients: Callable[[str], Any], account: str, region: str, stats: CallStats,
                 policy: RetryPolicy | None):
        self.clients = clients
        self.account = account
        self.region = region
        self.stats = stats
        self.policy = policy
        self.warnings: list[dict[str, Any]] = []
        self._rest_api_ids: dict[str, list[str]] | None = None

    def call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        return call(self.stats, self.clients(service), operation, retry_policy=self.policy, **kwargs)

    def pages(self, service: str, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
        return paginate(self.stats, self.clients(service), operation, result_key, retry_policy=self.policy,
                        **kwargs)

    def page_lists(self, service: str, operation: str, result_key: str, **kwargs: Any) -> Iterator[list]:
        return paginate_pages(self.stats, self.clients(service), operation, result_key, retry_policy=self.policy,
                              **kwargs)

    def optional(self, item: str, fetch: Callable[[], T], default: T | None = None) -> T | None:
        """Run an enrichment call: a failure becomes a warning about ``item`` and ``default`` is used."""
        try:
            return fetch()
        except ScanFailure as failure:
            if not is_not_found(failure):
                failure.item = failure.item or item
                self.warnings.append(failure.as_warning())
            return default

    def fact(self, kind: str, arn: str, name: str, attributes: dict[str, Any], tags: dict[str, str],
             operation: str) -> FactRecord:
        return FactRecord(kind=kind, external_id=arn, name=name, account=self.account, region=self.region,
                          attributes=attributes, tags=tags, operation=operation)

    def parallel(self, items: list[Any], fetch: Callable[[Any], T]) -> list[T]:
        """``[fetch(item) for item in items]`` with up to PARALLEL_CALLS in flight: per-item enrichment
        calls (tags, stack resources, task definitions) dominate a scan's wall time at real latencies."""
        if len(items) < 2 or PARALLEL_CALLS <= 1:
            return [fetch(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(PARALLEL_CALLS, len(items))) as pool:
            return list(pool.map(fetch, items))

    def rest_api_arn_by_name(self, name: str) -> str | None:
        """REST APIs are named, not id'd, in CloudWatch dimensions: one GetRestApis per scan."""
        if self._rest_api_ids is None:
            apis = self.optional("apigateway:GetRestApis",
                                 lambda: list(self.pages("apigateway", "get_rest_apis", "items", page_size=500)), [])
            self._rest_api_ids = {}
            for api in apis or []:
                self._rest_api_ids.setdefault(api.get("name", ""), []).append(api["id"])
        ids = self._rest_api_ids.get(name, [])
        return rest_api_arn(self.region, ids[0]) if len(ids) == 1 else None  # ambiguous names: no link


def _batches(run: _Run, records: Iterable[FactRecord | LinkRecord], batch_size: int) -> Iterator[Batch]:
    """A batch closes as soon as it holds batch_size facts, so it carries exactly the calls made to
    produce them (a closing fact's links then travel in the next batch)."""
    batch, mark, yielded = Batch(), run.stats.api_calls, False

    def close() -> Batch:
        nonlocal batch, mark, yielded
        done, batch, yielded = batch, Batch(), True
        done.warnings, run.warnings = run.warnings, []
        done.api_calls, mark = run.stats.api_calls - mark, run.stats.api_calls
        return done

    for record in records:
        if isinstance(record, FactRecord):
            batch.facts.append(record)
            if len(batch.facts) >= batch_size:
                yield close()
        else:
            batch.links.append(record)
    if batch.facts or batch.links or run.warnings or run.stats.api_calls > mark or not yielded:
        yield close()  # the remainder; for an empty region, the calls that found nothing


# --- scanners ---------------------------------------------------------------------------------
Records = Iterator[FactRecord | LinkRecord]


def _scan_stacks(run: _Run) -> Records:
    cfn = "cloudformation"
    statuses = [s for s in run.clients(cfn).meta.service_model.shape_for("StackStatus").enum
                if s != "DELETE_COMPLETE"]
    summaries = list(run.pages(cfn, "list_stacks", "StackSummaries", StackStatusFilter=statuses))
    # One paginated DescribeStacks returns every live stack with tags: far fewer calls than one per stack.
    described = run.optional("cloudformation:DescribeStacks",
                             lambda: {s["StackId"]: s for s in run.pages(cfn, "describe_stacks", "Stacks")})
    live = [s for s in summaries if s.get("StackStatus") != "DELETE_COMPLETE"]
    resources_by_stack = dict(zip((s["StackId"] for s in live), run.parallel(live, lambda s: run.optional(
        s["StackId"], lambda: list(run.pages(cfn, "list_stack_resources", "StackResourceSummaries",
                                            StackName=s["StackId"]))))))
    for summary in summaries:
        if summary.get("StackStatus") == "DELETE_COMPLETE":
            continue
        stack_id = summary["StackId"]
        detail = (described or {}).get(stack_id)
        if described is not None and detail is None:  # created after the DescribeStacks pages were read
            detail = run.optional(stack_id, lambda: next(iter(
                run.call(cfn, "describe_stacks", StackName=stack_id).get("Stacks", [])), None))
        detail = detail or {}
        attributes: dict[str, Any] = {
            "status": summary.get("StackStatus"),
            "created_at": _iso(summary.get("CreationTime")),
            "updated_at": _iso(summary.get("LastUpdatedTime") or detail.get("LastUpdatedTime")),
            "description": detail.get("Description", summary.get("TemplateDescription")),
        }
        resources = resources_by_stack.get(stack_id)
        links = []
        if resources is not None:
            attributes["resources"] = []
            for res in resources:
                resolved = resource_arn(res.get("ResourceType", ""), res.get("PhysicalResourceId"),
                                        run.region, run.account)
                attributes["resources"].append({
                    "logical_id": res.get("LogicalResourceId"), "type": res.get("ResourceType"),
                    "physical_id": res.get("PhysicalResourceId"), "arn": resolved[1] if resolved else None})
                if resolved and resolved[1]:
                    links.append(LinkRecord(CFN_STACK, stack_id, CONTAINS, resolved[0], resolved[1],
                                            operation="cloudformation:ListStackResources"))
        yield run.fact(CFN_STACK, stack_id, summary["StackName"], attributes, _tags(detail.get("Tags")),
                       "cloudformation:ListStacks")
        yield from links


def _scan_ecs(run: _Run) -> Records:
    cluster_arns = list(run.pages("ecs", "list_clusters", "clusterArns"))
    clusters: list[dict[str, Any]] = []
    for chunk in _chunks(cluster_arns, 100):
        clusters.extend(run.call("ecs", "describe_clusters", clusters=chunk, include=["TAGS"])["clusters"])
    for cluster in clusters:
        yield run.fact(ECS_CLUSTER, cluster["clusterArn"], cluster["clusterName"],
                       {"status": cluster.get("status")}, _tags(cluster.get("tags")), "ecs:DescribeClusters")

    images_by_task_definition: dict[str, list[str] | None] = {}

    def images(task_definition: str) -> list[str] | None:
        if task_definition not in images_by_task_definition:
            images_by_task_definition[task_definition] = run.optional(task_definition, lambda: [
                c["image"] for c in run.call("ecs", "describe_task_definition", taskDefinition=task_definition)
                ["taskDefinition"].get("containerDefinitions", []) if c.get("image")])
        return images_by_task_definition[task_definition]

    def service_arns(cluster: dict[str, Any]) -> list[str]:
        try:
            return list(run.pages("ecs", "list_services", "serviceArns", cluster=cluster["clusterArn"]))
        except ScanFailure as failure:
            if is_not_found(failure):  # cluster deleted since ListClusters
                return []
            raise

    # DescribeServices takes at most 10 services per call.
    chunks = [(cluster, chunk) for cluster, arns in zip(clusters, run.parallel(clusters, service_arns))
              for chunk in _chunks(arns, 10)]
    described = run.parallel(chunks, lambda c: run.call("ecs", "describe_services", cluster=c[0]["clusterArn"],
                                                        services=c[1], include=["TAGS"])["services"])
    task_definitions = list(dict.fromkeys(s["taskDefinition"] for services in described for s in services
                                          if s.get("taskDefinition")))
    run.parallel(task_definitions, images)  # warm the cache concurrently; records below read it
    for (cluster, _), services in zip(chunks, described):
        for service in services:
            yield from _ecs_service_records(run, cluster, service, images)


def _ecs_service_records(run: _Run, cluster: dict[str, Any], service: dict[str, Any],
                         images: Callable[[str], list[str] | None]) -> Records:
    cluster_arn = service.get("clusterArn") or cluster["clusterArn"]
    cluster_name = cluster_arn.rsplit("/", 1)[-1]
    arn = service["serviceArn"]
    if arn.split(":", 5)[-1].count("/") < 2:  # old-style ARN without the cluster: use the documented one
        arn = ecs_service_arn(run.region, run.account, cluster_name, service["serviceName"])
    task_definition = service.get("taskDefinition")
    attributes: dict[str, Any] = {
        "cluster": cluster_name, "cluster_arn": cluster_arn, "task_definition": task_definition,
        "desired_count": service.get("desiredCount"), "launch_type": service.get("launchType"),
        "status": service.get("status"),
    }
    service_images = images(task_definition) if task_definition else []
    if service_images is not None:
        attributes["images"] = service_images
    yield run.fact(ECS_SERVICE, arn, service["serviceName"], attributes, _tags(service.get("tags")),
                   "ecs:DescribeServices")
    yield LinkRecord(ECS_SERVICE, arn, RUNS_IN, ECS_CLUSTER, cluster_arn, operation="ecs:DescribeServices")
    repositories = dict.fromkeys(filter(None, map(ecr_repository_from_image, service_images or [])))
    for repository in repositories:
        yield LinkRecord(ECS_SERVICE, arn, USES_IMAGE, ECR_REPOSITORY, repository,
                         operation="ecs:DescribeTaskDefinition")


def _scan_lambda(run: _Run) -> Records:
    mappings = run.optional("lambda:ListEventSourceMappings",
                            lambda: list(run.pages("lambda", "list_event_source_mappings", "EventSourceMappings")))
    sources: dict[str, list[str]] = {}
    for mapping in mappings or []:
        function = lambda_arn_from(mapping.get("FunctionArn"))
        if function and mapping.get("EventSourceArn"):
            sources.setdefault(function, []).append(mapping["EventSourceArn"])
    for functions in run.page_lists("lambda", "list_functions", "Functions"):
        yield from _lambda_records(run, functions, sources, mappings is not None)


def _lambda_records(run: _Run, functions: list[dict[str, Any]], sources: dict[str, list[str]],
                    have_mappings: bool) -> Records:
    all_tags = run.parallel(functions, lambda f: run.optional(f["FunctionArn"], lambda: _tags(
        run.call("lambda", "list_tags", Resource=f["FunctionArn"]).get("Tags")), {}))
    for function, tags in zip(functions, all_tags):
        arn = function["FunctionArn"]
        attributes: dict[str, Any] = {
            "runtime": function.get("Runtime"), "handler": function.get("Handler"),
            "description": function.get("Description"), "last_modified": _iso(function.get("LastModified")),
            "memory_size": function.get("MemorySize"), "package_type": function.get("PackageType"),
        }
        event_sources = sorted(set(sources.get(arn, [])))
        if have_mappings:
            attributes["event_sources"] = event_sources
        yield run.fact(LAMBDA_FUNCTION, arn, function["FunctionName"], attributes, tags, "lambda:ListFunctions")
        for source in event_sources:
            if source.split(":")[2:3] == ["sqs"]:
                yield LinkRecord(SQS_QUEUE, source, TRIGGERS, LAMBDA_FUNCTION, arn,
                                 operation="lambda:ListEventSourceMappings")


def _rest_api_functions(run: _Run, api_arn: str, api_id: str) -> list[str]:
    functions: dict[str, None] = {}
    for resource in run.pages("apigateway", "get_resources", "items", restApiId=api_id, embed=["methods"],
                              page_size=500):
        for method, detail in (resource.get("resourceMethods") or {}).items():
            if detail and "httpMethod" in detail:  # embed=methods worked: the integration is inline
                uri = (detail.get("methodIntegration") or {}).get("uri")
            else:
                item = f"{api_arn} {method} {resource.get('path', resource['id'])}"
                integration = run.optional(item, lambda: run.call(
                    "apigateway", "get_integration", restApiId=api_id, resourceId=resource["id"], httpMethod=method))
                uri = (integration or {}).get("uri")
            function = lambda_arn_from(uri)
            if function:
                functions[function] = None
    return list(functions)


def _scan_rest_apis(run: _Run) -> Records:
    apis = list(run.pages("apigateway", "get_rest_apis", "items", page_size=500))
    functions_by_api = run.parallel(apis, lambda a: run.optional(
        rest_api_arn(run.region, a["id"]), lambda: _rest_api_functions(run, rest_api_arn(run.region, a["id"]),
                                                                       a["id"]), []))
    for api, api_functions in zip(apis, functions_by_api):
        arn = rest_api_arn(run.region, api["id"])
        attributes = {"api_id": api["id"], "description": api.get("description"),
                      "created_at": _iso(api.get("createdDate")),
                      "endpoint_types": (api.get("endpointConfiguration") or {}).get("types")}
        yield run.fact(APIGW_REST_API, arn, api.get("name", ""), attributes, _tags(api.get("tags")),
                       "apigateway:GetRestApis")
        for function in api_functions or []:
            yield LinkRecord(APIGW_REST_API, arn, INTEGRATES, LAMBDA_FUNCTION, function,
                             operation="apigateway:GetResources")


def _scan_http_apis(run: _Run) -> Records:
    apis = list(run.pages("apigatewayv2", "get_apis", "Items"))
    integrations_by_api = run.parallel(apis, lambda a: run.optional(http_api_arn(run.region, a["ApiId"]), lambda: list(
        run.pages("apigatewayv2", "get_integrations", "Items", ApiId=a["ApiId"])), []))
    for api, integrations in zip(apis, integrations_by_api):
        arn = http_api_arn(run.region, api["ApiId"])
        attributes = {"api_id": api["ApiId"], "description": api.get("Description"),
                      "created_at": _iso(api.get("CreatedDate")), "protocol_type": api.get("ProtocolType"),
                      "endpoint": api.get("ApiEndpoint")}
        yield run.fact(APIGW_HTTP_API, arn, api.get("Name", ""), attributes, _tags(api.get("Tags")),
                       "apigatewayv2:GetApis")
        functions = dict.fromkeys(filter(None, (lambda_arn_from(i.get("IntegrationUri")) for i in integrations or [])))
        for function in functions:
            yield LinkRecord(APIGW_HTTP_API, arn, INTEGRATES, LAMBDA_FUNCTION, function,
                             operation="apigatewayv2:GetIntegrations")


def _rds_tags(run: _Run, resource: dict[str, Any], arn: str) -> dict[str, str]:
    if "TagList" in resource:
        return _tags(resource["TagList"])
    return run.optional(arn, lambda: _tags(
        run.call("rds", "list_tags_for_resource", ResourceName=arn).get("TagList")), {}) or {}


def _scan_rds(run: _Run) -> Records:
    for db in run.pages("rds", "describe_db_instances", "DBInstances"):
        arn = db["DBInstanceArn"]
        attributes = {"engine": db.get("Engine"), "engine_version": db.get("EngineVersion"),
                      "status": db.get("DBInstanceStatus"), "instance_class": db.get("DBInstanceClass"),
                      "cluster_identifier": db.get("DBClusterIdentifier")}
        yield run.fact(RDS_INSTANCE, arn, db["DBInstanceIdentifier"], attributes, _rds_tags(run, db, arn),
                       "rds:DescribeDBInstances")
    for cluster in run.pages("rds", "describe_db_clusters", "DBClusters"):
        arn = cluster["DBClusterArn"]
        attributes = {"engine": cluster.get("Engine"), "engine_version": cluster.get("EngineVersion"),
                      "status": cluster.get("Status"),
                      "members": [m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])]}
        yield run.fact(RDS_CLUSTER, arn, cluster["DBClusterIdentifier"], attributes,
                       _rds_tags(run, cluster, arn), "rds:DescribeDBClusters")


def _scan_sqs(run: _Run) -> Records:
    # ListQueues only returns a NextToken when MaxResults is set, hence the page size.
    def describe(url: str) -> tuple[str, dict[str, str]]:
        queue_attributes = run.optional(url, lambda: run.call(
            "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]).get("Attributes", {}), {})
        arn = (queue_attributes or {}).get("QueueArn") or sqs_arn_from_url(url, run.region, run.account)
        tags = run.optional(arn, lambda: _tags(run.call("sqs", "list_queue_tags", QueueUrl=url).get("Tags")), {})
        return arn, tags

    for urls in run.page_lists("sqs", "list_queues", "QueueUrls", page_size=1000):
        for url, (arn, tags) in zip(urls, run.parallel(urls, describe)):
            name = url.rstrip("/").rsplit("/", 1)[-1]
            yield run.fact(SQS_QUEUE, arn, name, {"url": url, "fifo": name.endswith(".fifo")}, tags, "sqs:ListQueues")


def _scan_ecr(run: _Run) -> Records:
    for repos in run.page_lists("ecr", "describe_repositories", "repositories", page_size=1000):
        all_tags = run.parallel(repos, lambda r: run.optional(r["repositoryArn"], lambda: _tags(
            run.call("ecr", "list_tags_for_resource", resourceArn=r["repositoryArn"]).get("tags")), {}))
        for repo, tags in zip(repos, all_tags):
            yield run.fact(ECR_REPOSITORY, repo["repositoryArn"], repo["repositoryName"],
                           {"uri": repo.get("repositoryUri"), "created_at": _iso(repo.get("createdAt"))}, tags,
                           "ecr:DescribeRepositories")


def _watch_targets(run: _Run, dimensions: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    dims = {d.get("Name"): d.get("Value") for d in dimensions}
    region, account = run.region, run.account
    if dims.get("ClusterName") and dims.get("ServiceName"):
        yield ECS_SERVICE, ecs_service_arn(region, account, dims["ClusterName"], dims["ServiceName"])
    if dims.get("FunctionName"):
        yield LAMBDA_FUNCTION, lambda_arn(region, account, dims["FunctionName"])
    if dims.get("DBInstanceIdentifier"):
        yield RDS_INSTANCE, rds_instance_arn(region, account, dims["DBInstanceIdentifier"])
    if dims.get("QueueName"):
        yield SQS_QUEUE, sqs_arn(region, account, dims["QueueName"])
    if dims.get("ApiName"):
        arn = run.rest_api_arn_by_name(dims["ApiName"])
        if arn:
            yield APIGW_REST_API, arn
    if dims.get("ApiId"):
        yield APIGW_HTTP_API, http_api_arn(region, dims["ApiId"])


def _scan_alarms(run: _Run) -> Records:
    # DescribeAlarms carries no tags: one tagging-API sweep instead of a ListTagsForResource per alarm.
    tags_by_arn = run.optional("tag:GetResources", lambda: _tag_map(
        run.stats, run.clients("resourcegroupstaggingapi"), run.policy, ["cloudwatch:alarm"]), {}) or {}
    for alarm in run.pages("cloudwatch", "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"]):
        arn = alarm["AlarmArn"]
        # Metric-math alarms keep their dimensions per metric instead of at the top.
        dimension_sets = [alarm.get("Dimensions") or []] + [
            ((m.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions") or []
            for m in alarm.get("Metrics") or []]
        dimensions = list({(d["Name"], d["Value"]): None for ds in dimension_sets for d in ds})
        attributes = {"state": alarm.get("StateValue"), "metric_name": alarm.get("MetricName"),
                      "namespace": alarm.get("Namespace"),
                      "dimensions": [{"name": n, "value": v} for n, v in dimensions],
                      "state_updated_at": _iso(alarm.get("StateUpdatedTimestamp"))}
        yield run.fact(CLOUDWATCH_ALARM, arn, alarm["AlarmName"], attributes, tags_by_arn.get(arn, {}),
                       "cloudwatch:DescribeAlarms")
        targets = dict.fromkeys(t for ds in dimension_sets for t in _watch_targets(run, ds))
        for kind, target in targets:
            yield LinkRecord(CLOUDWATCH_ALARM, arn, WATCHES, kind, target, operation="cloudwatch:DescribeAlarms")


_SCANNERS: dict[str, Callable[[_Run], Records]] = {
    "cloudformation_stack": _scan_stacks,
    "ecs": _scan_ecs,
    "lambda_function": _scan_lambda,
    "apigateway_rest_api": _scan_rest_apis,
    "apigateway_http_api": _scan_http_apis,
    "rds": _scan_rds,
    "sqs_queue": _scan_sqs,
    "ecr_repository": _scan_ecr,
    "cloudwatch_alarm": _scan_alarms,
}


def scan(kind: str, session_factory_or_clients: ClientSource, account: str, region: str, *,
         endpoint_url: str | None = None, batch_size: int = 100, stats: CallStats | None = None,
         retry_policy: RetryPolicy | None = None) -> Iterator[Batch]:
    """Scan one kind group (a key of KINDS) in one account/region; yields Batches of <= batch_size facts.

    ``session_factory_or_clients``: a boto3.Session, a zero-argument callable returning one (called
    on first ``next()``, e.g. ``lambda: assume_role_session(...)``), a ``Clients``, or a mapping
    {service name: client} (tests). ``stats`` accumulates request counts across calls; the generator
    also returns it. Raises ScanFailure when the kind can't be scanned (batches already yielded stand).
    """
    if kind not in _SCANNERS:
        raise ValueError(f"unknown AWS kind group {kind!r}; expected one of {sorted(_SCANNERS)}")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return _generate(kind, session_factory_or_clients, account, region, endpoint_url, batch_size,
                     stats if stats is not None else CallStats(), retry_policy)


def _generate(kind: str, source: ClientSource, account: str, region: str, endpoint_url: str | None,
              batch_size: int, stats: CallStats, policy: RetryPolicy | None) -> Iterator[Batch]:
    try:
        run = _Run(_client_getter(source, region, endpoint_url), account, region, stats, policy)
        yield from _batches(run, _SCANNERS[kind](run), batch_size)
    except ScanFailure:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # a response missing what we need
        raise failure_from(exc, operation=kind, region=region) from None
    return stats


def _tag_map(stats: CallStats, client: Any, policy: RetryPolicy | None,
             resource_types: list[str]) -> dict[str, dict[str, str]]:
    kwargs = {"ResourceTypeFilters": resource_types} if resource_types else {}
    return {m["ResourceARN"]: _tags(m.get("Tags"))
            for m in paginate(stats, client, "get_resources", "ResourceTagMappingList", retry_policy=policy,
                              page_size=100, **kwargs)}


def scan_tags(session_factory_or_clients: ClientSource, region: str, *, resource_types: Iterable[str] = (),
              endpoint_url: str | None = None, stats: CallStats | None = None,
              retry_policy: RetryPolicy | None = None) -> dict[str, dict[str, str]]:
    """{ARN: tags} for tagged resources in ``region`` via tag:GetResources (paginated), optionally
    filtered by "service[:type]" (e.g. "cloudwatch:alarm"), to merge into kinds lacking tags."""
    clients = _client_getter(session_factory_or_clients, region, endpoint_url)
    return _tag_map(stats if stats is not None else CallStats(), clients("resourcegroupstaggingapi"),
                    retry_policy, list(resource_types))
