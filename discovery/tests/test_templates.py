"""The CloudFormation template is data: tenant text cannot add keys, and the role trusts Roster only."""
import pytest
import yaml

from discovery import templates
from discovery.models import Connection

ADMIN_POLICY_INJECTION = ("arn:aws:iam::111111111111:role/Roster\n      ManagedPolicyArns:\n"
                          "        - AdministratorAccess")
TRUST_INJECTION = ("arn:aws:iam::111111111111:role/Roster\n      AssumeRolePolicyDocument: {Statement: "
                   "[{Effect: Allow, Principal: {AWS: '444444444444'}, Action: 'sts:AssumeRole'}]}")
NAME_INJECTION = "prod\nTransform: AWS::Serverless-2016-10-31\nMetadata: x"


@pytest.fixture
def platform(settings):
    settings.ROSTER_PLATFORM_ACCOUNT_ID = "999999999999"
    settings.ROSTER_AWS_PRINCIPAL_ARN = ""
    return settings


def connection(workspace, name="prod", **config):
    # Saved directly, as the admin's JSON field or a shell would: no API validation on the way in.
    return Connection.objects.create(workspace=workspace, provider="aws", name=name, config={
        "account_id": "111111111111", "role_arn": "arn:aws:iam::111111111111:role/RosterDiscovery", **config})


def parsed(conn) -> dict:
    return yaml.safe_load(templates.cloudformation_template(conn))


def assert_only_the_read_only_role(doc, conn, principal):
    assert set(doc) == {"AWSTemplateFormatVersion", "Description", "Parameters", "Resources", "Outputs"}
    assert set(doc["Parameters"]) == {"ExternalId"}
    assert doc["Parameters"]["ExternalId"]["Default"] == conn.external_id
    assert list(doc["Resources"]) == ["RosterDiscoveryRole"]
    role = doc["Resources"]["RosterDiscoveryRole"]
    assert role["Type"] == "AWS::IAM::Role"
    props = role["Properties"]
    assert set(props) <= {"RoleName", "Path", "MaxSessionDuration", "AssumeRolePolicyDocument", "Policies"}
    assert props["AssumeRolePolicyDocument"] == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}}]}
    [policy] = props["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == [{"Sid": "DiscoveryReads", "Effect": "Allow", "Action": templates.READ_ACTIONS, "Resource": "*"}]
    assert doc["Outputs"] == {"RoleArn": {"Value": {"Fn::GetAtt": ["RosterDiscoveryRole", "Arn"]},
                                          "Description": "Paste this ARN into the Roster connection."}}
    return props


@pytest.mark.parametrize("role_arn", [ADMIN_POLICY_INJECTION, TRUST_INJECTION])
def test_hostile_role_arn_cannot_add_keys(workspace, platform, role_arn):
    conn = connection(workspace, role_arn=role_arn)
    props = assert_only_the_read_only_role(parsed(conn), conn, "arn:aws:iam::999999999999:root")
    assert props["RoleName"] == templates.DEFAULT_ROLE_NAME and "Path" not in props


def test_hostile_connection_name_cannot_add_keys(workspace, platform):
    conn = connection(workspace, name=NAME_INJECTION)
    doc = parsed(conn)
    assert_only_the_read_only_role(doc, conn, "arn:aws:iam::999999999999:root")
    assert NAME_INJECTION in doc["Description"]


def test_trusted_principal_comes_from_settings_only(workspace, platform):
    conn = connection(workspace, roster_principal_arn="arn:aws:iam::444444444444:root")
    assert_only_the_read_only_role(parsed(conn), conn, "arn:aws:iam::999999999999:root")
    platform.ROSTER_AWS_PRINCIPAL_ARN = "arn:aws:iam::999999999999:role/roster-workers"
    assert_only_the_read_only_role(parsed(conn), conn, "arn:aws:iam::999999999999:role/roster-workers")
    assert "444444444444" not in templates.cloudformation_template(conn)


def test_role_name_and_path_come_from_the_validated_arn(workspace, platform):
    conn = connection(workspace, role_arn="arn:aws:iam::111111111111:role/platform/discovery/Roster.Read-1")
    props = assert_only_the_read_only_role(parsed(conn), conn, "arn:aws:iam::999999999999:root")
    assert (props["RoleName"], props["Path"]) == ("Roster.Read-1", "/platform/discovery/")


def test_api_key_values_and_secrets_are_denied(workspace, platform):
    statements = parsed(connection(workspace))["Resources"]["RosterDiscoveryRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    assert "apigateway:GET" in statements[0]["Action"]  # the scanners need it...
    [keys] = [s for s in statements if s.get("Sid") == "NoApiKeyValues"]  # ...but not for API key values
    assert keys["Effect"] == "Deny" and keys["Action"] == "apigateway:GET"
    assert {r["Fn::Sub"] for r in keys["Resource"]} == {
        "arn:${AWS::Partition}:apigateway:*::/apikeys", "arn:${AWS::Partition}:apigateway:*::/apikeys/*",
        "arn:${AWS::Partition}:apigateway:*::/usageplans/*/keys",
        "arn:${AWS::Partition}:apigateway:*::/usageplans/*/keys/*"}
    [deny] = [s for s in statements if s.get("Sid") == "NoSecretsDataOrCode"]
    assert {"secretsmanager:GetSecretValue", "kms:Decrypt", "lambda:GetFunction"} <= set(deny["Action"])
    assert not set(deny["Action"]) & set(templates.READ_ACTIONS)  # nothing the scanners need is denied
