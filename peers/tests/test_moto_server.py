"""moto's server started in-process, its CloudFormation extensions and reset."""
from __future__ import annotations

import json

import boto3
import pytest
import requests

from peers.aws_loader import account_credentials
from peers.moto_server import reset, start_moto


def test_in_process_server_keeps_accounts_apart_and_resets() -> None:
    endpoint, stop = start_moto()
    try:
        queues = {}
        for account in ("111111111111", "222222222222"):
            sqs = boto3.client("sqs", region_name="us-east-1", **account_credentials(endpoint, account))
            sqs.create_queue(QueueName=f"q-{account}")
            queues[account] = sqs
        assert {a: [u.rsplit("/", 2)[1:] for u in c.list_queues()["QueueUrls"]] for a, c in queues.items()} == {
            "111111111111": [["111111111111", "q-111111111111"]], "222222222222": [["222222222222", "q-222222222222"]]}
        cfn = boto3.client("cloudformation", region_name="us-east-1", **account_credentials(endpoint, "111111111111"))
        cfn.create_stack(StackName="apis", TemplateBody=json.dumps({"Resources": {
            "Http": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "h", "ProtocolType": "HTTP",
                                                                      "Tags": {"team": {"Ref": "AWS::StackName"}}}},
            "Rest": {"Type": "AWS::ApiGateway::RestApi",
                     "Properties": {"Name": "r", "Tags": [{"Key": "k", "Value": "v"}]}},
        }}))
        rows = {r["ResourceType"]: r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName="apis")[
            "StackResourceSummaries"]}
        creds = account_credentials(endpoint, "111111111111")
        v2 = boto3.client("apigatewayv2", region_name="us-east-1", **creds)
        http = v2.get_api(ApiId=rows["AWS::ApiGatewayV2::Api"])
        rest = boto3.client("apigateway", region_name="us-east-1", **creds).get_rest_api(
            restApiId=rows["AWS::ApiGateway::RestApi"])
        assert (http["Name"], http["Tags"], rest["name"], rest["tags"]) == ("h", {"team": "apis"}, "r", {"k": "v"})
        cfn.delete_stack(StackName="apis")
        assert v2.get_apis()["Items"] == []
        reset(endpoint)
        assert boto3.client("sqs", region_name="us-east-1", **account_credentials(endpoint, "111111111111")
                            ).list_queues().get("QueueUrls", []) == []
    finally:
        stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{endpoint}/moto-api/data.json", timeout=2)
