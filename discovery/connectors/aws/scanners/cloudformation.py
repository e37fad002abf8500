"""CloudFormation stacks, with the resources each contains (as ``contains`` links)."""
from __future__ import annotations

from typing import Any

from discovery.facts import CFN_STACK, CONTAINS, LinkRecord

from .arns import resource_arn
from .run import Records, ScanRun, iso_time, tags_dict


def scan_stacks(run: ScanRun) -> Records:
    cfn = "cloudformation"
    statuses = [s for s in run.clients(cfn).meta.service_model.shape_for("StackStatus").enum
                if s != "DELETE_COMPLETE"]
    summaries = list(run.pages(cfn, "list_stacks", "StackSummaries", StackStatusFilter=statuses))
    # One paginated DescribeStacks returns every live stack with tags: far fewer calls than one per stack.
    described = run.optional("cloudformation:DescribeStacks",
                             lambda: {s["StackId"]: s for s in run.pages(cfn, "describe_stacks", "Stacks")})
    live = [s for s in summaries if s.get("StackStatus") != "DELETE_COMPLETE"]
    resources_by_stack = dict(zip((s["StackId"] for s in live), run.parallel(live, lambda s: run.optional(
        s["StackId"], lambda: list(run.pages(cfn, "list_stack_resources", "StackResourceSummaries",
                                            StackName=s["StackId"]))))))
    for summary in summaries:
        if summary.get("StackStatus") == "DELETE_COMPLETE":
            continue
        stack_id = summary["StackId"]
        detail = (described or {}).get(stack_id)
        if described is not None and detail is None:  # created after the DescribeStacks pages were read
            detail = run.optional(stack_id, lambda: next(iter(
                run.call(cfn, "describe_stacks", StackName=stack_id).get("Stacks", [])), None))
        detail = detail or {}
        attributes: dict[str, Any] = {
            "status": summary.get("StackStatus"),
            "created_at": iso_time(summary.get("CreationTime")),
            "updated_at": iso_time(summary.get("LastUpdatedTime") or detail.get("LastUpdatedTime")),
            "description": detail.get("Description", summary.get("TemplateDescription")),
        }
        resources = resources_by_stack.get(stack_id)
        links = []
        if resources is not None:
            attributes["resources"] = []
            for res in resources:
                resolved = resource_arn(res.get("ResourceType", ""), res.get("PhysicalResourceId"),
                                        run.region, run.account)
                attributes["resources"].append({
                    "logical_id": res.get("LogicalResourceId"), "type": res.get("ResourceType"),
                    "physical_id": res.get("PhysicalResourceId"), "arn": resolved[1] if resolved else None})
                if resolved and resolved[1]:
                    links.append(LinkRecord(CFN_STACK, stack_id, CONTAINS, resolved[0], resolved[1],
                                            operation="cloudformation:ListStackResources"))
        yield run.fact(CFN_STACK, stack_id, summary["StackName"], attributes, tags_dict(detail.get("Tags")),
                       "cloudformation:ListStacks")
        yield from links
