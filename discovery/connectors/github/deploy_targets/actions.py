"""The ``uses:`` steps of a workflow that deploy or tell us where to.

``aws-actions/amazon-ecs-deploy-task-definition`` (service/cluster, and the task definition file
it names), ``aws-actions/aws-cloudformation-github-deploy`` (name), Lambda deploy actions,
``serverless/github-action`` (args, read as a script), ``docker/build-push-action`` (tags) and any
``image:``/``images:`` input; ``aws-actions/configure-aws-credentials`` supplies region and
account for the job's later steps, also from inside a local composite action the job calls; a
deploy action's own region input (``aws-region``, ``aws_region``, ``region``) is its target's
region; ``aws-actions/amazon-ecr-login`` with ``registry-type: public`` logs in to ECR Public."""
from __future__ import annotations

import yaml

from .aws_cli import add_ecs, add_lambda, arn
from .combinations import is_action, local_callee, workflow_root
from .context import ACCOUNT, CFN_STACK, REG, Job, Scan, Step
from .expressions import expand_gh
from .images import ECR_PUBLIC, add_image, image_list
from .safe_yaml import mapping, scalar
from .scripts import scan_script
from .shell import join


_REGION_INPUTS = ("aws-region", "aws_region", "region")


def _input(scan: Scan, inputs: dict[str, yaml.Node], key: str, step: Step) -> tuple[str | None, int]:
    node = inputs.get(key)
    value = scalar(node)
    if value is None:
        return None, 0
    return expand_gh(scan, value, step).strip(), node.start_mark.line + 1


def scan_action(scan: Scan, path: str, uses: str, inputs: dict[str, yaml.Node], step: Step, line: int) -> None:
    action = uses.split("@", 1)[0].strip().lower()
    get = lambda key: _input(scan, inputs, key, step)  # noqa: E731
    # a deploy action's own region input (appleboy/lambda-action's aws_region ...) names its target's region
    region = next((r for r in (get(k)[0] for k in _REGION_INPUTS if k in inputs) if r), None)
    if action == "aws-actions/configure-aws-credentials":
        role, _ = get("role-to-assume")
        _credentials(scan, step, region, role)
    elif action == "aws-actions/amazon-ecr-login":
        registry_type, _ = get("registry-type")
        if registry_type == "public" and step.step_id:  # its registry output is ECR Public's host
            step.job.outputs.setdefault(step.step_id, {})["registry"] = ECR_PUBLIC
    elif action == "aws-actions/amazon-ecs-deploy-task-definition":
        service, sline = get("service")
        cluster, _ = get("cluster")
        taskdef, _ = get("task-definition")
        if taskdef and not scan.unresolved_in(taskdef):
            scan.taskdefs.add(join("", taskdef))
        if service:
            add_ecs(scan, service, cluster or "default", path, sline or line, "amazon-ecs-deploy-task-definition", step,
                    region)
    elif action == "aws-actions/aws-cloudformation-github-deploy":
        name, nline = get("name")
        if name is not None:
            scan.add(CFN_STACK, name, path, nline, "aws-cloudformation-github-deploy", step=step, region=region)
    elif action in ("aws-actions/aws-lambda-deploy", "appleboy/lambda-action"):
        name, nline = get("function-name") if "function-name" in inputs else get("function_name")
        if name is not None:
            add_lambda(scan, name, path, nline, action.split("/", 1)[1], step, region)
    elif action.startswith("./"):
        _composite_credentials(scan, uses, inputs, step)
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


def _credentials(scan: Scan, step: Step, region: str | None, role: str | None) -> None:
    """What configure-aws-credentials tells the job's later steps: its region and role's account."""
    if region and not scan.unresolved_in(region) and REG not in region:
        step.job.region = region
    parsed = arn(role or "")
    if parsed and ACCOUNT.match(parsed["account"]):
        step.job.account = parsed["account"]


def _composite_credentials(scan: Scan, uses: str, inputs: dict[str, yaml.Node], step: Step) -> None:
    """A local composite action that configures AWS credentials does so for the caller's job too:
    read its configure-aws-credentials step with the inputs this call passes."""
    callee = local_callee(uses, scan.files)
    root, exc = workflow_root(scan, callee) if callee and is_action(callee) else (None, None)
    top = mapping(root) if exc is None else {}
    steps = mapping(top.get("runs")).get("steps")
    if not isinstance(steps, yaml.SequenceNode):
        return
    declared = {k: d for k, d in ((k, scalar(mapping(v).get("default"))) for k, v in mapping(top.get("inputs")).items())
                if d}
    passed = {k: v for k, v in ((k, _input(scan, inputs, k, step)[0]) for k in inputs) if v}
    inner = Step(Job(callee, step.env, step.job.matrix, {**declared, **passed}), step.env, step.workdir)
    for node in steps.value:
        entry = mapping(node)
        if (scalar(entry.get("uses")) or "").split("@", 1)[0].strip().lower() == "aws-actions/configure-aws-credentials":
            with_nodes = mapping(entry.get("with"))
            region, _ = _input(scan, with_nodes, "aws-region", inner)
            role, _ = _input(scan, with_nodes, "role-to-assume", inner)
            _credentials(scan, step, region, role)
