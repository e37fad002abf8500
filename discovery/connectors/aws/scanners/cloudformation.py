"""CloudFormation stacks, with the resources each contains (as ``contains`` links).

Incrementally, a stack whose status, creation and last update times are those stored is marked seen: its
resources, tags and description change only through a stack operation, which moves LastUpdatedTime."""
from __future__ import annotations

from typing import Any

from discovery.facts import CFN_STACK, CONTAINS, LinkRecord

from .arns import resource_arn
from .run import Records, ScanRun, iso_time, tags_dict

# Stacks per DescribeStacks page (AWS pages by response size; moto by 50): describing a few changed stacks one
# by one is cheaper than paging through all of them when they are fewer than the pages would be.
DESCRIBE_STACKS_PAGE = 50


def stack_marks(summary: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a ListStacks summary that move with every stack operation."""
    return {"status": summary.get("StackStatus"), "created_at": iso_time(summary.get("CreationTime")),
            "updated_at": iso_time(summary.get("LastUpdatedTime"))}


def scan_stacks(run: ScanRun) -> Records:
    cfn = "cloudformation"
    statuses = [s for s in run.clients(cfn).meta.service_model.shape_for("StackStatus").enum
                if s != "DELETE_COMPLETE"]
    summaries = [s for s in run.pages(cfn, "list_stacks", "StackSummaries", StackStatusFilter=statuses)
                 if s.get("StackStatus") != "DELETE_COMPLETE"]
    live = summaries
    if run.known is not None:
        live = []
        for summary in summaries:
            if run.unchanged(CFN_STACK, summary["StackId"], stack_marks(summary)):
                yield run.seen(summary["StackId"])
            else:
                live.append(summary)
    described: dict[str, Any] | None = {}
    if run.known is None or len(live) * DESCRIBE_STACKS_PAGE > len(summaries):
        # One paginated DescribeStacks returns every live stack with tags: far fewer calls than one per stack.
        described = run.optional("cloudformation:DescribeStacks",
                                 lambda: {s["StackId"]: s for s in run.pages(cfn, "describe_stacks", "Stacks")})
    resources_by_stack = dict(zip((s["StackId"] for s in live), run.parallel(live, lambda s: run.optional(
        s["StackId"], lambda: list(run.pages(cfn, "list_stack_resources", "StackResourceSummaries",
                                            StackName=s["StackId"]))))))
    for summary in live:
        stack_id = summary["StackId"]
        detail = (described or {}).get(stack_id)
        if described is not None and detail is None:  # created after the DescribeStacks pages, or not paged
            detail = run.optional(stack_id, lambda: next(iter(
                run.call(cfn, "describe_stacks", StackName=stack_id).get("Stacks", [])), None))
        yield from _stack_records(run, summary, detail or {}, resources_by_stack.get(stack_id))


def _stack_records(run: ScanRun, summary: dict[str, Any], detail: dict[str, Any],
                   resources: list[dict[str, Any]] | None) -> Records:
    stack_id = summary["StackId"]
    attributes: dict[str, Any] = {
        "status": summary.get("StackStatus"),
        "created_at": iso_time(summary.get("CreationTime")),
        "updated_at": iso_time(summary.get("LastUpdatedTime") or detail.get("LastUpdatedTime")),
        "description": detail.get("Description", summary.get("TemplateDescription")),
    }
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
