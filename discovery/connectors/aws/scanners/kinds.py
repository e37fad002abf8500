"""The kind groups an AWS job scans, the fact kinds each emits and the IAM actions each needs."""
from __future__ import annotations

from dataclasses import dataclass

from discovery.facts import (
    APIGW_HTTP_API, APIGW_REST_API, CFN_STACK, CLOUDWATCH_ALARM, ECR_REPOSITORY, ECS_CLUSTER, ECS_SERVICE,
    LAMBDA_FUNCTION, RDS_CLUSTER, RDS_INSTANCE, SQS_QUEUE,
)


@dataclass(frozen=True)
class KindGroup:
    name: str                     # what ``scan`` takes
    fact_kinds: tuple[str, ...]   # discovery.facts kinds it emits
    actions: tuple[str, ...]      # IAM actions it needs


KINDS: dict[str, KindGroup] = {g.name: g for g in (
    KindGroup("cloudformation_stack", (CFN_STACK,),
              ("cloudformation:ListStacks", "cloudformation:DescribeStacks", "cloudformation:ListStackResources")),
    KindGroup("ecs", (ECS_CLUSTER, ECS_SERVICE),
              ("ecs:ListClusters", "ecs:DescribeClusters", "ecs:ListServices", "ecs:DescribeServices",
               "ecs:DescribeTaskDefinition")),
    KindGroup("lambda_function", (LAMBDA_FUNCTION,),
              ("lambda:ListFunctions", "lambda:ListTags", "lambda:ListEventSourceMappings")),
    KindGroup("apigateway_rest_api", (APIGW_REST_API,), ("apigateway:GET",)),
    KindGroup("apigateway_http_api", (APIGW_HTTP_API,), ("apigateway:GET",)),
    KindGroup("rds", (RDS_INSTANCE, RDS_CLUSTER),
              ("rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:ListTagsForResource")),
    KindGroup("sqs_queue", (SQS_QUEUE,), ("sqs:ListQueues", "sqs:GetQueueAttributes", "sqs:ListQueueTags")),
    KindGroup("ecr_repository", (ECR_REPOSITORY,), ("ecr:DescribeRepositories", "ecr:ListTagsForResource")),
    KindGroup("cloudwatch_alarm", (CLOUDWATCH_ALARM,),
              ("cloudwatch:DescribeAlarms", "tag:GetResources", "apigateway:GET")),
)}
# Everything the Roster role's policy must allow (scan_tags needs tag:GetResources).
REQUIRED_ACTIONS: tuple[str, ...] = tuple(sorted({a for g in KINDS.values() for a in g.actions} | {"tag:GetResources"}))
