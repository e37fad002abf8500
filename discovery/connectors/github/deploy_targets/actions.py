"""The ``uses:`` steps of a workflow that deploy or tell us where to.

``aws-actions/amazon-ecs-deploy-task-definition`` (service/cluster, and the task definition file
it names), ``aws-actions/aws-cloudformation-github-deploy`` (name), Lambda deploy actions,
``serverless/github-action`` (args, read as a script), ``docker/build-push-action`` (tags) and any
``image:``/``images:`` input; ``aws-actions/configure-aws-credentials`` supplies region and
account for the job's later steps."""
from __future__ import annotations

import yaml

from .aws_cli import add_ecs, add_lambda, arn
from .context import ACCOUNT, CFN_STACK, REG, Scan, Step
from .expressions import expand_gh
from .images import add_image, image_list
from .safe_yaml import scalar
from .scripts import scan_script
from .shell import join


def _input(scan: Scan, inputs: dict[str, yaml.Node], key: str, step: Step) -> tuple[str | None, int]:
    node = inputs.get(key)
    value = scalar(node)
    if value is None:
        return None, 0
    return expand_gh(scan, value, step).strip(), node.start_mark.line + 1


def scan_action(scan: Scan, path: str, uses: str, inputs: dict[str, yaml.Node], step: Step, line: int) -> None:
    action = uses.split("@", 1)[0].strip().lower()
    get = lambda key: _input(scan, inputs, key, step)  # noqa: E731
    if action == "aws-actions/configure-aws-credentials":
        region, _ = get("aws-region")
        role, _ = get("role-to-assume")
        if region and not scan.unresolved_in(region) and REG not in region:
            step.job.region = region
        parsed = arn(role or "")
        if parsed and ACCOUNT.match(parsed["account"]):
            step.job.account = parsed["account"]
    elif action == "aws-actions/amazon-ecs-deploy-task-definition":
        service, sline = get("service")
        cluster, _ = get("cluster")
        taskdef, _ = get("task-definition")
        if taskdef and not scan.unresolved_in(taskdef):
            scan.taskdefs.add(join("", taskdef))
        if service:
            add_ecs(scan, service, cluster or "default", path, sline or line, "amazon-ecs-deploy-task-definition", step)
    elif action == "aws-actions/aws-cloudformation-github-deploy":
        name, nline = get("name")
        if name is not None:
            scan.add(CFN_STACK, name, path, nline, "aws-cloudformation-github-deploy", step=step)
    elif action in ("aws-actions/aws-lambda-deploy", "appleboy/lambda-action"):
        name, nline = get("function-name") if "function-name" in inputs else get("function_name")
        if name is not None:
            add_lambda(scan, name, path, nline, action.split("/", 1)[1], step)
    elif action == "serverless/github-action":
        args, aline = get("args")
        if args:
            if args.startswith("-c "):
                scan_script(scan, path, args[3:].strip().strip("'\""), step, aline, False)
            else:
                scan_script(scan, path, "serverless " + args, step, aline, False)
    for key in ("image", "images") + (("tags",) if action == "docker/build-push-action" else ()):
        value, vline = get(key)
        for ref in image_list(value or ""):
            add_image(scan, ref, path, vline, "docker" if key == "tags" else action.split("/")[-1], step)
