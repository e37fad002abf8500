"""ARNs of the resources we scan, built from their parts or found in other resources' fields
(formats fixed in CONTRIBUTING.md, "Reference: external id formats")."""
from __future__ import annotations

import re
from urllib.parse import urlparse

from discovery.facts import (
    APIGW_HTTP_API, APIGW_REST_API, CFN_STACK, CLOUDWATCH_ALARM, ECR_REPOSITORY, ECS_CLUSTER, ECS_SERVICE,
    LAMBDA_FUNCTION, RDS_CLUSTER, RDS_INSTANCE, SQS_QUEUE,
)


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def ecs_cluster_arn(region: str, account: str, cluster: str) -> str:
    return f"arn:{partition(region)}:ecs:{region}:{account}:cluster/{cluster}"


def ecs_service_arn(region: str, account: str, cluster: str, service: str) -> str:
    return f"arn:{partition(region)}:ecs:{region}:{account}:service/{cluster}/{service}"


def lambda_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:lambda:{region}:{account}:function:{name}"


def rest_api_arn(region: str, api_id: str) -> str:
    return f"arn:{partition(region)}:apigateway:{region}::/restapis/{api_id}"


def http_api_arn(region: str, api_id: str) -> str:
    return f"arn:{partition(region)}:apigateway:{region}::/apis/{api_id}"


def rds_instance_arn(region: str, account: str, db_id: str) -> str:
    return f"arn:{partition(region)}:rds:{region}:{account}:db:{db_id}"


def rds_cluster_arn(region: str, account: str, cluster_id: str) -> str:
    return f"arn:{partition(region)}:rds:{region}:{account}:cluster:{cluster_id}"


def sqs_arn(region: str, account: str, queue: str) -> str:
    return f"arn:{partition(region)}:sqs:{region}:{account}:{queue}"


def sqs_arn_from_url(url: str, region: str, account: str) -> str:
    """Queue URLs are https://sqs.<region>.amazonaws.com/<account>/<name> (moto: any host)."""
    parts = [p for p in urlparse(url).path.split("/") if p]
    queue_account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else account
    return sqs_arn(region, queue_account, parts[-1] if parts else url)


def ecr_repository_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:ecr:{region}:{account}:repository/{name}"


def alarm_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:cloudwatch:{region}:{account}:alarm:{name}"


_LAMBDA_ARN = re.compile(
    r"arn:(aws[\w-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::[^/:]+)?(?=/|$)")
_ECR_IMAGE = re.compile(
    r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::[^@]*)?(?:@.*)?$")


def lambda_arn_from(text: str | None) -> str | None:
    """The unqualified function ARN in a function ARN or an API Gateway integration URI
    (…/functions/arn:aws:lambda:…:function:NAME[:alias]/invocations); None for stage variables."""
    match = _LAMBDA_ARN.search(text or "")
    if not match:
        return None
    part, region, account, name = match.groups()
    return f"arn:{part}:lambda:{region}:{account}:function:{name}"


def ecr_repository_from_image(image: str) -> str | None:
    match = _ECR_IMAGE.match(image or "")
    if not match:
        return None
    account, region, repo = match.groups()
    return ecr_repository_arn(region, account, repo)


def resource_arn(resource_type: str, physical_id: str | None, region: str, account: str) -> tuple[str, str] | None:
    """(kind, ARN) of a CloudFormation resource of a type we scan, from its physical id."""
    if not physical_id:
        return None
    is_arn = physical_id.startswith("arn:")
    if resource_type == "AWS::ECS::Service" and is_arn:
        return ECS_SERVICE, physical_id
    if resource_type == "AWS::ECS::Cluster":
        return ECS_CLUSTER, physical_id if is_arn else ecs_cluster_arn(region, account, physical_id)
    if resource_type == "AWS::Lambda::Function":
        return LAMBDA_FUNCTION, lambda_arn_from(physical_id) if is_arn else lambda_arn(region, account, physical_id)
    if resource_type == "AWS::RDS::DBInstance":
        return RDS_INSTANCE, rds_instance_arn(region, account, physical_id)
    if resource_type == "AWS::RDS::DBCluster":
        return RDS_CLUSTER, rds_cluster_arn(region, account, physical_id)
    if resource_type == "AWS::SQS::Queue":
        return SQS_QUEUE, physical_id if is_arn else sqs_arn_from_url(physical_id, region, account)
    if resource_type == "AWS::ApiGateway::RestApi":
        return APIGW_REST_API, rest_api_arn(region, physical_id)
    if resource_type == "AWS::ApiGatewayV2::Api":
        return APIGW_HTTP_API, http_api_arn(region, physical_id)
    if resource_type == "AWS::ECR::Repository":
        return ECR_REPOSITORY, physical_id if is_arn else ecr_repository_arn(region, account, physical_id)
    if resource_type == "AWS::CloudWatch::Alarm":
        return CLOUDWATCH_ALARM, physical_id if is_arn else alarm_arn(region, account, physical_id)
    if resource_type == "AWS::CloudFormation::Stack" and is_arn:
        return CFN_STACK, physical_id
    return None
