"""How a run is cut into jobs: one per (account, region, kind group) for AWS; teams and repositories for GitHub."""
from __future__ import annotations

from dataclasses import dataclass

from discovery import facts as k

# Kind group -> fact kinds it produces. A group is one scanner job; groups run in parallel.
AWS_KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "cloudformation": (k.CFN_STACK,),
    "ecs": (k.ECS_CLUSTER, k.ECS_SERVICE),
    "lambda": (k.LAMBDA_FUNCTION,),
    "apigateway": (k.APIGW_REST_API, k.APIGW_HTTP_API),
    "rds": (k.RDS_INSTANCE, k.RDS_CLUSTER),
    "sqs": (k.SQS_QUEUE,),
    "ecr": (k.ECR_REPOSITORY,),
    "cloudwatch": (k.CLOUDWATCH_ALARM,),
}
GITHUB_SCANNERS = ("github_teams", "github_repos")


def kinds_for_groups(groups: list[str]) -> list[str]:
    return [kind for group in groups for kind in AWS_KIND_GROUPS.get(group, ())]


@dataclass(frozen=True)
class PlannedJob:
    key: str
    scanner: str
    account: str = ""
    region: str = ""


def plan_jobs(provider: str, selection: dict) -> list[PlannedJob]:
    if provider == "aws":
        return [
            PlannedJob(key=f"aws:{account}:{region}:{group}", scanner=group, account=account, region=region)
            for account in selection["accounts"]
            for region in selection["regions"]
            for group in selection["kinds"]
        ]
    org = selection.get("org", "")
    scanners = [s for s in GITHUB_SCANNERS if s in (selection.get("scanners") or GITHUB_SCANNERS)]
    return [PlannedJob(key=f"github:{org}:{scanner}", scanner=scanner, account=org) for scanner in scanners]
