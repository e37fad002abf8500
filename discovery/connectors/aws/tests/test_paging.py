"""Paging and chunking with botocore's Stubber (moto ignores several page sizes)."""
from __future__ import annotations

from datetime import datetime, timezone

from discovery.connectors.aws import CallStats, scan
from discovery.connectors.aws.retry import paginate

from .conftest import ACCOUNT, REGION

ARN = f"{REGION}:{ACCOUNT}"
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def collect(kind, clients, **kwargs):
    stats = CallStats()
    batches = list(scan(kind, clients, ACCOUNT, REGION, stats=stats, **kwargs))
    return [f for b in batches for f in b.facts], [l for b in batches for l in b.links], batches, stats


def fn(name):
    return {"FunctionName": name, "FunctionArn": f"arn:aws:lambda:{ARN}:function:{name}", "Runtime": "python3.12",
            "Handler": "app.handler", "MemorySize": 128, "PackageType": "Zip", "LastModified": "2025-01-02T03:04:05.000+0000"}


def test_list_functions_follows_next_marker_over_three_pages(stubbed):
    lam, stub = stubbed("lambda")
    stub.add_response("list_event_source_mappings", {"EventSourceMappings": []}, {})
    pages = [(["a", "b"], None, "m1"), (["c"], "m1", "m2"), (["d"], "m2", None)]
    for names, marker, next_marker in pages:
        response = {"Functions": [fn(n) for n in names]}
        if next_marker:
            response["NextMarker"] = next_marker
        stub.add_response("list_functions", response, {"Marker": marker} if marker else {})
        for name in names:  # a page's tags are fetched (concurrently in production) before the next page
            stub.add_response("list_tags", {"Tags": {"fn": name}}, {"Resource": f"arn:aws:lambda:{ARN}:function:{name}"})
    facts, _, _, stats = collect("lambda_function", {"lambda": lam})
    assert [(f.name, f.tags) for f in facts] == [(n, {"fn": n}) for n in "abcd"]
    assert stats.per_operation["lambda:ListFunctions"] == 3


def test_list_stacks_and_describe_stacks_follow_next_token(stubbed):
    cfn, stub = stubbed("cloudformation")
    ids = {n: f"arn:aws:cloudformation:{ARN}:stack/{n}/0000-{n}" for n in ("one", "two", "three")}
    summary = lambda n, status="CREATE_COMPLETE": {  # noqa: E731
        "StackId": ids[n], "StackName": n, "CreationTime": WHEN, "StackStatus": status}
    live = live_statuses(cfn)
    stub.add_response("list_stacks", {"StackSummaries": [summary("one"), summary("two")], "NextToken": "t1"},
                      {"StackStatusFilter": live})
    stub.add_response("list_stacks", {"StackSummaries": [summary("three", "UPDATE_ROLLBACK_COMPLETE")]},
                      {"NextToken": "t1", "StackStatusFilter": live})
    detail = lambda n: {"StackId": ids[n], "StackName": n, "CreationTime": WHEN,  # noqa: E731
                        "StackStatus": "CREATE_COMPLETE", "Description": f"{n} stack", "Tags": [{"Key": "n", "Value": n}]}
    stub.add_response("describe_stacks", {"Stacks": [detail("one"), detail("two")], "NextToken": "d1"}, {})
    stub.add_response("describe_stacks", {"Stacks": [detail("three")]}, {"NextToken": "d1"})
    for name in ("one", "two", "three"):
        stub.add_response("list_stack_resources", {"StackResourceSummaries": [
            {"LogicalResourceId": "Fn", "PhysicalResourceId": f"{name}-fn", "ResourceType": "AWS::Lambda::Function",
             "LastUpdatedTimestamp": WHEN, "ResourceStatus": "CREATE_COMPLETE"}]}, {"StackName": ids[name]})
    facts, links, _, stats = collect("cloudformation_stack", {"cloudformation": cfn})
    assert [(f.name, f.attributes["status"], f.attributes["description"], f.tags) for f in facts] == [
        ("one", "CREATE_COMPLETE", "one stack", {"n": "one"}),
        ("two", "CREATE_COMPLETE", "two stack", {"n": "two"}),
        ("three", "UPDATE_ROLLBACK_COMPLETE", "three stack", {"n": "three"})]
    assert facts[0].attributes["created_at"] == "2025-01-02T03:04:05+00:00"
    assert [(l.source_id, l.target_id) for l in links] == [
        (ids[n], f"arn:aws:lambda:{ARN}:function:{n}-fn") for n in ("one", "two", "three")]
    assert dict(stats.per_operation) == {"cloudformation:ListStacks": 2, "cloudformation:DescribeStacks": 2,
                                         "cloudformation:ListStackResources": 3}


def live_statuses(cfn):
    """ListStacks asks for every status but DELETE_COMPLETE, on every page."""
    statuses = cfn.meta.service_model.shape_for("StackStatus").enum
    assert "DELETE_COMPLETE" in statuses
    return [s for s in statuses if s != "DELETE_COMPLETE"]


def test_describe_services_chunks_25_services_into_three_calls(stubbed):
    ecs, stub = stubbed("ecs")
    cluster = f"arn:aws:ecs:{ARN}:cluster/big"
    task_definition = f"arn:aws:ecs:{ARN}:task-definition/web:3"
    arns = [f"arn:aws:ecs:{ARN}:service/big/svc{i:02d}" for i in range(25)]
    stub.add_response("list_clusters", {"clusterArns": [cluster]}, {})
    stub.add_response("describe_clusters", {"clusters": [{"clusterArn": cluster, "clusterName": "big", "status": "ACTIVE"}]},
                      {"clusters": [cluster], "include": ["TAGS"]})
    stub.add_response("list_services", {"serviceArns": arns[:20], "nextToken": "n1"}, {"cluster": cluster})
    stub.add_response("list_services", {"serviceArns": arns[20:]}, {"cluster": cluster, "nextToken": "n1"})
    for chunk in (arns[:10], arns[10:20], arns[20:]):
        stub.add_response("describe_services", {"services": [
            {"serviceArn": a, "serviceName": a.rsplit("/", 1)[1], "clusterArn": cluster, "status": "ACTIVE",
             "desiredCount": 1, "launchType": "FARGATE", "taskDefinition": task_definition,
             "tags": [{"key": "svc", "value": a.rsplit("/", 1)[1]}]} for a in chunk]},
            {"cluster": cluster, "services": chunk, "include": ["TAGS"]})
    # One DescribeTaskDefinition for the 25 services sharing it, after every service is described.
    stub.add_response("describe_task_definition", {"taskDefinition": {"containerDefinitions": [
        {"name": "web", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/web@sha256:abc"}]}},
        {"taskDefinition": task_definition})
    facts, links, _, stats = collect("ecs", {"ecs": ecs})
    services = [f for f in facts if f.kind == "ecs_service"]
    assert [f.external_id for f in services] == arns
    assert services[24].tags == {"svc": "svc24"}
    assert stats.per_operation["ecs:DescribeServices"] == 3
    assert {(l.relation, l.target_id) for l in links if l.source_id == arns[0]} == {
        ("runs_in", cluster), ("uses_image", f"arn:aws:ecr:{ARN}:repository/web")}


def test_list_queues_asks_for_pages_so_next_token_is_returned(stubbed):
    sqs, stub = stubbed("sqs")
    urls = [f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q{i}" for i in range(2)]
    stub.add_response("list_queues", {"QueueUrls": urls[:1], "NextToken": "p2"}, {"MaxResults": 1000})
    stub.add_response("get_queue_attributes", {"Attributes": {"QueueArn": f"arn:aws:sqs:{ARN}:q0"}},
                      {"QueueUrl": urls[0], "AttributeNames": ["QueueArn"]})
    stub.add_response("list_queue_tags", {}, {"QueueUrl": urls[0]})
    stub.add_response("list_queues", {"QueueUrls": urls[1:]}, {"MaxResults": 1000, "NextToken": "p2"})
    stub.add_response("get_queue_attributes", {"Attributes": {"QueueArn": f"arn:aws:sqs:{ARN}:q1"}},
                      {"QueueUrl": urls[1], "AttributeNames": ["QueueArn"]})
    stub.add_response("list_queue_tags", {"Tags": {"a": "b"}}, {"QueueUrl": urls[1]})
    facts, _, _, _ = collect("sqs_queue", {"sqs": sqs})
    assert [(f.external_id, f.tags) for f in facts] == [(f"arn:aws:sqs:{ARN}:q0", {}), (f"arn:aws:sqs:{ARN}:q1", {"a": "b"})]


def test_rest_api_falls_back_to_get_integration_when_methods_are_not_embedded(stubbed):
    apigw, stub = stubbed("apigateway")
    stub.add_response("get_rest_apis", {"items": [{"id": "abc123", "name": "shop", "createdDate": WHEN}]}, {"limit": 500})
    stub.add_response("get_resources", {"items": [{"id": "r1", "path": "/cart", "resourceMethods": {"GET": {}, "PUT": {}}}]},
                      {"restApiId": "abc123", "embed": ["methods"], "limit": 500})
    stub.add_response("get_integration", {"type": "AWS_PROXY", "uri": (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{ARN}:function:cart/invocations")},
        {"restApiId": "abc123", "resourceId": "r1", "httpMethod": "GET"})
    stub.add_response("get_integration", {"type": "AWS", "uri": (  # a stage variable can't be resolved: no link
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{ARN}:function:${{stageVariables.fn}}/invocations")},
        {"restApiId": "abc123", "resourceId": "r1", "httpMethod": "PUT"})
    facts, links, _, _ = collect("apigateway_rest_api", {"apigateway": apigw})
    assert [f.external_id for f in facts] == [f"arn:aws:apigateway:{REGION}::/restapis/abc123"]
    assert [(l.relation, l.target_id) for l in links] == [("integrates", f"arn:aws:lambda:{ARN}:function:cart")]


def test_manual_token_loop_where_botocore_has_no_paginator(stubbed):
    ecs, stub = stubbed("ecs")
    assert not ecs.can_paginate("describe_capacity_providers")
    stub.add_response("describe_capacity_providers", {"capacityProviders": [{"name": "a"}], "nextToken": "x"}, {})
    stub.add_response("describe_capacity_providers", {"capacityProviders": [{"name": "b"}]}, {"nextToken": "x"})
    stats = CallStats()
    assert [p["name"] for p in paginate(stats, ecs, "describe_capacity_providers", "capacityProviders")] == ["a", "b"]
    assert stats.api_calls == 2


def test_a_repeating_token_ends_the_loop(stubbed):
    ecr, stub = stubbed("ecr")
    stub.add_response("describe_repositories", {"repositories": [], "nextToken": "same"}, {})
    stub.add_response("describe_repositories", {"repositories": [], "nextToken": "same"}, {"nextToken": "same"})
    assert list(paginate(CallStats(), ecr, "describe_repositories", "repositories")) == []
