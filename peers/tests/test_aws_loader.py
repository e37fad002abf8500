"""Load sample-messy into a real moto server and check it through boto3, as Roster's scanner will see it."""
from __future__ import annotations

import json
from pathlib import Path
import socket
import subprocess
import sys
import time
from collections import Counter
from functools import cache
from typing import Any

import boto3
import pytest
import requests

from peers.aws_loader import DISCOVERY_ROLE, REST_STAGE, TASKS_PER_INSTANCE, account_credentials, load_aws
from peers.moto_server import reset
from peers.scenario import load_scenario, parse_ref

SAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "sample-messy.yaml"
CFN_TYPES = {"ecs": "AWS::ECS::Service", "lambda": "AWS::Lambda::Function", "rds": "AWS::RDS::DBInstance",
             "sqs": "AWS::SQS::Queue", "REST": "AWS::ApiGateway::RestApi", "HTTP": "AWS::ApiGatewayV2::Api"}


@pytest.fixture(scope="module")
def loaded(moto_endpoint: str) -> tuple[dict[str, Any], Any]:
    reset(moto_endpoint)
    scenario = load_scenario(SAMPLE)
    return scenario, load_aws(scenario, moto_endpoint)


@pytest.fixture(scope="module")
def client(loaded: tuple[dict[str, Any], Any], moto_endpoint: str) -> Any:
    """client(account, service): boto3 client with RosterDiscovery credentials, i.e. what Roster uses."""
    report = loaded[1]

    @cache
    def make(account: str, service: str, region: str = "us-east-1") -> Any:
        creds = account_credentials(moto_endpoint, account, role_name=DISCOVERY_ROLE, external_id=report.external_id)
        return boto3.client(service, region_name=region, **creds)

    return make


def regions(scenario: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(a["id"], r) for a in scenario["aws"]["accounts"] for r in a["regions"]]


def declared(region: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    if kind == "ecs":
        return {f"{c['name']}/{s['name']}": s for c in region["ecs_clusters"] for s in c["services"]}
    key = {"lambda": ("lambdas", "name"), "api": ("apis", "name"), "rds": ("rds_instances", "id"),
           "sqs": ("sqs_queues", "name")}[kind]
    return {item[key[1]]: item for item in region[key[0]]}


def stack_members(region: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {parse_ref(ref): stack for stack in region["stacks"] for ref in stack["resources"]}


def api_ids(client: Any, account: str) -> dict[str, tuple[str, str]]:
    """API name -> (type, id)."""
    rest = {a["name"]: ("REST", a["id"]) for a in client(account, "apigateway").get_rest_apis(limit=500)["items"]}
    http = {a["Name"]: ("HTTP", a["ApiId"]) for a in client(account, "apigatewayv2").get_apis()["Items"]}
    return {**rest, **http}


def arn_of(client: Any, account: str, kind: str, name: str, apis: dict[str, tuple[str, str]]) -> str:
    if kind == "ecs":
        return f"arn:aws:ecs:us-east-1:{account}:service/{name}"
    if kind == "lambda":
        return f"arn:aws:lambda:us-east-1:{account}:function:{name}"
    if kind == "rds":
        return f"arn:aws:rds:us-east-1:{account}:db:{name}"
    if kind == "sqs":
        return f"arn:aws:sqs:us-east-1:{account}:{name}"
    api_type, api_id = apis[name]
    return f"arn:aws:apigateway:us-east-1::/{'restapis' if api_type == 'REST' else 'apis'}/{api_id}"


def service_tags(client: Any, account: str, kind: str, name: str, apis: dict[str, tuple[str, str]]) -> dict[str, str]:
    """A resource's tags read through its own service's API."""
    arn = arn_of(client, account, kind, name, apis)
    if kind == "ecs":
        return {t["key"]: t["value"] for t in client(account, "ecs").list_tags_for_resource(resourceArn=arn)["tags"]}
    if kind == "lambda":
        return client(account, "lambda").list_tags(Resource=arn)["Tags"]
    if kind == "rds":
        tags = client(account, "rds").list_tags_for_resource(ResourceName=arn)["TagList"]
        return {t["Key"]: t["Value"] for t in tags}
    if kind == "sqs":
        sqs = client(account, "sqs")
        return sqs.list_queue_tags(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"]).get("Tags", {})
    api_type, api_id = apis[name]
    if api_type == "REST":
        return client(account, "apigateway").get_rest_api(restApiId=api_id).get("tags", {})
    return client(account, "apigatewayv2").get_api(ApiId=api_id).get("Tags", {})


def tagging_api(client: Any, account: str) -> dict[str, dict[str, str]]:
    pages = client(account, "resourcegroupstaggingapi").get_paginator("get_resources").paginate()
    return {m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]}
            for page in pages for m in page["ResourceTagMappingList"]}


def ecs_instances(region: dict[str, Any]) -> int:
    return sum(-(-sum(s["desired_count"] for s in c["services"]) // TASKS_PER_INSTANCE) for c in region["ecs_clusters"])


def test_report_roles_counts_and_warnings(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, report = loaded
    assert report.warnings == []
    for account, region in regions(scenario):
        acct = report.accounts[account]
        assert acct.role_arn == f"arn:aws:iam::{account}:role/RosterDiscovery"
        assert client(account, "sts").get_caller_identity()["Account"] == account
        trust = client(account, "iam").get_role(RoleName=DISCOVERY_ROLE)["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert trust["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": report.external_id}}
        apis = Counter(a["type"] for a in region["apis"])
        assert acct.counts == Counter({
            "iam_roles": 2, "stacks": len(region["stacks"]),
            "stack_resources": sum(len(s["resources"]) for s in region["stacks"]),
            "ecs_clusters": len(region["ecs_clusters"]), "ecs_services": len(declared(region, "ecs")),
            "task_definitions": len(declared(region, "ecs")), "lambdas": len(region["lambdas"]),
            "rest_apis": apis["REST"], "http_apis": apis["HTTP"],
            "api_integrations": sum(len(a["integrations"]) for a in region["apis"]),
            "rds_instances": len(region["rds_instances"]), "sqs_queues": len(region["sqs_queues"]),
            "ecr_repositories": len(region["ecr_repositories"]), "alarms": len(region["alarms"]),
            "event_source_mappings": sum(1 for f in region["lambdas"] if f["sqs_trigger"]),
            # what running accounts have besides (see test_deployed_account_has_stages_permissions_images_tasks)
            "api_stages": sum(1 for a in region["apis"] if a["integrations"]),
            "api_deployments": sum(1 for a in region["apis"] if a["integrations"] and a["type"] == "REST"),
            "lambda_permissions": sum(len(a["integrations"]) for a in region["apis"]),
            "ecr_images": len(region["ecr_repositories"]),  # sample-messy's services pull one tag per repository
            "ecs_tasks": sum(s["desired_count"] for s in declared(region, "ecs").values()),
            "container_instances": ecs_instances(region), "ec2_instances": ecs_instances(region),
        })
        # sample-messy's only flaw: an ECR repository name with capitals, which AWS refuses
        assert acct.warnings == ["us-east-1: ECR repository name 'TicketConsumer' is invalid on AWS; "
                                 "created as 'ticketconsumer'"]


def test_every_resource_exists_in_its_account(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, _ = loaded
    for account, region in regions(scenario):
        ecs = client(account, "ecs")
        clusters = {c.rsplit("/", 1)[1] for c in ecs.list_clusters()["clusterArns"]}
        assert clusters == {c["name"] for c in region["ecs_clusters"]}
        for cluster in region["ecs_clusters"]:
            arns = ecs.list_services(cluster=cluster["name"], maxResults=100)["serviceArns"]
            services = ecs.describe_services(cluster=cluster["name"], services=arns)["services"]
            found = {s["serviceName"]: s for s in services}
            assert set(found) == {s["name"] for s in cluster["services"]}
            for svc in cluster["services"]:
                assert found[svc["name"]]["desiredCount"] == svc["desired_count"]
                task_arn = found[svc["name"]]["taskDefinition"]
                task = ecs.describe_task_definition(taskDefinition=task_arn)["taskDefinition"]
                assert [c["image"] for c in task["containerDefinitions"]] == [svc["image"]]
        functions = {f["FunctionName"]: f for f in client(account, "lambda").list_functions(MaxItems=500)["Functions"]}
        assert {n: (f["Runtime"], f["Handler"]) for n, f in functions.items()} == {
            f["name"]: (f["runtime"], f["handler"]) for f in region["lambdas"]}
        apis = {n: t for n, (t, _) in api_ids(client, account).items()}
        assert apis == {a["name"]: a["type"] for a in region["apis"]}
        dbs = client(account, "rds").describe_db_instances()["DBInstances"]
        assert {d["DBInstanceIdentifier"]: d["Engine"] for d in dbs} == {
            d["id"]: d["engine"] for d in region["rds_instances"]}
        urls = client(account, "sqs").list_queues().get("QueueUrls", [])
        assert {u.rsplit("/", 1)[1] for u in urls} == {q["name"] for q in region["sqs_queues"]}
        assert all(f"/{account}/" in u for u in urls)
        repos = client(account, "ecr").describe_repositories()["repositories"]
        assert {r["repositoryName"] for r in repos} == {n.lower() for n in region["ecr_repositories"]}
        assert {r["repositoryArn"] for r in repos} == {f"arn:aws:ecr:us-east-1:{account}:repository/{n.lower()}"
                                                       for n in region["ecr_repositories"]}
        stacks = client(account, "cloudformation").describe_stacks()["Stacks"]
        assert {s["StackName"]: s["StackStatus"] for s in stacks} == {
            s["name"]: "CREATE_COMPLETE" for s in region["stacks"]}


def test_stacks_list_exactly_their_resources(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, _ = loaded
    for account, region in regions(scenario):
        cfn, apis = client(account, "cloudformation"), api_ids(client, account)
        for stack in region["stacks"]:
            rows = cfn.list_stack_resources(StackName=stack["name"])["StackResourceSummaries"]
            expected = set()
            for kind, name in map(parse_ref, stack["resources"]):
                physical = {"ecs": lambda: arn_of(client, account, "ecs", name, apis),
                            "sqs": lambda: f"https://sqs.us-east-1.amazonaws.com/{account}/{name}",
                            "api": lambda: apis[name][1]}.get(kind, lambda: name)()
                expected.add((CFN_TYPES[apis[name][0] if kind == "api" else kind], physical))
            assert {(r["ResourceType"], r["PhysicalResourceId"]) for r in rows} == expected, stack["name"]
            assert all(r["LogicalResourceId"].isalnum() and r["ResourceStatus"] == "CREATE_COMPLETE" for r in rows)


def test_stack_resources_carry_stack_and_cloudformation_tags(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, _ = loaded
    checked = Counter()
    for account, region in regions(scenario):
        cfn, apis, tagged = client(account, "cloudformation"), api_ids(client, account), tagging_api(client, account)
        for stack in region["stacks"]:
            stack_id = cfn.describe_stacks(StackName=stack["name"])["Stacks"][0]["StackId"]
            logical = {r["PhysicalResourceId"]: r["LogicalResourceId"]
                       for r in cfn.list_stack_resources(StackName=stack["name"])["StackResourceSummaries"]}
            for kind, name in map(parse_ref, stack["resources"]):
                arn = arn_of(client, account, kind, name, apis)
                physical = {"ecs": arn, "sqs": f"https://sqs.us-east-1.amazonaws.com/{account}/{name}",
                            "api": apis.get(name, ("", ""))[1]}.get(kind, name)
                expected = {**stack["tags"], **declared(region, kind)[name]["tags"],
                            "aws:cloudformation:stack-name": stack["name"], "aws:cloudformation:stack-id": stack_id,
                            "aws:cloudformation:logical-id": logical[physical]}
                assert service_tags(client, account, kind, name, apis) == expected, (kind, name)
                if kind != "api":  # moto's tagging API does not cover API Gateway
                    assert tagged[arn] == expected, (kind, name)
                checked[kind] += 1
    assert set(checked) == {"ecs", "lambda", "rds", "sqs", "api"}


def test_standalone_resources_have_only_their_own_tags(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, _ = loaded
    checked = Counter()
    for account, region in regions(scenario):
        apis, members, tagged = api_ids(client, account), stack_members(region), tagging_api(client, account)
        for kind in ("ecs", "lambda", "rds", "sqs", "api"):
            for name, item in declared(region, kind).items():
                if (kind, name) in members:
                    continue
                assert service_tags(client, account, kind, name, apis) == item["tags"], (kind, name)
                if kind != "api" and item["tags"]:
                    assert tagged[arn_of(client, account, kind, name, apis)] == item["tags"]
                checked[kind] += 1
    assert set(checked) == {"lambda", "sqs", "api"}  # sample-messy keeps every ECS service and database in a stack


def test_alarms_have_state_and_target_dimensions(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, _ = loaded
    for account, region in regions(scenario):
        apis = api_ids(client, account)
        alarms = {a["AlarmName"]: a for a in client(account, "cloudwatch").describe_alarms()["MetricAlarms"]}
        assert set(alarms) == {a["name"] for a in region["alarms"]}
        for spec in region["alarms"]:
            alarm = alarms[spec["name"]]
            assert alarm["StateValue"] == spec["state"]
            assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{account}:alarm:{spec['name']}"
            kind, name = parse_ref(spec["target"])
            expected = {
                "ecs": lambda: {"ClusterName": name.split("/")[0], "ServiceName": name.split("/")[1]},
                "lambda": lambda: {"FunctionName": name}, "rds": lambda: {"DBInstanceIdentifier": name},
                "sqs": lambda: {"QueueName": name},
                "api": lambda: {"ApiName": name} if apis[name][0] == "REST" else {"ApiId": apis[name][1]},
            }[kind]()
            assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == expected


def test_api_integrations_point_at_the_lambdas(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, _ = loaded
    for account, region in regions(scenario):
        apis = api_ids(client, account)
        for api in region["apis"]:
            api_type, api_id = apis[api["name"]]
            fn_arns = {f"arn:aws:lambda:us-east-1:{account}:function:{fn}" for fn in api["integrations"]}
            if api_type == "HTTP":
                v2 = client(account, "apigatewayv2")
                integrations = v2.get_integrations(ApiId=api_id)["Items"]
                assert {i["IntegrationUri"] for i in integrations} == fn_arns
                assert {i["IntegrationType"] for i in integrations} == {"AWS_PROXY"}
                targets = {r["Target"] for r in v2.get_routes(ApiId=api_id)["Items"]}
                assert targets == {f"integrations/{i['IntegrationId']}" for i in integrations}
            else:
                apigw = client(account, "apigateway")
                uris, paths = set(), set()
                for resource in apigw.get_resources(restApiId=api_id, limit=500)["items"]:
                    if "ANY" in resource.get("resourceMethods", {}):
                        integration = apigw.get_integration(restApiId=api_id, resourceId=resource["id"],
                                                            httpMethod="ANY")
                        assert integration["type"] == "AWS_PROXY"
                        uris.add(integration["uri"])
                        paths.add(resource["path"])
                assert uris == {f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{a}/invocations"
                                for a in fn_arns}
                assert all(p.endswith("/{proxy+}") for p in paths) and len(paths) == len(fn_arns)


def test_deployed_account_has_stages_permissions_images_tasks(loaded: tuple[dict[str, Any], Any],
                                                               client: Any) -> None:
    """What real accounts have and Roster does not read: API stages, Lambda invoke permissions, images, tasks."""
    scenario, _ = loaded
    for account, region in regions(scenario):
        apis, lam = api_ids(client, account), client(account, "lambda")
        permitted: dict[str, set[str]] = {}
        for api in region["apis"]:
            api_type, api_id = apis[api["name"]]
            if api_type == "REST":
                stages = client(account, "apigateway").get_stages(restApiId=api_id)["item"]
                deployments = client(account, "apigateway").get_deployments(restApiId=api_id)["items"]
                assert [s["stageName"] for s in stages] == ([REST_STAGE] if api["integrations"] else [])
                assert [s["deploymentId"] for s in stages] == [d["id"] for d in deployments]
            else:
                stages = client(account, "apigatewayv2").get_stages(ApiId=api_id)["Items"]
                assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == (
                    [("$default", True)] if api["integrations"] else [])
            for fn in api["integrations"]:
                permitted.setdefault(fn, set()).add(api_id)
        for fn, api_set in permitted.items():
            statements = json.loads(lam.get_policy(FunctionName=fn)["Policy"])["Statement"]
            assert {s["Principal"]["Service"] for s in statements} == {"apigateway.amazonaws.com"}
            assert {s["Action"] for s in statements} == {"lambda:InvokeFunction"}
            assert {s["Condition"]["ArnLike"]["AWS:SourceArn"].split(":")[5].split("/")[0] for s in statements} == api_set
        ecr = client(account, "ecr")
        pulled = {s["image"].rsplit("/", 1)[1].lower() for s in declared(region, "ecs").values()
                  if s["image"] and f"{account}.dkr.ecr.us-east-1" in s["image"]}
        pushed = {f"{r.lower()}:{tag}" for r in region["ecr_repositories"]
                  for image in ecr.describe_images(repositoryName=r.lower())["imageDetails"] for tag in image["imageTags"]}
        assert pulled <= pushed and len(pushed) == len(region["ecr_repositories"])
        ecs = client(account, "ecs")
        for cluster in region["ecs_clusters"]:
            instances = ecs.list_container_instances(cluster=cluster["name"])["containerInstanceArns"]
            assert len(instances) == -(-sum(s["desired_count"] for s in cluster["services"]) // TASKS_PER_INSTANCE)
            services = {s["serviceName"]: s for s in ecs.describe_services(
                cluster=cluster["name"], services=[s["name"] for s in cluster["services"]])["services"]}
            for svc in cluster["services"]:
                found = services[svc["name"]]
                assert (found["runningCount"], found["pendingCount"]) == (svc["desired_count"], 0)
                # moto's ListTasks ignores serviceName: tasks are found by their deployment (startedBy)
                deployment = found["deployments"][0]["id"]
                arns = ecs.list_tasks(cluster=cluster["name"], startedBy=deployment)["taskArns"]
                tasks = ecs.describe_tasks(cluster=cluster["name"], tasks=arns)["tasks"] if arns else []
                assert [(t["group"], t["lastStatus"], t["taskDefinitionArn"]) for t in tasks] == [
                    (f"service:{svc['name']}", "RUNNING", found["taskDefinition"])] * svc["desired_count"]
                assert {t["containerInstanceArn"] for t in tasks} <= set(instances)


def test_event_source_mappings_connect_queues_to_lambdas(loaded: tuple[dict[str, Any], Any], client: Any) -> None:
    scenario, _ = loaded
    for account, region in regions(scenario):
        mappings = client(account, "lambda").list_event_source_mappings()["EventSourceMappings"]
        assert {(m["EventSourceArn"], m["FunctionArn"]) for m in mappings} == {
            (f"arn:aws:sqs:us-east-1:{account}:{f['sqs_trigger']}",
             f"arn:aws:lambda:us-east-1:{account}:function:{f['name']}")
            for f in region["lambdas"] if f["sqs_trigger"]}
        assert mappings


def test_report_arns_cover_the_truth(loaded: tuple[dict[str, Any], Any]) -> None:
    scenario, report = loaded
    refs = {ref for service in scenario["truth"]["services"] for ref in service["resources"]}
    assert refs and refs <= set(report.arns)
    stack_ref = next(r for r in refs if r.startswith("stack:"))
    account, region, name = stack_ref.split(":", 1)[1].split("/")
    assert report.arns[stack_ref].startswith(f"arn:aws:cloudformation:{region}:{account}:stack/{name}/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_plain_moto_server_gets_http_apis_outside_stacks_with_warnings() -> None:
    """Against moto's own server (no Roster extensions) the loader degrades and says so."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{endpoint}/moto-api/data.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        scenario = {"aws": {"accounts": [{"id": "444444444444", "name": "plain", "regions": [{
            "name": "us-east-1",
            "stacks": [{"name": "web", "tags": {"team": "web"}, "resources": ["api:site", "api:rest"]}],
            "ecs_clusters": [], "lambdas": [], "rds_instances": [], "sqs_queues": [], "ecr_repositories": [],
            "alarms": [],
            "apis": [{"name": "site", "type": "HTTP", "tags": {}, "integrations": []},
                     {"name": "rest", "type": "REST", "tags": {}, "integrations": []}],
        }]}]}}
        report = load_aws(scenario, endpoint)
        assert len(report.warnings) == 1 and "peers.moto_server" in report.warnings[0]
        assert len(report.accounts["444444444444"].warnings) == 2
        creds = account_credentials(endpoint, "444444444444")
        rows = boto3.client("cloudformation", region_name="us-east-1", **creds).list_stack_resources(
            StackName="web")["StackResourceSummaries"]
        assert [r["ResourceType"] for r in rows] == ["AWS::ApiGateway::RestApi"]
        site = boto3.client("apigatewayv2", region_name="us-east-1", **creds).get_apis()["Items"][0]
        assert site["Name"] == "site" and site["Tags"] == {"team": "web", "aws:cloudformation:stack-name": "web"}
    finally:
        proc.terminate()
        proc.wait(timeout=15)


EDGE_CASES = """
format: roster-scenario/1
name: edge-cases
aws:
  accounts:
  - id: "555555555555"
    regions:
    - name: eu-west-1
      stacks:
      - {name: s1, tags: {team: one}, resources: ["ecs:c2/svc-a", "lambda:fn-b", "sqs:nope"]}
      - {name: s2, resources: ["lambda:fn-b"]}
      - {name: empty}
      ecs_clusters:
      - name: c1
        services:
        - {name: svc-a, image: 555555555555.dkr.ecr.eu-west-1.amazonaws.com/svc-a:1, desired_count: 2, tags: {team: a}}
        - {name: svc-b}
      - name: c2
        services:
        - {name: svc-a, image: 555555555555.dkr.ecr.eu-west-1.amazonaws.com/svc-a:2}
      lambdas:
      - {name: fn-a, sqs_trigger: jobs.fifo}
      - {name: fn-b, runtime: nodejs20.x, sqs_trigger: missing-queue}
      apis:
      - {name: single, type: REST, integrations: [fn-a]}
      - {name: h, type: HTTP, integrations: [fn-a, ghost]}
      rds_instances:
      - {id: db-a, engine: mysql, tags: {team: a}}
      sqs_queues:
      - {name: jobs.fifo}
      ecr_repositories: [svc-a, Bad_Name]
      alarms:
      - {name: plain}
      - {name: db-high, state: ALARM, target: "rds:db-a"}
      - {name: lost, target: "ecs:c9/x"}
"""


def test_edge_cases_are_loaded_or_reported(moto_endpoint: str) -> None:
    from peers.scenario import parse_scenario

    report = load_aws(parse_scenario(EDGE_CASES), moto_endpoint)
    account = "555555555555"
    assert report.accounts[account].warnings == [
        "eu-west-1: API h integrates Lambda ghost, which this region does not declare; skipped",
        "eu-west-1: ECR repository name 'Bad_Name' is invalid on AWS; created as 'bad_name'",
        "eu-west-1: Lambda fn-b is triggered by queue missing-queue, which this region does not declare; skipped",
        "eu-west-1: alarm lost watches ecs:c9/x, which this region does not declare",
        "eu-west-1: lambda:fn-b is in stacks s1 and s2; kept in the first",
        "eu-west-1: stack s1 names sqs:nope, which this region does not declare; skipped",
    ]
    creds = account_credentials(moto_endpoint, account)

    def client(service: str) -> Any:
        return boto3.client(service, region_name="eu-west-1", **creds)

    ecs, cfn = client("ecs"), client("cloudformation")
    standalone = ecs.describe_services(cluster="c1", services=["svc-a", "svc-b"], include=["TAGS"])["services"]
    assert [(s["serviceName"], s["desiredCount"], s.get("tags", [])) for s in standalone] == [
        ("svc-a", 2, [{"key": "team", "value": "a"}]), ("svc-b", 1, [])]
    images = {s["clusterArn"].rsplit("/", 1)[1]: ecs.describe_task_definition(taskDefinition=s["taskDefinition"])[
        "taskDefinition"]["containerDefinitions"][0]["image"] for s in
        [*standalone[:1], *ecs.describe_services(cluster="c2", services=["svc-a"])["services"]]}
    assert images == {"c1": "555555555555.dkr.ecr.eu-west-1.amazonaws.com/svc-a:1",
                      "c2": "555555555555.dkr.ecr.eu-west-1.amazonaws.com/svc-a:2"}
    assert report.arns[f"ecs:{account}/eu-west-1/svc-a"] == f"arn:aws:ecs:eu-west-1:{account}:service/c1/svc-a"
    assert [r["ResourceType"] for r in cfn.list_stack_resources(StackName="s1")["StackResourceSummaries"]] == [
        "AWS::ECS::Service", "AWS::Lambda::Function"]
    assert cfn.list_stack_resources(StackName="s2")["StackResourceSummaries"] == []
    assert cfn.describe_stacks(StackName="empty")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    sqs = client("sqs")
    queue = sqs.get_queue_url(QueueName="jobs.fifo")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["FifoQueue"])["Attributes"] == {"FifoQueue": "true"}
    db = client("rds").describe_db_instances(DBInstanceIdentifier="db-a")["DBInstances"][0]
    assert (db["Engine"], db["Endpoint"]["Port"], db["TagList"]) == ("mysql", 3306, [{"Key": "team", "Value": "a"}])
    apigw = client("apigateway")
    single = next(a for a in apigw.get_rest_apis()["items"] if a["name"] == "single")
    assert sorted(r["path"] for r in apigw.get_resources(restApiId=single["id"])["items"]) == ["/", "/{proxy+}"]
    http = client("apigatewayv2").get_apis()["Items"][0]
    assert [r["RouteKey"] for r in client("apigatewayv2").get_routes(ApiId=http["ApiId"])["Items"]] == ["ANY /{proxy+}"]
    alarms = {a["AlarmName"]: a for a in client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert {n: (a["StateValue"], a["Dimensions"]) for n, a in alarms.items()} == {
        "plain": ("OK", []), "lost": ("OK", []),
        "db-high": ("ALARM", [{"Name": "DBInstanceIdentifier", "Value": "db-a"}])}
    mappings = client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert [m["FunctionArn"].rsplit(":", 1)[1] for m in mappings] == ["fn-a"]


def test_cli_prints_the_report(moto_endpoint: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from peers.aws_loader import main

    path = tmp_path / "tiny.yaml"
    path.write_text("format: roster-scenario/1\nname: tiny\naws:\n  accounts:\n  - id: '556677889900'\n"
                    "    name: tiny\n    regions:\n    - name: us-west-2\n      sqs_queues: [{name: q}]\n")
    main(["--endpoint", moto_endpoint, "--json", str(path)])
    printed = json.loads(capsys.readouterr().out)
    assert printed["accounts"]["556677889900"]["role_arn"] == "arn:aws:iam::556677889900:role/RosterDiscovery"
    assert printed["accounts"]["556677889900"]["counts"] == {"iam_roles": 2, "sqs_queues": 1}
    assert printed["arns"] == {"sqs:556677889900/us-west-2/q": "arn:aws:sqs:us-west-2:556677889900:q"}
