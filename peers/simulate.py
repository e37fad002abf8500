"""Turn a ``roster-scenario/1`` company into the facts and links the connectors would store for it.

This is the fast path for tests and benchmarks: no moto, no emulator, but the same shapes
(``docs/HELPERS.md``): ARNs from the AWS connector's own helpers, stack tags and the
``aws:cloudformation:*`` tags copied onto stack resources, ``contains`` / ``runs_in`` /
``uses_image`` / ``triggers`` / ``integrates`` / ``watches`` links, and on GitHub repositories
(archived and forked ones skipped, like the connector's default), teams, members, CODEOWNERS
rules, catalog-info entities and deploy targets read from workflow files. Attributes pass the
store's whitelist.

GitHub facts come from the connector's own builders (``discovery.connectors.github.repo_facts``:
``repo_batch`` / ``team_batch``), fed the repository contents the scenario declares.
"""
from __future__ import annotations

import copy
import hashlib
import re
import uuid
from typing import Any, Iterable

from catalog.reconcile import FactView, LinkView
from discovery import facts as fact_kinds
from discovery.connectors.aws.scanners import (
    alarm_arn, ecr_repository_arn, ecr_repository_from_image, ecs_cluster_arn, ecs_service_arn, http_api_arn,
    lambda_arn, rds_instance_arn, rest_api_arn, sqs_arn,
)
from discovery.connectors.github.repo_facts import repo_batch, team_batch
from discovery.facts import FactRecord, LinkRecord, clean_attributes

_CFN_TYPES = {
    fact_kinds.ECS_SERVICE: "AWS::ECS::Service", fact_kinds.LAMBDA_FUNCTION: "AWS::Lambda::Function",
    fact_kinds.APIGW_REST_API: "AWS::ApiGateway::RestApi", fact_kinds.APIGW_HTTP_API: "AWS::ApiGatewayV2::Api",
    fact_kinds.RDS_INSTANCE: "AWS::RDS::DBInstance", fact_kinds.SQS_QUEUE: "AWS::SQS::Queue",
}


def _api_id(account: str, region: str, name: str) -> str:
    digest = hashlib.sha256(f"{account}/{region}/{name}".encode()).hexdigest()
    return "".join("abcdefghijklmnopqrstuvwxyz0123456789"[int(digest[i:i + 2], 16) % 36] for i in range(0, 20, 2))


def _logical_id(name: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", name) if p) or "Resource"


class _Out:
    def __init__(self):
        self.facts: list[FactRecord] = []
        self.links: list[LinkRecord] = []

    def fact(self, kind, external_id, name, account="", region="", attributes=None, tags=None):
        self.facts.append(FactRecord(kind, external_id, name, account, region,
                                     clean_attributes(kind, attributes or {}), dict(tags or {})))

    def link(self, source_kind, source_id, relation, target_kind, target_id, attributes=None):
        self.links.append(LinkRecord(source_kind, source_id, relation, target_kind, target_id, dict(attributes or {})))


# --- AWS -------------------------------------------------------------------------------------
def _aws_region(out: _Out, account: str, region: dict[str, Any]) -> None:
    rname = region["name"]
    arns: dict[tuple[str, str], tuple[str, str, str]] = {}  # (ref kind, ref name) -> (kind, arn, physical id)
    for cluster in region["ecs_clusters"]:
        for svc in cluster["services"]:
            arn = ecs_service_arn(rname, account, cluster["name"], svc["name"])
            arns[("ecs", f"{cluster['name']}/{svc['name']}")] = (fact_kinds.ECS_SERVICE, arn, arn)
    for fn in region["lambdas"]:
        arns[("lambda", fn["name"])] = (fact_kinds.LAMBDA_FUNCTION, lambda_arn(rname, account, fn["name"]), fn["name"])
    for api in region["apis"]:
        api_id = _api_id(account, rname, api["name"])
        http = str(api.get("type", "REST")).upper() == "HTTP"
        kind = fact_kinds.APIGW_HTTP_API if http else fact_kinds.APIGW_REST_API
        arn = http_api_arn(rname, api_id) if http else rest_api_arn(rname, api_id)
        arns[("api", api["name"])] = (kind, arn, api_id)
    for db in region["rds_instances"]:
        arns[("rds", db["id"])] = (fact_kinds.RDS_INSTANCE, rds_instance_arn(rname, account, db["id"]), db["id"])
    for q in region["sqs_queues"]:
        url = f"https://sqs.{rname}.amazonaws.com/{account}/{q['name']}"
        arns[("sqs", q["name"])] = (fact_kinds.SQS_QUEUE, sqs_arn(rname, account, q["name"]), url)

    # stack membership: stack tags and the aws:cloudformation:* tags land on each resource
    stack_tags: dict[str, dict[str, str]] = {}
    for stack in region["stacks"]:
        stack_id = f"arn:aws:cloudformation:{rname}:{account}:stack/{stack['name']}/" \
                   f"{uuid.uuid5(uuid.NAMESPACE_URL, account + rname + stack['name'])}"
        resources = []
        for ref in stack["resources"]:
            kind, _, rest = str(ref).partition(":")
            target = arns.get((kind, rest))
            if not target:
                continue
            logical = _logical_id(rest.split("/")[-1])
            resources.append({"logical_id": logical, "type": _CFN_TYPES[target[0]], "physical_id": target[2],
                              "arn": target[1]})
            stack_tags[target[1]] = {**{str(k): str(v) for k, v in stack["tags"].items()},
                                     "aws:cloudformation:stack-name": stack["name"],
                                     "aws:cloudformation:logical-id": logical,
                                     "aws:cloudformation:stack-id": stack_id}
            out.link(fact_kinds.CFN_STACK, stack_id, fact_kinds.CONTAINS, target[0], target[1])
        out.fact(fact_kinds.CFN_STACK, stack_id, stack["name"], account, rname,
                 {"status": "CREATE_COMPLETE", "description": stack.get("description"), "resources": resources},
                 {str(k): str(v) for k, v in stack["tags"].items()})

    def tags_for(arn: str, own: dict) -> dict[str, str]:
        return {**stack_tags.get(arn, {}), **{str(k): str(v) for k, v in (own or {}).items()}}

    for cluster in region["ecs_clusters"]:
        cluster_arn = ecs_cluster_arn(rname, account, cluster["name"])
        out.fact(fact_kinds.ECS_CLUSTER, cluster_arn, cluster["name"], account, rname, {"status": "ACTIVE"},
                 cluster.get("tags") or {})
        for svc in cluster["services"]:
            arn = ecs_service_arn(rname, account, cluster["name"], svc["name"])
            images = [svc["image"]] if svc.get("image") else []
            out.fact(fact_kinds.ECS_SERVICE, arn, svc["name"], account, rname, {
                "cluster": cluster["name"], "cluster_arn": cluster_arn,
                "task_definition": f"arn:aws:ecs:{rname}:{account}:task-definition/{svc['name']}:1",
                "images": images, "desired_count": svc.get("desired_count", 1), "launch_type": "FARGATE",
                "status": "ACTIVE"}, tags_for(arn, svc["tags"]))
            out.link(fact_kinds.ECS_SERVICE, arn, fact_kinds.RUNS_IN, fact_kinds.ECS_CLUSTER, cluster_arn)
            for repo_arn in dict.fromkeys(filter(None, map(ecr_repository_from_image, images))):
                out.link(fact_kinds.ECS_SERVICE, arn, fact_kinds.USES_IMAGE, fact_kinds.ECR_REPOSITORY, repo_arn)
    for fn in region["lambdas"]:
        arn = lambda_arn(rname, account, fn["name"])
        sources = [sqs_arn(rname, account, fn["sqs_trigger"])] if fn.get("sqs_trigger") else []
        out.fact(fact_kinds.LAMBDA_FUNCTION, arn, fn["name"], account, rname, {
            "runtime": fn.get("runtime"), "handler": fn.get("handler"), "description": fn.get("description", ""),
            "memory_size": 128, "package_type": "Zip", "event_sources": sources}, tags_for(arn, fn["tags"]))
        for source in sources:
            out.link(fact_kinds.SQS_QUEUE, source, fact_kinds.TRIGGERS, fact_kinds.LAMBDA_FUNCTION, arn)
    for api in region["apis"]:
        kind, arn, api_id = arns[("api", api["name"])]
        attrs = {"api_id": api_id, "description": api.get("description")}
        if kind == fact_kinds.APIGW_HTTP_API:
            attrs.update(protocol_type="HTTP", endpoint=f"https://{api_id}.execute-api.{rname}.amazonaws.com")
        out.fact(kind, arn, api["name"], account, rname, attrs, tags_for(arn, api["tags"]))
        for fn_name in dict.fromkeys(api.get("integrations") or []):
            out.link(kind, arn, fact_kinds.INTEGRATES, fact_kinds.LAMBDA_FUNCTION, lambda_arn(rname, account, fn_name))
    for db in region["rds_instances"]:
        arn = rds_instance_arn(rname, account, db["id"])
        out.fact(fact_kinds.RDS_INSTANCE, arn, db["id"], account, rname, {
            "engine": db.get("engine", "postgres"), "status": "available", "instance_class": "db.t3.micro",
            "cluster_identifier": None}, tags_for(arn, db["tags"]))
    for q in region["sqs_queues"]:
        arn = sqs_arn(rname, account, q["name"])
        out.fact(fact_kinds.SQS_QUEUE, arn, q["name"], account, rname,
                 {"url": f"https://sqs.{rname}.amazonaws.com/{account}/{q['name']}",
                  "fifo": q["name"].endswith(".fifo")}, tags_for(arn, q["tags"]))
    for name in region["ecr_repositories"]:
        name = name["name"] if isinstance(name, dict) else name
        out.fact(fact_kinds.ECR_REPOSITORY, ecr_repository_arn(rname, account, name), name, account, rname,
                 {"uri": f"{account}.dkr.ecr.{rname}.amazonaws.com/{name}"}, {})
    for alarm in region["alarms"]:
        _alarm(out, account, rname, alarm, arns)


_ALARM_METRIC = {"ecs": ("AWS/ECS", "CPUUtilization"), "lambda": ("AWS/Lambda", "Errors"),
                 "rds": ("AWS/RDS", "CPUUtilization"), "sqs": ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
                 "api": ("AWS/ApiGateway", "5XXError")}


def _alarm(out: _Out, account: str, rname: str, alarm: dict, arns: dict) -> None:
    arn = alarm_arn(rname, account, alarm["name"])
    dims: list[dict[str, str]] = []
    namespace, metric = "AWS/EC2", "CPUUtilization"
    target = None
    if alarm.get("target"):
        kind, _, rest = str(alarm["target"]).partition(":")
        namespace, metric = _ALARM_METRIC.get(kind, (namespace, metric))
        target = arns.get((kind, rest))
        if kind == "ecs":
            cluster, _, service = rest.partition("/")
            dims = [{"name": "ClusterName", "value": cluster}, {"name": "ServiceName", "value": service}]
        elif kind == "lambda":
            dims = [{"name": "FunctionName", "value": rest}]
        elif kind == "rds":
            dims = [{"name": "DBInstanceIdentifier", "value": rest}]
        elif kind == "sqs":
            dims = [{"name": "QueueName", "value": rest}]
        elif kind == "api" and target:
            dims = [{"name": "ApiId", "value": target[2]}] if target[0] == fact_kinds.APIGW_HTTP_API \
                else [{"name": "ApiName", "value": rest}]
    out.fact(fact_kinds.CLOUDWATCH_ALARM, arn, alarm["name"], account, rname,
             {"state": alarm.get("state", "OK"), "metric_name": metric, "namespace": namespace, "dimensions": dims},
             alarm.get("tags") or {})
    if target:
        out.link(fact_kinds.CLOUDWATCH_ALARM, arn, fact_kinds.WATCHES, target[0], target[1])


# --- GitHub: the connector's own fact builders, fed what its fetchers would return -------------------
def _github(out: _Out, org: dict[str, Any], include_archived: bool) -> None:
    login = org["login"]
    batch = team_batch(login, org["teams"], org["members"], org_info={"name": org.get("name"), "description": ""})
    for repo in org["repos"]:
        if not include_archived and (repo.get("archived") or repo.get("fork")):
            continue  # the connector's default: archived and forked repositories are not fetched
        fetched = {
            "name": repo["name"], "description": repo.get("description") or "", "primary_language": repo.get("language"),
            "languages": repo.get("languages") or {}, "topics": list(repo.get("topics") or []),
            "archived": bool(repo.get("archived")), "fork": bool(repo.get("fork")),
            "default_branch": repo.get("default_branch") or "main", "pushed_at": repo.get("pushed_at"),
            "url": f"https://github.com/{login}/{repo['name']}", "files": fetched_files(repo.get("files") or {}),
            "commits": [{"login": c.get("author"), "date": c.get("date")} for c in repo.get("commits") or []],
        }
        part = repo_batch(login, fetched)
        batch.facts.extend(part.facts)
        batch.links.extend(part.links)
    for fact in batch.facts:
        out.fact(fact.kind, fact.external_id, fact.name, fact.account, fact.region, fact.attributes, fact.tags)
    for link in batch.links:
        out.link(link.source_kind, link.source_id, link.relation, link.target_kind, link.target_id, link.attributes)


# --- entry points --------------------------------------------------------------------------------
def records_from_scenario(scenario: dict[str, Any], *, include_archived: bool = False) -> tuple[list[FactRecord], list[LinkRecord]]:
    out = _Out()
    for account in scenario.get("aws", {}).get("accounts", []):
        for region in account["regions"]:
            _aws_region(out, account["id"], region)
    for org in scenario.get("github", {}).get("orgs", []):
        _github(out, org, include_archived)
    return out.facts, out.links


def as_views(records: Iterable[FactRecord], links: Iterable[LinkRecord]) -> tuple[list[FactView], list[LinkView]]:
    """What reconcile reads back from the store (one row per (kind, external id), later wins)."""
    unique: dict[tuple[str, str], FactRecord] = {}
    for r in records:
        unique[(r.kind, r.external_id)] = r
    facts = [FactView(id=i, kind=r.kind, external_id=r.external_id, name=r.name, account=r.account, region=r.region,
                      attributes=r.attributes, tags=r.tags) for i, r in enumerate(unique.values(), 1)]
    seen = {}
    for link in links:
        seen[(link.source_id, link.relation, link.target_id)] = LinkView(link.source_id, link.relation, link.target_id,
                                                                          link.attributes)
    return facts, list(seen.values())


def facts_from_scenario(scenario: dict[str, Any], *, include_archived: bool = False) -> tuple[list[FactView], list[LinkView]]:
    return as_views(*records_from_scenario(scenario, include_archived=include_archived))


def scale_scenario(scenario: dict[str, Any], factor: int) -> dict[str, Any]:
    """``factor`` disjoint copies of a company in one scenario (for benchmarks and no-cross-talk tests).

    Copy ``i`` gets its own account ids, org login and an ``x{i}`` prefix on every resource,
    repository and service name, applied consistently to refs, images, workflow files and truth."""
    if factor <= 1:
        return copy.deepcopy(scenario)
    names: set[str] = set()
    for account in scenario["aws"]["accounts"]:
        for region in account["regions"]:
            names.update(s["name"] for s in region["stacks"])
            for cluster in region["ecs_clusters"]:
                names.update(s["name"] for s in cluster["services"])
            names.update(x["name"] for x in region["lambdas"] + region["apis"] + region["sqs_queues"] + region["alarms"])
            names.update(x["id"] for x in region["rds_instances"])
            names.update(x["name"] if isinstance(x, dict) else x for x in region["ecr_repositories"])
    for org in scenario["github"]["orgs"]:
        names.update(r["name"] for r in org["repos"])
    for svc in scenario["truth"]["services"]:
        names.add(svc["name"])
        names.update(svc["aliases"])
    word = re.compile(r"[A-Za-z0-9_-]+")  # a name only ever matches a whole run of name characters
    accounts = [a["id"] for a in scenario["aws"]["accounts"]]
    logins = [o["login"] for o in scenario["github"]["orgs"]]
    merged = copy.deepcopy(scenario)
    merged["aws"]["accounts"], merged["github"]["orgs"] = [], []
    merged["truth"] = {"services": [], "excluded_repos": []}
    for i in range(factor):
        def rename(value: Any, i=i) -> Any:
            if isinstance(value, dict):
                return {rename(k): rename(v) for k, v in value.items()}
            if isinstance(value, list):
                return [rename(v) for v in value]
            if not isinstance(value, str):
                return value
            for acct in accounts:
                value = value.replace(acct, f"{(int(acct) + i * 7919) % 10**12:012d}")
            for login in logins:
                value = re.sub(rf"(?<![A-Za-z0-9-]){re.escape(login)}(?=/)", f"{login}{i}", value)
            return word.sub(lambda m: f"x{i}-{m.group(0)}" if m.group(0) in names else m.group(0), value)
        copy_i = rename(copy.deepcopy({k: scenario[k] for k in ("aws", "github", "truth")}))
        for org in copy_i["github"]["orgs"]:
            org["login"] = f"{org['login']}{i}"
        merged["aws"]["accounts"].extend(copy_i["aws"]["accounts"])
        merged["github"]["orgs"].extend(copy_i["github"]["orgs"])
        merged["truth"]["services"].extend(copy_i["truth"]["services"])
        merged["truth"]["excluded_repos"].extend(copy_i["truth"]["excluded_repos"])
    return merged


def fetched_files(files: dict) -> dict:
    """Only the files the GitHub connector fetches (its GraphQL paths and trees): the simulator must not
    see more than discovery does, or its accuracy would flatter the real pipeline."""
    from discovery.connectors.github.queries import FILE_PATHS, TREE_PATHS

    paths = set(FILE_PATHS.values())
    trees = tuple(path + "/" for path in TREE_PATHS.values())
    return {p: text for p, text in files.items()
            if p in paths or any(p.startswith(t) and p.count("/") - t.count("/") <= 1 for t in trees)}
