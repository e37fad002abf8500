"""RDS DB instances and clusters."""
from __future__ import annotations

from typing import Any

from discovery.facts import RDS_CLUSTER, RDS_INSTANCE

from .run import Records, ScanRun, tags_dict


def _rds_tags(run: ScanRun, resource: dict[str, Any], arn: str) -> dict[str, str]:
    if "TagList" in resource:
        return tags_dict(resource["TagList"])
    return run.optional(arn, lambda: tags_dict(
        run.call("rds", "list_tags_for_resource", ResourceName=arn).get("TagList")), {}) or {}


def scan_rds(run: ScanRun) -> Records:
    for db in run.pages("rds", "describe_db_instances", "DBInstances"):
        arn = db["DBInstanceArn"]
        attributes = {"engine": db.get("Engine"), "engine_version": db.get("EngineVersion"),
                      "status": db.get("DBInstanceStatus"), "instance_class": db.get("DBInstanceClass"),
                      "cluster_identifier": db.get("DBClusterIdentifier")}
        yield run.fact(RDS_INSTANCE, arn, db["DBInstanceIdentifier"], attributes, _rds_tags(run, db, arn),
                       "rds:DescribeDBInstances")
    for cluster in run.pages("rds", "describe_db_clusters", "DBClusters"):
        arn = cluster["DBClusterArn"]
        attributes = {"engine": cluster.get("Engine"), "engine_version": cluster.get("EngineVersion"),
                      "status": cluster.get("Status"),
                      "members": [m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])]}
        yield run.fact(RDS_CLUSTER, arn, cluster["DBClusterIdentifier"], attributes,
                       _rds_tags(run, cluster, arn), "rds:DescribeDBClusters")
