"""Retries (throttling only, real backoff computed and 'slept'), error mapping and sanitization."""
from __future__ import annotations

import time
import traceback

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from discovery.connectors.aws import CallStats, RetryPolicy, ScanFailure, scan
from discovery.connectors.aws.errors import failure_from, sanitize
from discovery.connectors.aws.retry import call
from discovery.connectors.aws.session import assume_role

from .conftest import ACCOUNT, REGION, SleepRecorder

ARN = f"{REGION}:{ACCOUNT}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/roster"


def policy(**kwargs):
    recorder = SleepRecorder()
    return RetryPolicy(sleep=recorder, **kwargs), recorder


def test_throttling_twice_then_success_backs_off_with_full_jitter(stubbed):
    ecs, stub = stubbed("ecs")
    stub.add_client_error("list_clusters", "Throttling", "Rate exceeded", 400)
    stub.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", 400)
    stub.add_response("list_clusters", {"clusterArns": ["arn:aws:ecs:us-east-1:1:cluster/a"]})
    retry_policy, slept = policy(base=0.2, cap=10.0)
    stats = CallStats()
    assert call(stats, ecs, "list_clusters", retry_policy=retry_policy)["clusterArns"]
    assert (stats.api_calls, stats.retries, stats.throttled) == (3, 2, 2)
    assert stats.per_operation == {"ecs:ListClusters": 3}
    assert len(slept.calls) == 2
    assert 0 <= slept.calls[0] <= 0.2 and 0 <= slept.calls[1] <= 0.4  # window doubles from the base
    assert stats.wait_seconds == pytest.approx(sum(slept.calls))


def test_backoff_window_is_capped_and_gives_up_after_the_attempts(stubbed):
    ecs, stub = stubbed("ecs")
    for _ in range(5):
        stub.add_client_error("list_clusters", "RequestLimitExceeded", "slow down", 503)
    retry_policy, slept = policy(attempts=5, base=1.0, cap=1.5)
    stats = CallStats()
    with pytest.raises(ScanFailure) as raised:
        call(stats, ecs, "list_clusters", retry_policy=retry_policy)
    assert (raised.value.reason_code, raised.value.retryable) == ("throttled", True)
    assert "after 5 attempts" in raised.value.message
    assert (stats.api_calls, stats.retries, stats.throttled) == (5, 4, 5)
    assert len(slept.calls) == 4 and all(0 <= s <= 1.5 for s in slept.calls)


@pytest.mark.parametrize("code,status", [
    ("TooManyRequestsException", 429), ("ProvisionedThroughputExceededException", 400), ("SlowDown", 503),
    ("ServiceUnavailable", 503), ("SomethingNew", 429), ("InternalFailure", 503)])
def test_all_throttling_signals_are_retried(stubbed, code, status):
    sqs, stub = stubbed("sqs")
    stub.add_client_error("list_queues", code, "busy", status)
    stub.add_response("list_queues", {})
    retry_policy, slept = policy()
    stats = CallStats()
    call(stats, sqs, "list_queues", retry_policy=retry_policy)
    assert (stats.api_calls, stats.retries, len(slept.calls)) == (2, 1, 1)


@pytest.mark.parametrize("code,status,reason", [
    ("AccessDenied", 403, "access_denied"), ("AccessDeniedException", 400, "access_denied"),
    ("UnauthorizedOperation", 403, "access_denied"), ("InvalidClientTokenId", 403, "invalid_credentials"),
    ("UnrecognizedClientException", 400, "invalid_credentials"), ("SignatureDoesNotMatch", 403, "invalid_credentials"),
    ("AuthFailure", 401, "invalid_credentials"), ("ExpiredToken", 400, "expired_credentials"),
    ("ValidationException", 400, "unexpected_response"), ("InvalidParameterException", 400, "unexpected_response")])
def test_credential_permission_and_validation_errors_are_not_retried(stubbed, code, status, reason):
    ecs, stub = stubbed("ecs")
    stub.add_client_error("list_services", code, "no", status)
    retry_policy, slept = policy()
    stats = CallStats()
    with pytest.raises(ScanFailure) as raised:
        call(stats, ecs, "list_services", retry_policy=retry_policy, cluster="main")
    assert raised.value.reason_code == reason
    assert (stats.api_calls, stats.retries, slept.calls) == (1, 0, [])


def test_access_denied_names_the_iam_action_to_add(stubbed):
    ecs, stub = stubbed("ecs")
    stub.add_client_error("list_services", "AccessDeniedException",
                          "User: arn:aws:sts::123456789012:assumed-role/roster/s is not authorized to perform: "
                          "ecs:ListServices", 400)
    with pytest.raises(ScanFailure) as raised:
        call(CallStats(), ecs, "list_services", cluster="main")
    failure = raised.value
    assert (failure.reason_code, failure.retryable, failure.operation) == ("access_denied", False, "ecs:ListServices")
    assert failure.remediation == "Add ecs:ListServices to the Roster role's policy (see the CloudFormation template)"


def test_api_gateway_reads_need_apigateway_get(stubbed):
    v2, stub = stubbed("apigatewayv2")
    stub.add_client_error("get_apis", "AccessDeniedException", "denied", 403)
    with pytest.raises(ScanFailure) as raised:
        list(scan("apigateway_http_api", {"apigatewayv2": v2}, ACCOUNT, REGION))
    assert raised.value.remediation.startswith("Add apigateway:GET to the Roster role's policy")


def test_assume_role_with_a_wrong_external_id_is_refused(stubbed):
    sts, stub = stubbed("sts")
    stub.add_client_error(
        "assume_role", "AccessDenied",
        f"User: arn:aws:iam::999999999999:user/roster is not authorized to perform: sts:AssumeRole on resource: {ROLE}",
        403, expected_params={"RoleArn": ROLE, "RoleSessionName": "roster-discovery", "ExternalId": "wrong-id",
                              "DurationSeconds": 3600})
    with pytest.raises(ScanFailure) as raised:
        assume_role(sts, ROLE, "wrong-id", region=REGION)
    failure = raised.value
    assert (failure.reason_code, failure.item, failure.retryable) == ("assume_role_refused", ROLE, False)
    assert "ExternalId" in failure.remediation and "trust policy" in failure.remediation


def test_assume_role_in_a_disabled_opt_in_region(stubbed):
    sts, stub = stubbed("sts", region="af-south-1")
    stub.add_client_error("assume_role", "InvalidClientTokenId", "The security token included in the request is invalid",
                          403)
    with pytest.raises(ScanFailure) as raised:
        assume_role(sts, ROLE, "ext", region="af-south-1")
    assert raised.value.reason_code == "region_not_enabled"
    assert "af-south-1" in raised.value.remediation


def test_assume_role_success_returns_a_session_with_the_temporary_credentials(stubbed):
    sts, stub = stubbed("sts")
    stub.add_response("assume_role", {"Credentials": {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "s" * 40, "SessionToken": "t" * 120,
        "Expiration": "2030-01-01T00:00:00Z"}})
    session = assume_role(sts, ROLE, "ext", region=REGION)
    creds = session.get_credentials()
    assert (creds.access_key, creds.token, session.region_name) == ("ASIAEXAMPLEEXAMPLE12", "t" * 120, REGION)


def client_error(code, message="", status=400):
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "ListFunctions")


@pytest.mark.parametrize("exc,region,reason,retryable", [
    (client_error("OptInRequired", "You are not subscribed to this service"), "us-east-1", "region_not_enabled", False),
    (client_error("InvalidClientTokenId"), "me-south-1", "region_not_enabled", False),
    (client_error("InvalidClientTokenId"), "us-east-1", "invalid_credentials", False),
    (client_error("UnrecognizedClientException", "The security token is invalid: the region is not enabled"),
     "eu-west-1", "region_not_enabled", False),
    (client_error("AuthFailure"), "ap-east-1", "region_not_enabled", False),
    (client_error("ExpiredTokenException"), "us-east-1", "expired_credentials", True),
    (EndpointConnectionError(endpoint_url="https://lambda.xx-nowhere-1.amazonaws.com/"), "xx-nowhere-1",
     "endpoint_unreachable", True),
    (ConnectTimeoutError(endpoint_url="https://lambda.us-east-1.amazonaws.com/"), "us-east-1", "endpoint_unreachable", True),
    (KeyError("FunctionArn"), "us-east-1", "unexpected_response", False),
])
def test_failure_mapping(exc, region, reason, retryable):
    failure = failure_from(exc, operation="lambda:ListFunctions", region=region)
    assert (failure.reason_code, failure.retryable) == (reason, retryable)
    assert failure.remediation


def test_one_item_failing_is_a_warning_and_the_scan_goes_on(stubbed):
    lam, stub = stubbed("lambda")
    stub.add_response("list_event_source_mappings", {"EventSourceMappings": []})
    stub.add_response("list_functions", {"Functions": [
        {"FunctionName": n, "FunctionArn": f"arn:aws:lambda:{ARN}:function:{n}"} for n in ("locked", "open")]})
    stub.add_client_error("list_tags", "AccessDeniedException", "not authorized to perform: lambda:ListTags", 403)
    stub.add_response("list_tags", {"Tags": {"team": "core"}})
    batches = list(scan("lambda_function", {"lambda": lam}, ACCOUNT, REGION))
    facts = [f for b in batches for f in b.facts]
    assert [(f.name, f.tags) for f in facts] == [("locked", {}), ("open", {"team": "core"})]
    warnings = [w for b in batches for w in b.warnings]
    assert [(w["reason_code"], w["item"]) for w in warnings] == [("access_denied", f"arn:aws:lambda:{ARN}:function:locked")]
    assert "lambda:ListTags" in warnings[0]["message"]


def test_a_kind_failing_mid_scan_keeps_the_batches_already_yielded(stubbed):
    lam, stub = stubbed("lambda")
    stub.add_response("list_event_source_mappings", {"EventSourceMappings": []})
    stub.add_response("list_functions", {"Functions": [
        {"FunctionName": "a", "FunctionArn": f"arn:aws:lambda:{ARN}:function:a"}], "NextMarker": "m"})
    stub.add_response("list_tags", {"Tags": {}})
    stub.add_client_error("list_functions", "Throttling", "Rate exceeded", 400)
    stub.add_client_error("list_functions", "Throttling", "Rate exceeded", 400)
    retry_policy, slept = policy(attempts=2)
    stats = CallStats()
    generator = scan("lambda_function", {"lambda": lam}, ACCOUNT, REGION, batch_size=1, stats=stats,
                     retry_policy=retry_policy)
    first = next(generator)
    assert [f.name for f in first.facts] == ["a"] and first.api_calls == 3
    with pytest.raises(ScanFailure) as raised:
        next(generator)
    assert raised.value.reason_code == "throttled"
    assert (stats.api_calls, stats.throttled, len(slept.calls)) == (5, 2, 1)


def test_lambda_list_denied_fails_the_kind_with_its_remediation(stubbed):
    lam, stub = stubbed("lambda")
    stub.add_response("list_event_source_mappings", {"EventSourceMappings": []})
    stub.add_client_error("list_functions", "AccessDeniedException", "denied", 403)
    with pytest.raises(ScanFailure) as raised:
        list(scan("lambda_function", {"lambda": lam}, ACCOUNT, REGION))
    assert raised.value.remediation == (
        "Add lambda:ListFunctions to the Roster role's policy (see the CloudFormation template)")


def test_a_response_missing_expected_keys_is_unexpected_response(stubbed):
    ecs, stub = stubbed("ecs")
    cluster = f"arn:aws:ecs:{ARN}:cluster/c"
    stub.add_response("list_clusters", {"clusterArns": [cluster]})
    stub.add_response("describe_clusters", {"clusters": [{"clusterArn": cluster, "clusterName": "c"}]})
    stub.add_response("list_services", {"serviceArns": [f"arn:aws:ecs:{ARN}:service/c/s"]})
    stub.add_response("describe_services", {"services": [{"serviceName": "s"}]})  # no serviceArn
    with pytest.raises(ScanFailure) as raised:
        list(scan("ecs", {"ecs": ecs}, ACCOUNT, REGION))
    assert raised.value.reason_code == "unexpected_response"


CANARIES = {
    "access key": "AKIACANARY0000000001",
    "temporary key": "ASIACANARY0000000002",
    "secret": "CANARYsecret0wJalrXUtnFEMI/K7MDENG+bPxRfiCY",
    "session token": "IQoJb3JpZ2luX2VjCANARY" + "A" * 150,
}


def test_sanitization_keeps_canary_secrets_out_of_the_failure(stubbed):
    ecs, stub = stubbed("ecs")
    message = (f"User with key {CANARIES['access key']} (temp {CANARIES['temporary key']}) secret "
               f"{CANARIES['secret']} token {CANARIES['session token']} Authorization: Bearer CANARYbearer.jwt "
               "X-Amz-Security-Token=CANARYheader password: CANARYpw Request ID: CANARY-req-42 "
               "is not authorized to perform: ecs:ListClusters")
    stub.add_client_error("list_clusters", "AccessDeniedException", message, 403)
    with pytest.raises(ScanFailure) as raised:
        call(CallStats(), ecs, "list_clusters")
    failure = raised.value
    shown = " ".join([failure.message, failure.remediation, str(failure), repr(failure.as_dict()),
                      repr(failure.as_warning()), "".join(traceback.format_exception(failure))])
    assert "CANARY" not in shown
    assert failure.reason_code == "access_denied" and failure.message.startswith("Access denied to ecs:ListClusters")
    assert len(failure.message) <= 300


@pytest.mark.parametrize("raw,kept", [
    ("Bearer abc.def.ghi rejected", "rejected"),
    ("aws_secret_access_key=abc123 bad", "bad"),
    ("bad request <?xml version='1.0'?><Error><Secret>x</Secret></Error>", "bad request"),
    ("word " * 200, "word word"),
])
def test_sanitize(raw, kept):
    clean = sanitize(raw)
    assert kept in clean and len(clean) <= 300
    assert "abc" not in clean and "<Secret>" not in clean


@pytest.mark.parametrize("raw", [
    "Authorization: Bearer CANARYbearer.jwt",
    "Authorization: Basic CANARYdXNlcjpwYXNz rejected",
    "token secret_access_key_x:CANARYvalue",
    "a=secret=CANARYchained rest",
    '"SessionToken": "CANARYjson"',
])
def test_one_scrubber_never_hides_a_secret_from_another(raw):
    assert "CANARY" not in sanitize(raw)


def test_a_secret_cut_by_the_scrubbed_prefix_is_dropped_not_shown():
    # the request id is removed whole, so what follows the 4 KB cut would reach the 300 shown characters
    secret = "CANARY" + "A" * 34  # 40 base64 characters: a secret access key's shape
    raw = "RequestId: " + "r" * 4070 + " " + secret + " tail"
    assert "CANARY" not in sanitize(raw)


@pytest.mark.parametrize("shape", [
    "secret" * 3000, "a" * 20000, "x-token=" * 3000, "a=" * 10000, "AKIA" * 5000,
    "token " * 4000, "A/" * 10000, ("password" + " " * 50) * 300, "{ " * 10000,
])
def test_sanitize_is_fast_on_hostile_messages(shape):
    start = time.process_time()
    clean = sanitize(shape + " CANARYtail=secret")
    assert time.process_time() - start < 0.5
    assert len(clean) <= 300
