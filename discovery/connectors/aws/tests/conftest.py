"""Fixtures: a moto account holding one or more resources of every kind the scanners read."""
from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
ECR_HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"

STACK_TEMPLATE = {
    "Description": "orders service",
    "Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "stack-cluster"}},
        "TaskDef": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "Family": "stack-web",
            "ContainerDefinitions": [{"Name": "web", "Image": f"{ECR_HOST}/stack-web:7", "Memory": 128}]}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
            "ServiceName": "stack-web", "Cluster": {"Ref": "Cluster"}, "TaskDefinition": {"Ref": "TaskDef"},
            "DesiredCount": 1}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "stack-queue"}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "stack-fn", "Runtime": "python3.12", "Handler": "index.handler",
            "Role": f"arn:aws:iam::{ACCOUNT}:role/lambda-role", "Code": {"ZipFile": "def handler(e, c): pass"}}},
    },
}


@pytest.fixture(scope="session", autouse=True)
def fake_credentials():
    # Never let a test reach for real credentials or a real account.
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.delenv(name, raising=False)
        yield


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def world():
    """Create the account's resources once per module (scans only read); yields the ids tests assert."""
    with mock_aws():
        s = boto3.Session(region_name=REGION)
        ids: dict = {}
        role = s.client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

        cfn = s.client("cloudformation")
        ids["stack"] = cfn.create_stack(StackName="orders", TemplateBody=json.dumps(STACK_TEMPLATE),
                                        Tags=[{"Key": "team", "Value": "orders"}])["StackId"]

        ecs = s.client("ecs")
        ecs.create_cluster(clusterName="main", tags=[{"key": "env", "value": "prod"}])
        ids["task_definition"] = ecs.register_task_definition(family="api", containerDefinitions=[
            {"name": "api", "image": f"{ECR_HOST}/team/api:1.2", "memory": 128},
            {"name": "proxy", "image": "nginx:1.27", "memory": 64}])["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="main", serviceName="api", taskDefinition=ids["task_definition"],
                           desiredCount=2, launchType="FARGATE", tags=[{"key": "team", "value": "core"}])

        sqs = s.client("sqs")
        jobs_url = sqs.create_queue(QueueName="jobs", tags={"team": "core"})["QueueUrl"]
        ids["jobs_url"] = jobs_url
        ids["events_url"] = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]

        lam = s.client("lambda")
        worker = lam.create_function(FunctionName="worker", Runtime="python3.12", Role=role, Handler="index.handler",
                                     Code={"ZipFile": _zip()}, Description="drains jobs", MemorySize=256,
                                     Tags={"team": "core"})
        ids["worker_modified"] = worker["LastModified"]
        lam.create_event_source_mapping(EventSourceArn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs", FunctionName="worker")

        apigw = s.client("apigateway")
        rest = apigw.create_rest_api(name="orders-api", description="public orders", tags={"team": "orders"},
                                     endpointConfiguration={"types": ["REGIONAL"]})
        ids["rest_api"] = rest["id"]
        root = apigw.get_resources(restApiId=rest["id"])["items"][0]["id"]
        resource = apigw.create_resource(restApiId=rest["id"], parentId=root, pathPart="orders")
        for method in ("GET", "POST"):
            apigw.put_method(restApiId=rest["id"], resourceId=resource["id"], httpMethod=method,
                             authorizationType="NONE")
            apigw.put_integration(
                restApiId=rest["id"], resourceId=resource["id"], httpMethod=method, type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{worker['FunctionArn']}:live/invocations")

        v2 = s.client("apigatewayv2")
        http = v2.create_api(Name="webhooks", ProtocolType="HTTP", Description="inbound hooks", Tags={"team": "core"})
        ids["http_api"] = http["ApiId"]
        ids["http_endpoint"] = http["ApiEndpoint"]
        v2.create_integration(ApiId=http["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=worker["FunctionArn"],
                              PayloadFormatVersion="2.0")
        v2.create_integration(ApiId=http["ApiId"], IntegrationType="HTTP_PROXY", IntegrationUri="https://example.com",
                              IntegrationMethod="ANY", PayloadFormatVersion="1.0")

        rds = s.client("rds")
        rds.create_db_cluster(DBClusterIdentifier="orders-db", Engine="aurora-postgresql", MasterUsername="admin1",
                              MasterUserPassword="password123", Tags=[{"Key": "team", "Value": "orders"}])
        rds.create_db_instance(DBInstanceIdentifier="orders-db-1", DBInstanceClass="db.r6g.large",
                               Engine="aurora-postgresql", DBClusterIdentifier="orders-db",
                               Tags=[{"Key": "team", "Value": "orders"}])
        rds.create_db_instance(DBInstanceIdentifier="legacy", DBInstanceClass="db.t3.micro", Engine="postgres",
                               MasterUsername="admin1", MasterUserPassword="password123", AllocatedStorage=20)

        ecr = s.client("ecr")
        ecr.create_repository(repositoryName="team/api", tags=[{"Key": "team", "Value": "core"}])

        cw = s.client("cloudwatch")
        alarm = {"Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
                 "ComparisonOperator": "GreaterThanThreshold"}
        for name, namespace, metric, dims in (
                ("worker-errors", "AWS/Lambda", "Errors", {"FunctionName": "worker"}),
                ("api-cpu", "AWS/ECS", "CPUUtilization", {"ClusterName": "main", "ServiceName": "api"}),
                ("db-cpu", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "legacy"}),
                ("jobs-age", "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": "jobs"}),
                ("rest-5xx", "AWS/ApiGateway", "5XXError", {"ApiName": "orders-api"}),
                ("http-5xx", "AWS/ApiGateway", "5xx", {"ApiId": http["ApiId"]})):
            cw.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName=metric,
                                Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
                                Tags=[{"Key": "alarm", "Value": name}], **alarm)
        yield ids


@pytest.fixture(scope="session")
def base_session(fake_credentials):
    # One Session for all stubbed clients: it caches the loaded service models (a new one costs ~1 s).
    return boto3.Session(region_name=REGION)


@pytest.fixture
def stubbed(base_session):
    """make(service) -> (client, Stubber) with our client config; every queued response must be used."""
    from botocore.stub import Stubber

    from discovery.connectors.aws.session import client

    stubbers = []

    def make(service: str, region: str = REGION):
        stubbed_client = client(base_session, service, region)
        stubber = Stubber(stubbed_client)
        stubber.activate()
        stubbers.append(stubber)
        return stubbed_client, stubber

    yield make
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


class SleepRecorder:
    """Stands in for time.sleep: records what the backoff asked for instead of waiting."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(autouse=True)
def serial_calls(monkeypatch):
    """The Stubber answers in a fixed order: fan-out calls run one at a time in these tests."""
    from discovery.connectors.aws.scanners import run

    monkeypatch.setattr(run, "PARALLEL_CALLS", 1)
