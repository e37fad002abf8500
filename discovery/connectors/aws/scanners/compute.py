"""Compute: ECS clusters and services (with the images they run) and Lambda functions (with their
event sources).

Incrementally, ECS services are described as always (DescribeServices is how they are listed) but the images
of a task definition an earlier run read are not asked again: a revision never changes. A Lambda function whose
listed configuration and event sources are those stored is marked seen without its ListTags."""
from __future__ import annotations

from typing import Any, Callable

from discovery.facts import (
    ECR_REPOSITORY, ECS_CLUSTER, ECS_SERVICE, LAMBDA_FUNCTION, RUNS_IN, SQS_QUEUE, TRIGGERS, USES_IMAGE, LinkRecord,
)

from ..errors import ScanFailure, is_not_found
from .arns import ecr_repository_from_image, ecs_service_arn, lambda_arn_from
from .run import Records, ScanRun, chunked, iso_time, tags_dict


def scan_ecs(run: ScanRun) -> Records:
    cluster_arns = list(run.pages("ecs", "list_clusters", "clusterArns"))
    clusters: list[dict[str, Any]] = []
    for chunk in chunked(cluster_arns, 100):
        clusters.extend(run.call("ecs", "describe_clusters", clusters=chunk, include=["TAGS"])["clusters"])
    for cluster in clusters:
        yield run.fact(ECS_CLUSTER, cluster["clusterArn"], cluster["clusterName"],
                       {"status": cluster.get("status")}, tags_dict(cluster.get("tags")), "ecs:DescribeClusters")

    images_by_task_definition: dict[str, list[str] | None] = dict(run.known.task_images()) if run.known else {}

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
              for chunk in chunked(arns, 10)]
    described = run.parallel(chunks, lambda c: run.call("ecs", "describe_services", cluster=c[0]["clusterArn"],
                                                        services=c[1], include=["TAGS"])["services"])
    task_definitions = list(dict.fromkeys(s["taskDefinition"] for services in described for s in services
                                          if s.get("taskDefinition")))
    run.parallel(task_definitions, images)  # warm the cache concurrently; records below read it
    for (cluster, _), services in zip(chunks, described):
        for service in services:
            yield from _ecs_service_records(run, cluster, service, images)


def _ecs_service_records(run: ScanRun, cluster: dict[str, Any], service: dict[str, Any],
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
        # when the running deployment started: the service's last deploy when GitHub says nothing of it
        "deployed_at": iso_time(next((d.get("createdAt") for d in service.get("deployments") or []
                                      if d.get("status") == "PRIMARY"), None)),
    }
    service_images = images(task_definition) if task_definition else []
    if service_images is not None:
        attributes["images"] = service_images
    yield run.fact(ECS_SERVICE, arn, service["serviceName"], attributes, tags_dict(service.get("tags")),
                   "ecs:DescribeServices")
    yield LinkRecord(ECS_SERVICE, arn, RUNS_IN, ECS_CLUSTER, cluster_arn, operation="ecs:DescribeServices")
    repositories = dict.fromkeys(filter(None, map(ecr_repository_from_image, service_images or [])))
    for repository in repositories:
        yield LinkRecord(ECS_SERVICE, arn, USES_IMAGE, ECR_REPOSITORY, repository,
                         operation="ecs:DescribeTaskDefinition")


def scan_lambda(run: ScanRun) -> Records:
    mappings = run.optional("lambda:ListEventSourceMappings",
                            lambda: list(run.pages("lambda", "list_event_source_mappings", "EventSourceMappings")))
    sources: dict[str, list[str]] = {}
    for mapping in mappings or []:
        function = lambda_arn_from(mapping.get("FunctionArn"))
        if function and mapping.get("EventSourceArn"):
            sources.setdefault(function, []).append(mapping["EventSourceArn"])
    for functions in run.page_lists("lambda", "list_functions", "Functions"):
        yield from _lambda_records(run, functions, sources, mappings is not None)


def lambda_attributes(function: dict[str, Any], event_sources: list[str] | None) -> dict[str, Any]:
    """A function's attributes, all from ListFunctions (and ListEventSourceMappings, when it was read)."""
    attributes: dict[str, Any] = {
        "runtime": function.get("Runtime"), "handler": function.get("Handler"),
        "description": function.get("Description"), "last_modified": iso_time(function.get("LastModified")),
        "memory_size": function.get("MemorySize"), "package_type": function.get("PackageType"),
    }
    if event_sources is not None:
        attributes["event_sources"] = event_sources
    return attributes


def _lambda_records(run: ScanRun, functions: list[dict[str, Any]], sources: dict[str, list[str]],
                    have_mappings: bool) -> Records:
    event_sources = {f["FunctionArn"]: sorted(set(sources.get(f["FunctionArn"], []))) for f in functions}
    attributes = {f["FunctionArn"]: lambda_attributes(f, event_sources[f["FunctionArn"]] if have_mappings else None)
                  for f in functions}
    changed = []
    for function in functions:
        arn = function["FunctionArn"]
        if run.unchanged(LAMBDA_FUNCTION, arn, attributes[arn]):
            yield run.seen(arn)
        else:
            changed.append(function)
    all_tags = run.parallel(changed, lambda f: run.optional(f["FunctionArn"], lambda: tags_dict(
        run.call("lambda", "list_tags", Resource=f["FunctionArn"]).get("Tags")), {}))
    for function, tags in zip(changed, all_tags):
        arn = function["FunctionArn"]
        yield run.fact(LAMBDA_FUNCTION, arn, function["FunctionName"], attributes[arn], tags, "lambda:ListFunctions")
    for function in functions:  # from the mappings, read whole every time
        arn = function["FunctionArn"]
        for source in event_sources[arn]:
            if source.split(":")[2:3] == ["sqs"]:
                yield LinkRecord(SQS_QUEUE, source, TRIGGERS, LAMBDA_FUNCTION, arn,
                                 operation="lambda:ListEventSourceMappings")
