"""CloudWatch metric alarms, with the resources their dimensions watch (as ``watches`` links)."""
from __future__ import annotations

from typing import Any, Iterator

from discovery.facts import (
    APIGW_HTTP_API, APIGW_REST_API, CLOUDWATCH_ALARM, ECS_SERVICE, LAMBDA_FUNCTION, RDS_INSTANCE, SQS_QUEUE,
    WATCHES, LinkRecord,
)

from .arns import ecs_service_arn, http_api_arn, lambda_arn, rds_instance_arn, sqs_arn
from .run import Records, ScanRun, iso_time
from .tagging import tag_map


def _watch_targets(run: ScanRun, dimensions: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    dims = {d.get("Name"): d.get("Value") for d in dimensions}
    region, account = run.region, run.account
    if dims.get("ClusterName") and dims.get("ServiceName"):
        yield ECS_SERVICE, ecs_service_arn(region, account, dims["ClusterName"], dims["ServiceName"])
    if dims.get("FunctionName"):
        yield LAMBDA_FUNCTION, lambda_arn(region, account, dims["FunctionName"])
    if dims.get("DBInstanceIdentifier"):
        yield RDS_INSTANCE, rds_instance_arn(region, account, dims["DBInstanceIdentifier"])
    if dims.get("QueueName"):
        yield SQS_QUEUE, sqs_arn(region, account, dims["QueueName"])
    if dims.get("ApiName"):
        arn = run.rest_api_arn_by_name(dims["ApiName"])
        if arn:
            yield APIGW_REST_API, arn
    if dims.get("ApiId"):
        yield APIGW_HTTP_API, http_api_arn(region, dims["ApiId"])


def scan_alarms(run: ScanRun) -> Records:
    # DescribeAlarms carries no tags: one tagging-API sweep instead of a ListTagsForResource per alarm.
    tags_by_arn = run.optional("tag:GetResources", lambda: tag_map(
        run.stats, run.clients("resourcegroupstaggingapi"), run.policy, ["cloudwatch:alarm"]), {}) or {}
    for alarm in run.pages("cloudwatch", "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"]):
        arn = alarm["AlarmArn"]
        # Metric-math alarms keep their dimensions per metric instead of at the top.
        dimension_sets = [alarm.get("Dimensions") or []] + [
            ((m.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions") or []
            for m in alarm.get("Metrics") or []]
        dimensions = list({(d["Name"], d["Value"]): None for ds in dimension_sets for d in ds})
        attributes = {"state": alarm.get("StateValue"), "metric_name": alarm.get("MetricName"),
                      "namespace": alarm.get("Namespace"),
                      "dimensions": [{"name": n, "value": v} for n, v in dimensions],
                      "state_updated_at": iso_time(alarm.get("StateUpdatedTimestamp"))}
        yield run.fact(CLOUDWATCH_ALARM, arn, alarm["AlarmName"], attributes, tags_by_arn.get(arn, {}),
                       "cloudwatch:DescribeAlarms")
        targets = dict.fromkeys(t for ds in dimension_sets for t in _watch_targets(run, ds))
        for kind, target in targets:
            yield LinkRecord(CLOUDWATCH_ALARM, arn, WATCHES, kind, target, operation="cloudwatch:DescribeAlarms")
