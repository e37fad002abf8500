"""Least privilege: environment variables (often secrets) of Lambda functions and ECS task
definitions are read by AWS's describe calls but must never reach a Fact, in memory or stored."""
from __future__ import annotations

import io
import zipfile

import boto3
import pytest
from moto import mock_aws

from discovery import facts as fact_kinds
from discovery import runs, store
from discovery.connectors.aws import scan
from discovery.models import Fact, FactLink
from discovery.tests.factories import ConnectionFactory

from .conftest import ACCOUNT

REGION = "ap-southeast-2"  # moto's state is process-wide: a region no other module uses
CANARY = "CANARYenv0secret"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def env_world():
    with mock_aws():
        s = boto3.Session(region_name=REGION)
        role = s.client("iam").create_role(RoleName="env-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = s.client("lambda")
        lam.create_function(FunctionName="with-env", Runtime="python3.12", Role=role, Handler="index.handler",
                            Code={"ZipFile": _zip()},
                            Environment={"Variables": {"DB_PASSWORD": f"{CANARY}-lambda",
                                                       f"{CANARY}_NAME": "value"}})
        # AWS returns the variables with the configuration: the scanner sees them
        config = lam.get_function_configuration(FunctionName="with-env")
        assert CANARY in repr(config["Environment"])

        ecs = s.client("ecs")
        ecs.create_cluster(clusterName="env-cluster")
        task_definition = ecs.register_task_definition(family="env-api", containerDefinitions=[{
            "name": "api", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/env-api:1", "memory": 128,
            "environment": [{"name": "API_TOKEN", "value": f"{CANARY}-ecs"}],
            "secrets": [{"name": "DB_URL", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{CANARY}"}],
        }])["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="env-cluster", serviceName="env-api", taskDefinition=task_definition,
                           desiredCount=1)
        described = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
        assert CANARY in repr(described["containerDefinitions"])
        yield


@pytest.fixture(scope="module")
def scanned(env_world):
    batches = []
    for kind in ("lambda_function", "ecs"):
        batches += list(scan(kind, boto3.Session(region_name=REGION), ACCOUNT, REGION))
    return batches


def test_scan_output_carries_no_environment(scanned):
    facts = [f for b in scanned for f in b.facts]
    assert {f.name for f in facts} >= {"with-env", "env-cluster", "env-api"}
    service = next(f for f in facts if f.kind == fact_kinds.ECS_SERVICE)
    assert service.attributes["images"] == [f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/env-api:1"]
    # every field of every fact, link and warning: attributes, tags, names, ids
    assert CANARY not in repr(scanned)
    for fact in facts:
        assert not {"environment", "secrets", "variables"} & {k.lower() for k in fact.attributes}


def test_whitelist_drops_environment_even_if_a_scanner_sent_it():
    raw = {"runtime": "python3.12", "Environment": {"Variables": {"DB_PASSWORD": CANARY}},
           "environment": [{"name": "X", "value": CANARY}], "secrets": [{"name": "Y", "valueFrom": CANARY}]}
    for kind in (fact_kinds.LAMBDA_FUNCTION, fact_kinds.ECS_SERVICE):
        assert CANARY not in repr(fact_kinds.clean_attributes(kind, raw))


@pytest.mark.django_db
def test_stored_facts_carry_no_environment(scanned, workspace):
    conn = ConnectionFactory()
    run = runs.create_scan_run(conn, selection={"kinds": ["lambda_function", "ecs"]})
    job = run.jobs.first()
    for batch in scanned:
        store.persist_batch(run, job, batch)
    stored = list(Fact.objects.filter(connection=conn).values())
    assert {row["name"] for row in stored} >= {"with-env", "env-api"}
    assert CANARY not in repr(stored)
    assert CANARY not in repr(list(FactLink.objects.filter(connection=conn).values()))
