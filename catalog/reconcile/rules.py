"""Matching rules: the confidence of each rule, and which resource kinds and stacks count as what."""
from __future__ import annotations

from discovery.facts import (
    APIGW_HTTP_API, APIGW_REST_API, CLOUDWATCH_ALARM, ECR_REPOSITORY, ECS_SERVICE, LAMBDA_FUNCTION, RDS_CLUSTER,
    RDS_INSTANCE, SQS_QUEUE,
)

# --- rule confidences ------------------------------------------------------------------------------
EXISTENCE = {"stack": 0.95, "ecs": 0.90, "api": 0.85, "tag": 0.80, "lambda": 0.60, "repo": 0.60, "catalog": 0.85}
REPO_RULES = {"explicit_tag": 0.95, "deploy_workflow": 0.90, "ecr_image": 0.85, "catalog_info": 0.85,
              "name_match": 0.75, "lambda_name": 0.70}
STRONG_LINK = 0.85  # links at or above this may give one repository to several services (monorepos)

# --- what counts as what ---------------------------------------------------------------------------
COMPUTE_KINDS = (ECS_SERVICE, LAMBDA_FUNCTION, APIGW_REST_API, APIGW_HTTP_API)
API_KINDS = (APIGW_REST_API, APIGW_HTTP_API)
DATA_KINDS = (RDS_INSTANCE, RDS_CLUSTER, SQS_QUEUE, ECR_REPOSITORY, CLOUDWATCH_ALARM)
# CloudFormation resource types that run code: a stack with one of them is a service even when we
# do not scan that type (Step Functions, App Runner, EC2 ...).
COMPUTE_CFN_TYPES = ("AWS::ECS::Service", "AWS::Lambda::Function", "AWS::Serverless::Function",
                     "AWS::StepFunctions::StateMachine", "AWS::AppRunner::Service", "AWS::Batch::JobDefinition",
                     "AWS::EC2::Instance", "AWS::AutoScaling::AutoScalingGroup", "AWS::ElasticBeanstalk::Environment",
                     "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::Glue::Job",
                     "AWS::KinesisAnalyticsV2::Application")
# Stacks that tools create for themselves.
TOOL_STACK_PREFIXES = ("cdktoolkit", "aws-sam-cli-managed")
