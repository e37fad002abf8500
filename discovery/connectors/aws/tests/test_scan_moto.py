"""Every kind against moto: facts, attributes, tags, links and ARNs, exactly."""
from __future__ import annotations

from datetime import datetime

import boto3
import pytest
from moto.server import ThreadedMotoServer

from discovery.connectors.aws import KINDS, REQUIRED_ACTIONS, CallStats, assume_role_session, scan, scan_tags
from discovery.facts import ATTRIBUTE_WHITELIST

from .conftest import ACCOUNT, ECR_HOST, REGION

ARN = f"{REGION}:{ACCOUNT}"
OTHER_REGION = "eu-west-1"  # moto's state is process-wide: tests wanting a clean slate use this region
WORKER = f"arn:aws:lambda:{ARN}:function:worker"


def run(kind, source=None, **kwargs):
    stats = CallStats()
    batches = list(scan(kind, source or boto3.Session(region_name=REGION), ACCOUNT, REGION, stats=stats, **kwargs))
    facts = {f.external_id: f for b in batches for f in b.facts}
    links = {(l.source_kind, l.source_id, l.relation, l.target_kind, l.target_id) for b in batches for l in b.links}
    for fact in facts.values():
        assert (fact.account, fact.region) == (ACCOUNT, REGION)
        assert set(fact.attributes) <= ATTRIBUTE_WHITELIST[fact.kind], fact.attributes
    assert sum(b.api_calls for b in batches) == stats.api_calls
    assert all(b.warnings == [] for b in batches), [b.warnings for b in batches]
    return facts, links, batches, stats


def pop_time(attributes, key):
    value = attributes.pop(key)
    assert datetime.fromisoformat(value.replace("Z", "+00:00")), (key, value)


def test_cloudformation_stack(world):
    facts, links, _, stats = run("cloudformation_stack")
    stack = facts.pop(world["stack"])
    assert facts == {}
    assert world["stack"].startswith(f"arn:aws:cloudformation:{ARN}:stack/orders/")
    assert (stack.kind, stack.name, stack.tags, stack.operation) == (
        "cloudformation_stack", "orders", {"team": "orders"}, "cloudformation:ListStacks")
    pop_time(stack.attributes, "created_at")
    assert stack.attributes == {
        "status": "CREATE_COMPLETE", "updated_at": None, "description": "orders service",
        "resources": [
            {"logical_id": "Cluster", "type": "AWS::ECS::Cluster", "physical_id": "stack-cluster",
             "arn": f"arn:aws:ecs:{ARN}:cluster/stack-cluster"},
            {"logical_id": "TaskDef", "type": "AWS::ECS::TaskDefinition",
             "physical_id": f"arn:aws:ecs:{ARN}:task-definition/stack-web:1", "arn": None},
            {"logical_id": "Service", "type": "AWS::ECS::Service",
             "physical_id": f"arn:aws:ecs:{ARN}:service/stack-cluster/stack-web",
             "arn": f"arn:aws:ecs:{ARN}:service/stack-cluster/stack-web"},
            {"logical_id": "Queue", "type": "AWS::SQS::Queue",
             "physical_id": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/stack-queue",
             "arn": f"arn:aws:sqs:{ARN}:stack-queue"},
            {"logical_id": "Fn", "type": "AWS::Lambda::Function", "physical_id": "stack-fn",
             "arn": f"arn:aws:lambda:{ARN}:function:stack-fn"},
        ]}
    stack_id = world["stack"]
    assert links == {
        ("cloudformation_stack", stack_id, "contains", "ecs_cluster", f"arn:aws:ecs:{ARN}:cluster/stack-cluster"),
        ("cloudformation_stack", stack_id, "contains", "ecs_service", f"arn:aws:ecs:{ARN}:service/stack-cluster/stack-web"),
        ("cloudformation_stack", stack_id, "contains", "sqs_queue", f"arn:aws:sqs:{ARN}:stack-queue"),
        ("cloudformation_stack", stack_id, "contains", "lambda_function", f"arn:aws:lambda:{ARN}:function:stack-fn"),
    }
    # one ListStacks, one DescribeStacks for all stacks' tags, one ListStackResources per stack
    assert dict(stats.per_operation) == {"cloudformation:ListStacks": 1, "cloudformation:DescribeStacks": 1,
                                         "cloudformation:ListStackResources": 1}


def test_ecs(world):
    facts, links, _, stats = run("ecs")
    main, api = f"arn:aws:ecs:{ARN}:cluster/main", f"arn:aws:ecs:{ARN}:service/main/api"
    stack_cluster, stack_web = f"arn:aws:ecs:{ARN}:cluster/stack-cluster", f"arn:aws:ecs:{ARN}:service/stack-cluster/stack-web"
    assert set(facts) == {main, api, stack_cluster, stack_web}
    assert (facts[main].kind, facts[main].name, facts[main].attributes, facts[main].tags) == (
        "ecs_cluster", "main", {"status": "ACTIVE"}, {"env": "prod"})
    service = facts[api]
    assert (service.kind, service.name, service.tags, service.operation) == (
        "ecs_service", "api", {"team": "core"}, "ecs:DescribeServices")
    # when its running (PRIMARY) deployment started, which moto sets when the service is created
    assert datetime.fromisoformat(service.attributes.pop("deployed_at")).tzinfo is not None
    assert service.attributes == {
        "cluster": "main", "cluster_arn": main, "task_definition": world["task_definition"],
        "images": [f"{ECR_HOST}/team/api:1.2", "nginx:1.27"], "desired_count": 2, "launch_type": "FARGATE",
        "status": "ACTIVE"}
    assert facts[stack_web].attributes["images"] == [f"{ECR_HOST}/stack-web:7"]
    assert links == {
        ("ecs_service", api, "runs_in", "ecs_cluster", main),
        ("ecs_service", api, "uses_image", "ecr_repository", f"arn:aws:ecr:{ARN}:repository/team/api"),
        ("ecs_service", stack_web, "runs_in", "ecs_cluster", stack_cluster),
        ("ecs_service", stack_web, "uses_image", "ecr_repository", f"arn:aws:ecr:{ARN}:repository/stack-web"),
    }
    assert stats.per_operation["ecs:DescribeTaskDefinition"] == 2  # once per distinct task definition


def test_lambda_function(world):
    facts, links, _, _ = run("lambda_function")
    assert set(facts) == {WORKER, f"arn:aws:lambda:{ARN}:function:stack-fn"}
    worker = facts[WORKER]
    assert (worker.name, worker.tags) == ("worker", {"team": "core"})
    assert worker.attributes == {
        "runtime": "python3.12", "handler": "index.handler", "description": "drains jobs",
        "last_modified": world["worker_modified"], "memory_size": 256, "package_type": "Zip",
        "event_sources": [f"arn:aws:sqs:{ARN}:jobs"]}
    assert facts[f"arn:aws:lambda:{ARN}:function:stack-fn"].attributes["event_sources"] == []
    assert links == {("sqs_queue", f"arn:aws:sqs:{ARN}:jobs", "triggers", "lambda_function", WORKER)}


def test_apigateway_rest_api(world):
    facts, links, _, stats = run("apigateway_rest_api")
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{world['rest_api']}"
    api = facts.pop(arn)
    assert facts == {}
    assert (api.name, api.tags, api.operation) == ("orders-api", {"team": "orders"}, "apigateway:GetRestApis")
    pop_time(api.attributes, "created_at")
    assert api.attributes == {"api_id": world["rest_api"], "description": "public orders",
                              "endpoint_types": ["REGIONAL"]}
    # GET and POST both integrate the worker (through its "live" alias): one link, to the function
    assert links == {("apigateway_rest_api", arn, "integrates", "lambda_function", WORKER)}
    # embed=methods carried the integrations: no GetIntegration per method
    assert dict(stats.per_operation) == {"apigateway:GetRestApis": 1, "apigateway:GetResources": 1}


def test_apigateway_http_api(world):
    facts, links, _, _ = run("apigateway_http_api")
    arn = f"arn:aws:apigateway:{REGION}::/apis/{world['http_api']}"
    api = facts.pop(arn)
    assert facts == {}
    assert (api.name, api.tags) == ("webhooks", {"team": "core"})
    pop_time(api.attributes, "created_at")
    assert api.attributes == {"api_id": world["http_api"], "description": "inbound hooks", "protocol_type": "HTTP",
                              "endpoint": world["http_endpoint"]}
    assert links == {("apigateway_http_api", arn, "integrates", "lambda_function", WORKER)}


def test_rds(world):
    facts, links, _, _ = run("rds")
    member, legacy = f"arn:aws:rds:{ARN}:db:orders-db-1", f"arn:aws:rds:{ARN}:db:legacy"
    cluster = f"arn:aws:rds:{ARN}:cluster:orders-db"
    assert set(facts) == {member, legacy, cluster}
    assert (facts[member].kind, facts[member].name, facts[member].tags) == ("rds_instance", "orders-db-1", {"team": "orders"})
    assert facts[member].attributes == {
        "engine": "aurora-postgresql", "engine_version": "12.7",
        "status": "available", "instance_class": "db.r6g.large", "cluster_identifier": "orders-db"}
    assert facts[legacy].attributes["cluster_identifier"] is None and facts[legacy].tags == {}
    assert (facts[cluster].kind, facts[cluster].tags) == ("rds_cluster", {"team": "orders"})
    assert facts[cluster].attributes["members"] == ["orders-db-1"]
    assert links == set()


def test_sqs_queue(world):
    facts, _, _, _ = run("sqs_queue")
    jobs, events = f"arn:aws:sqs:{ARN}:jobs", f"arn:aws:sqs:{ARN}:events.fifo"
    assert set(facts) == {jobs, events, f"arn:aws:sqs:{ARN}:stack-queue"}
    assert (facts[jobs].name, facts[jobs].attributes, facts[jobs].tags) == (
        "jobs", {"url": world["jobs_url"], "fifo": False}, {"team": "core"})
    assert (facts[events].name, facts[events].attributes, facts[events].tags) == (
        "events.fifo", {"url": world["events_url"], "fifo": True}, {})


def test_ecr_repository(world):
    facts, _, _, _ = run("ecr_repository")
    repo = facts.pop(f"arn:aws:ecr:{ARN}:repository/team/api")
    assert facts == {}
    assert (repo.name, repo.tags) == ("team/api", {"team": "core"})
    pop_time(repo.attributes, "created_at")
    assert repo.attributes == {"uri": f"{ECR_HOST}/team/api"}


def test_cloudwatch_alarm(world):
    facts, links, _, stats = run("cloudwatch_alarm")
    alarm = lambda name: f"arn:aws:cloudwatch:{ARN}:alarm:{name}"  # noqa: E731
    assert set(facts) == {alarm(n) for n in ("worker-errors", "api-cpu", "db-cpu", "jobs-age", "rest-5xx", "http-5xx")}
    cpu = facts[alarm("api-cpu")]
    assert cpu.tags == {"alarm": "api-cpu"}
    pop_time(cpu.attributes, "state_updated_at")
    assert cpu.attributes == {"state": "OK", "metric_name": "CPUUtilization", "namespace": "AWS/ECS",
                              "dimensions": [{"name": "ClusterName", "value": "main"},
                                             {"name": "ServiceName", "value": "api"}]}
    assert links == {
        ("cloudwatch_alarm", alarm("worker-errors"), "watches", "lambda_function", WORKER),
        ("cloudwatch_alarm", alarm("api-cpu"), "watches", "ecs_service", f"arn:aws:ecs:{ARN}:service/main/api"),
        ("cloudwatch_alarm", alarm("db-cpu"), "watches", "rds_instance", f"arn:aws:rds:{ARN}:db:legacy"),
        ("cloudwatch_alarm", alarm("jobs-age"), "watches", "sqs_queue", f"arn:aws:sqs:{ARN}:jobs"),
        ("cloudwatch_alarm", alarm("rest-5xx"), "watches", "apigateway_rest_api",
         f"arn:aws:apigateway:{REGION}::/restapis/{world['rest_api']}"),
        ("cloudwatch_alarm", alarm("http-5xx"), "watches", "apigateway_http_api",
         f"arn:aws:apigateway:{REGION}::/apis/{world['http_api']}"),
    }
    assert stats.per_operation["apigateway:GetRestApis"] == 1  # REST API names looked up once per scan


def test_scan_tags(world):
    tags = scan_tags(boto3.Session(region_name=REGION), REGION, resource_types=["cloudwatch:alarm"])
    assert tags[f"arn:aws:cloudwatch:{ARN}:alarm:db-cpu"] == {"alarm": "db-cpu"}
    assert len(tags) == 6
    everything = scan_tags(boto3.Session(region_name=REGION), REGION)
    assert everything[f"arn:aws:lambda:{ARN}:function:worker"] == {"team": "core"}


def test_batches_respect_batch_size_and_count_calls(world):
    facts, _, batches, stats = run("sqs_queue", batch_size=2)
    assert [len(b.facts) for b in batches] == [2, 1]
    # ListQueues + 3x(attributes, tags): a page is enriched at once, so the first batch carries its calls.
    assert [b.api_calls for b in batches] == [7, 0]
    assert stats.api_calls == 7


def test_empty_region_still_reports_its_calls(world):
    batches = list(scan("ecr_repository", boto3.Session(region_name=OTHER_REGION), ACCOUNT, OTHER_REGION))
    assert [(b.facts, b.links, b.api_calls) for b in batches] == [([], [], 1)]


def test_kinds_cover_every_aws_fact_kind_and_name_their_actions():
    from discovery.facts import AWS_KINDS
    assert sorted(k for g in KINDS.values() for k in g.fact_kinds) == sorted(AWS_KINDS)
    assert "ecs:DescribeServices" in REQUIRED_ACTIONS and "tag:GetResources" in REQUIRED_ACTIONS
    with pytest.raises(ValueError):
        scan("s3", boto3.Session(region_name=REGION), ACCOUNT, REGION)


def test_moto_server_endpoint_with_assumed_role():
    """The real wire path: STS AssumeRole then a scan, every client pointed at endpoint_url."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=OTHER_REGION)
        base.client("sqs", endpoint_url=endpoint).create_queue(QueueName="remote", tags={"team": "edge"})
        role = f"arn:aws:iam::{ACCOUNT}:role/roster"
        factory = lambda: assume_role_session(role, "ext-123", region=OTHER_REGION, endpoint_url=endpoint,  # noqa: E731
                                              base_credentials=base)
        session = factory()
        creds = session.get_credentials()
        assert creds.access_key.startswith("ASIA") and creds.token
        assert creds.secret_key not in repr(session)
        batches = list(scan("sqs_queue", factory, ACCOUNT, OTHER_REGION, endpoint_url=endpoint))
        facts = [f for b in batches for f in b.facts]
        assert [(f.external_id, f.tags, f.attributes["url"].startswith(endpoint)) for f in facts] == [
            (f"arn:aws:sqs:{OTHER_REGION}:{ACCOUNT}:remote", {"team": "edge"}, True)]
    finally:
        server.stop()
