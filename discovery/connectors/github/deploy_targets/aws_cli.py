"""The ``aws`` CLI and ``ecs-deploy``, and the ECS services and Lambda functions any deploy step
names (a plain name, a qualified name or an ARN, which also gives account and region)."""
from __future__ import annotations

import re

from . import images
from .context import CFN_STACK, ECR_IMAGE, ECS_SERVICE, LAMBDA_FUNCTION, Scan, Step
from .shell import opt, opts_of

_ARN = re.compile(r"^arn:aws[\w-]*:(?P<service>[\w-]+):(?P<region>[^:]*):(?P<account>\d*):(?P<resource>.+)$")
_AWS_FLAGS = {
    "--debug", "--no-verify-ssl", "--no-paginate", "--no-sign-request", "--no-cli-pager",
    "--force-new-deployment", "--no-force-new-deployment", "--publish", "--no-publish", "--dry-run",
    "--no-execute-changeset", "--fail-on-empty-changeset", "--no-fail-on-empty-changeset",
    "--disable-rollback", "--no-disable-rollback", "--enable-execute-command", "--no-enable-execute-command",
    "--force-upload", "--use-json", "--no-cli-auto-prompt", "--cli-auto-prompt",
}
_ECS_DEPLOY_FLAGS = {"--force-new-deployment", "--skip-deployments-check", "-v", "--verbose"}


def arn(value: str) -> dict[str, str] | None:
    """An ARN's service, region, account and resource; None when ``value`` is no ARN."""
    m = _ARN.match(value)
    return m.groupdict() if m else None


def add_ecs(scan: Scan, service: str, cluster: str, path: str, line: int, source: str, step: Step | None,
            region: str | None = None) -> None:
    account = None
    parsed = arn(cluster)
    if parsed and parsed["service"] == "ecs":
        cluster, region, account = parsed["resource"].split("/")[-1], region or parsed["region"], parsed["account"]
    parsed = arn(service)
    if parsed and parsed["service"] == "ecs":
        parts = parsed["resource"].split("/")
        service = parts[-1]
        if len(parts) == 3:
            cluster = parts[1]
        region, account = region or parsed["region"], account or parsed["account"]
    scan.add(ECS_SERVICE, service, path, line, source, step=step, cluster=cluster, region=region, account=account)


def add_lambda(scan: Scan, name: str, path: str, line: int, source: str, step: Step | None,
               region: str | None = None) -> None:
    account = None
    parsed = arn(name)
    if parsed and parsed["service"] == "lambda":
        parts = parsed["resource"].split(":")  # function:NAME[:qualifier]
        name = parts[1] if len(parts) > 1 else parts[0]
        region, account = region or parsed["region"], parsed["account"]
    elif re.match(r"^\d{12}:function:", name):
        account, name = name.split(":")[0], name.split(":")[2]
    else:
        name = name.split(":")[0]  # drop a version or alias qualifier
    scan.add(LAMBDA_FUNCTION, name, path, line, source, step=step, region=region, account=account)


def aws(scan: Scan, args: list[str], path: str, line: int, step: Step, cwd: str) -> None:
    """``aws ecs update-service``, ``aws lambda update-function-code``, ``aws cloudformation deploy`` ..."""
    opts, pos = opts_of(args, _AWS_FLAGS)
    if len(pos) < 2:
        return
    service, op = pos[0], pos[1]
    region = opt(opts, "--region")
    if service == "ecs" and op in ("update-service", "deploy", "create-service"):
        name = opt(opts, "--service", "--service-name")
        if name:
            add_ecs(scan, name, opt(opts, "--cluster") or "default", path, line, "aws-cli", step, region)
    elif service == "lambda" and op in ("update-function-code", "create-function"):
        name = opt(opts, "--function-name")
        if name:
            add_lambda(scan, name, path, line, "aws-cli", step, region)
    elif service == "cloudformation" and op in ("deploy", "create-stack", "update-stack", "create-change-set"):
        name = opt(opts, "--stack-name")
        if name:
            scan.add(CFN_STACK, name, path, line, "aws-cli", step=step, region=region)
    elif service in ("ecr", "ecr-public") and op == "create-repository":
        name = opt(opts, "--repository-name")
        if name:
            scan.add(ECR_IMAGE, name, path, line, "aws-cli", step=step, region=region)


def ecs_deploy(scan: Scan, args: list[str], path: str, line: int, step: Step, cwd: str) -> None:
    """``ecs-deploy -c CLUSTER -n SERVICE -i IMAGE``."""
    opts, _ = opts_of(args, _ECS_DEPLOY_FLAGS)
    service = opt(opts, "-n", "--service-name")
    if service:
        add_ecs(scan, service, opt(opts, "-c", "--cluster") or "default", path, line, "ecs-deploy", step,
                region=opt(opts, "-r", "--region"))
    image = opt(opts, "-i", "--image")
    if image:
        images.add_image(scan, image, path, line, "ecs-deploy", step)
