"""Incremental scans against moto: a full scan, then a scan that knows what it stored. Unchanged resources are
marked seen (``Batch.touched``) without their detail calls; changed and new ones are read in full."""
from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from discovery.connectors.aws import CallStats, scan
from discovery.connectors.aws.scanners import MARKERS, Known
from discovery.connectors.aws.scanners import cloudformation as cfn_scanner
from discovery.connectors.aws.scanners.run import ScanRun, Seen, batches_of
from discovery.facts import ATTRIBUTE_WHITELIST, CFN_STACK, ECS_SERVICE, LAMBDA_FUNCTION, SQS_QUEUE, FactRecord

from .conftest import ACCOUNT, ECR_HOST, REGION, STACK_TEMPLATE, _zip

ARN = f"{REGION}:{ACCOUNT}"
QUEUE_TEMPLATE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "billing-queue"}}}}


@pytest.fixture
def account():
    """A small account of every incremental kind, fresh for each test (tests change it)."""
    with mock_aws():
        s = boto3.Session(region_name=REGION)
        ids: dict = {}
        role = s.client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        cfn = s.client("cloudformation")
        ids["orders"] = cfn.create_stack(StackName="orders", TemplateBody=json.dumps(STACK_TEMPLATE),
                                         Tags=[{"Key": "team", "Value": "orders"}])["StackId"]
        ids["billing"] = cfn.create_stack(StackName="billing", TemplateBody=json.dumps(QUEUE_TEMPLATE))["StackId"]
        ecs = s.client("ecs")
        ecs.create_cluster(clusterName="main")
        for name in ("api", "web"):
            definition = ecs.register_task_definition(family=name, containerDefinitions=[
                {"name": name, "image": f"{ECR_HOST}/team/{name}:1", "memory": 128}])["taskDefinition"]
            ecs.create_service(cluster="main", serviceName=name, desiredCount=1,
                               taskDefinition=definition["taskDefinitionArn"])
        sqs = s.client("sqs")
        sqs.create_queue(QueueName="jobs", tags={"team": "core"})
        lam = s.client("lambda")
        for name in ("worker", "reader"):
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                                Code={"ZipFile": _zip()}, Tags={"team": "core"})
        lam.create_event_source_mapping(EventSourceArn=f"arn:aws:sqs:{ARN}:jobs", FunctionName="worker")
        ecr = s.client("ecr")
        for name in ("team/api", "team/web"):
            ecr.create_repository(repositoryName=name, tags=[{"Key": "team", "Value": "core"}])
        rest = s.client("apigateway").create_rest_api(name="orders-api", tags={"team": "orders"})
        ids["rest_api"] = rest["id"]
        v2 = s.client("apigatewayv2")
        ids["http_api"] = v2.create_api(Name="hooks", ProtocolType="HTTP")["ApiId"]
        v2.create_integration(ApiId=ids["http_api"], IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                              IntegrationUri=f"arn:aws:lambda:{ARN}:function:worker")
        yield s, ids


def scanned(kind: str, known: Known | None = None):
    stats = CallStats()
    batches = list(scan(kind, boto3.Session(region_name=REGION), ACCOUNT, REGION, stats=stats, known=known))
    assert sum(b.api_calls for b in batches) == stats.api_calls
    facts = {f.external_id: f for b in batches for f in b.facts}
    links = {(x.source_id, x.relation, x.target_id) for b in batches for x in b.links}
    touched = [t for b in batches for t in b.touched]
    return facts, links, touched, dict(stats.per_operation)


def known_from(facts: dict[str, FactRecord]) -> Known:
    """What discovery.scan_state hands an incremental job, from stored facts (complete ones only)."""
    known: dict[str, dict] = {}
    for fact in facts.values():
        marker = MARKERS.get(fact.kind)
        if marker and (marker.complete is None or marker.complete in fact.attributes):
            known.setdefault(fact.kind, {})[fact.external_id] = {k: fact.attributes.get(k) for k in marker.compare}
    return Known(known)


# kind group -> (operations an unchanged account costs incrementally, are its facts written again?)
UNCHANGED = {
    "cloudformation_stack": ({"cloudformation:ListStacks": 1}, False),
    "lambda_function": ({"lambda:ListFunctions": 1, "lambda:ListEventSourceMappings": 1}, False),
    "sqs_queue": ({"sqs:ListQueues": 1}, False),
    "ecr_repository": ({"ecr:DescribeRepositories": 1}, False),
    # listed with everything they carry: written again, only their detail calls are saved
    "ecs": ({"ecs:ListClusters": 1, "ecs:DescribeClusters": 1, "ecs:ListServices": 2, "ecs:DescribeServices": 2},
            True),
    "apigateway_rest_api": ({"apigateway:GetRestApis": 1}, True),
    "apigateway_http_api": ({"apigatewayv2:GetApis": 1}, True),
}


@pytest.mark.parametrize("kind", sorted(UNCHANGED))
def test_nothing_changed_costs_only_the_list_calls(account, kind):
    full, full_links, full_touched, full_calls = scanned(kind)
    assert full and full_touched == []
    facts, links, touched, calls = scanned(kind, known_from(full))
    operations, written_again = UNCHANGED[kind]
    assert calls == operations, full_calls
    assert sum(calls.values()) < sum(full_calls.values())
    if written_again:
        assert {k: (f.attributes, f.tags) for k, f in facts.items()} == {
            k: (f.attributes, f.tags) for k, f in full.items()}
    else:
        assert facts == {}
    # What is not written again is marked seen, links with it (store.touch covers links from a touched id).
    assert set(touched) == ({k for k, f in full.items() if f.kind in MARKERS} if kind != "ecs" else set())
    assert links <= full_links
    if not written_again:
        assert links == {link for link in full_links if link[0] not in touched}


def test_changed_and_new_resources_are_read_in_full(account):
    session, ids = account
    full = {kind: scanned(kind)[0] for kind in UNCHANGED}
    cfn, ecs, lam = session.client("cloudformation"), session.client("ecs"), session.client("lambda")
    cfn.update_stack(StackName="orders", UsePreviousTemplate=True,
                     Tags=[{"Key": "team", "Value": "orders"}, {"Key": "release", "Value": "2"}])
    lam.update_function_configuration(FunctionName="reader", Description="reads v2", MemorySize=512)
    revision = ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "web", "image": f"{ECR_HOST}/team/web:2", "memory": 128}])["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="main", service="web", taskDefinition=revision)
    session.client("sqs").create_queue(QueueName="late")
    session.client("ecr").create_repository(repositoryName="team/late")
    late_api = session.client("apigateway").create_rest_api(name="late-api")["id"]

    facts, links, touched, calls = scanned("cloudformation_stack", known_from(full["cloudformation_stack"]))
    assert list(facts) == [ids["orders"]] and touched == [ids["billing"]]
    assert facts[ids["orders"]].attributes["status"] == "UPDATE_COMPLETE"
    assert facts[ids["orders"]].tags == {"team": "orders", "release": "2"}
    assert len(facts[ids["orders"]].attributes["resources"]) == 5
    assert (ids["orders"], "contains", f"arn:aws:lambda:{ARN}:function:stack-fn") in links
    assert calls == {"cloudformation:ListStacks": 1, "cloudformation:DescribeStacks": 1,
                     "cloudformation:ListStackResources": 1}

    facts, _, touched, calls = scanned("lambda_function", known_from(full["lambda_function"]))
    reader, worker = (f"arn:aws:lambda:{ARN}:function:{n}" for n in ("reader", "worker"))
    assert list(facts) == [reader] and reader not in touched and worker in touched
    assert (facts[reader].attributes["description"], facts[reader].attributes["memory_size"]) == ("reads v2", 512)
    assert facts[reader].tags == {"team": "core"}
    assert calls["lambda:ListTags"] == 1

    facts, links, _, calls = scanned("ecs", known_from(full["ecs"]))
    web = f"arn:aws:ecs:{ARN}:service/main/web"
    assert facts[web].attributes["images"] == [f"{ECR_HOST}/team/web:2"]
    assert facts[web].attributes["task_definition"] == revision
    assert (web, "uses_image", f"arn:aws:ecr:{ARN}:repository/team/web") in links
    assert calls["ecs:DescribeTaskDefinition"] == 1  # the new revision only

    facts, _, touched, calls = scanned("sqs_queue", known_from(full["sqs_queue"]))
    assert list(facts) == [f"arn:aws:sqs:{ARN}:late"] and f"arn:aws:sqs:{ARN}:jobs" in touched
    assert (calls["sqs:GetQueueAttributes"], calls["sqs:ListQueueTags"]) == (1, 1)

    facts, _, touched, calls = scanned("ecr_repository", known_from(full["ecr_repository"]))
    assert list(facts) == [f"arn:aws:ecr:{ARN}:repository/team/late"] and len(touched) == 2
    assert calls["ecr:ListTagsForResource"] == 1

    facts, _, touched, calls = scanned("apigateway_rest_api", known_from(full["apigateway_rest_api"]))
    assert set(facts) == {f"arn:aws:apigateway:{REGION}::/restapis/{i}" for i in (ids["rest_api"], late_api)}
    assert touched == [f"arn:aws:apigateway:{REGION}::/restapis/{ids['rest_api']}"]
    assert calls["apigateway:GetResources"] == 1  # the new API's


def test_few_changed_stacks_are_described_one_by_one(account, monkeypatch):
    session, ids = account
    full = scanned("cloudformation_stack")[0]
    session.client("cloudformation").update_stack(StackName="billing", UsePreviousTemplate=True,
                                                  Tags=[{"Key": "team", "Value": "billing"}])
    monkeypatch.setattr(cfn_scanner, "DESCRIBE_STACKS_PAGE", 1)  # as if every page held one stack
    facts, _, touched, calls = scanned("cloudformation_stack", known_from(full))
    assert list(facts) == [ids["billing"]] and touched == [ids["orders"]]
    assert facts[ids["billing"]].tags == {"team": "billing"}
    assert calls["cloudformation:DescribeStacks"] == 1


def test_a_kind_nothing_is_known_of_is_read_in_full(account):
    full, _, _, full_calls = scanned("lambda_function")
    facts, _, touched, calls = scanned("lambda_function", Known({}))
    assert touched == [] and set(facts) == set(full) and calls == full_calls


def test_a_failed_event_source_read_means_changed():
    known = Known({LAMBDA_FUNCTION: {"f": {"runtime": "python3.12", "event_sources": []}}})
    assert known.unchanged(LAMBDA_FUNCTION, "f", {"runtime": "python3.12", "event_sources": []})
    assert not known.unchanged(LAMBDA_FUNCTION, "f", {"runtime": "python3.12"})  # mappings unread this time
    assert not known.unchanged(LAMBDA_FUNCTION, "f", {"runtime": "python3.13", "event_sources": []})
    assert not known.unchanged(LAMBDA_FUNCTION, "g", {"runtime": "python3.12", "event_sources": []})
    assert not known.unchanged(CFN_STACK, "f", {})


def test_known_task_images_and_queue_urls():
    known = Known({ECS_SERVICE: {"s1": {"task_definition": "td:1", "images": ["a:1"]},
                                 "s2": {"task_definition": "td:2", "images": None}},
                   SQS_QUEUE: {"arn:q": {"url": "https://q"}}})
    assert known.task_images() == {"td:1": ["a:1"]}
    assert known.queue_arns() == {"https://q": "arn:q"}


def test_every_compared_attribute_is_stored():
    # An attribute the store drops would never compare equal: everything would count as changed.
    for kind, marker in MARKERS.items():
        assert set(marker.compare) | {marker.complete} - {None} <= ATTRIBUTE_WHITELIST[kind], kind


def test_seen_records_travel_as_touched_with_their_calls():
    stats = CallStats()
    run = ScanRun(lambda service: None, ACCOUNT, REGION, stats, None)

    def records():
        stats.count_call("sqs:ListQueues")
        yield run.seen("arn:a")
        yield FactRecord("sqs_queue", "arn:b", "b")
        yield run.seen("arn:c")

    batches = list(batches_of(run, records(), batch_size=1))
    assert [(b.touched, [f.external_id for f in b.facts], b.api_calls) for b in batches] == [
        (["arn:a"], ["arn:b"], 1), (["arn:c"], [], 0)]
    assert stats.counts["unchanged"] == 2
    assert Seen("arn:a") == Seen("arn:a")
