"""Generate one large AWS account as a ``roster-scenario/1`` document, for the discovery benchmark.

The mix follows what a real account accumulates: ECS services deployed by CloudFormation stacks
(with their databases, queues, ECR repositories and alarms), serverless stacks of Lambda functions
behind REST or HTTP APIs, loose Lambda functions, the odd database nobody put in a stack, and
inconsistent tagging. Resources counted: stacks, ECS clusters and services, Lambda functions,
APIs, RDS instances, SQS queues, ECR repositories and alarms. The same arguments give the same file.

``pick_changes`` and ``apply_changes`` then play a round of deploys on the loaded account (the incremental
scan's benchmark and tests).
"""
from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections.abc import Sequence
from typing import Any

import yaml

DOMAINS = ["payments", "billing", "checkout", "orders", "inventory", "shipping", "catalog", "search", "identity",
           "auth", "profile", "notification", "messaging", "media", "analytics", "reporting", "risk", "fraud",
           "pricing", "loyalty", "support", "logistics", "warehouse", "recommendation", "session", "audit", "partner",
           "subscription", "invoice", "refund", "ledger", "account", "consent", "coupon", "rating", "review", "chat",
           "feed", "upload", "routing"]
ROLES = ["api", "service", "worker", "gateway", "processor", "consumer", "sync", "indexer", "engine", "manager",
         "hub", "scheduler", "exporter", "importer", "router", "aggregator"]
VARIANTS = ["", "core", "edge", "batch", "realtime", "internal", "public", "legacy", "v2"]
TEAMS = ["payments", "commerce", "identity", "platform", "data", "media", "messaging", "risk", "logistics",
         "discovery", "support", "sre"]
CLUSTERS = ["prod", "prod-internal", "prod-batch", "shared"]
FUNCTION_ROLES = ["handler", "worker", "processor", "webhook", "sync", "reader", "writer", "cleanup", "authorizer"]
RUNTIMES = ["python3.12", "nodejs20.x", "java21", "python3.11", "nodejs18.x"]
ALARM_STATES = ["OK"] * 8 + ["ALARM", "INSUFFICIENT_DATA"]


class _Account:
    """The account being built: regions with their resource lists, and a running resource count."""

    def __init__(self, account_id: str, regions: tuple[str, ...], rng: random.Random):
        self.account_id = account_id
        self.rng = rng
        self.regions = {name: {"name": name, "stacks": [], "ecs_clusters": [], "lambdas": [], "apis": [],
                               "rds_instances": [], "sqs_queues": [], "ecr_repositories": [], "alarms": []}
                        for name in regions}
        self.count = 0
        names = [f"{d}-{v}-{r}" if v else f"{d}-{r}" for v, d, r in itertools.product(VARIANTS, DOMAINS, ROLES)]
        rng.shuffle(names)
        # Past the 5760 combinations, names repeat with a generation suffix.
        self._names = (f"{n}-{gen}" if gen > 1 else n for gen in itertools.count(1) for n in names)

    def add(self, parent: dict[str, Any], key: str, item: Any) -> Any:
        parent[key].append(item)
        self.count += 1
        return item

    def service_name(self) -> str:
        return next(self._names)

    def tags(self, service: str, team: str) -> dict[str, str]:
        """Tags as a real account has them: often partial, with inconsistent key spelling."""
        rng, tags = self.rng, {}
        if rng.random() < 0.7:
            tags[rng.choice(["team", "team", "Team", "owner"])] = team
        if rng.random() < 0.6:
            tags["service"] = service
        if rng.random() < 0.5:
            tags["env"] = "prod"
        return tags

    def cluster(self, region: dict[str, Any], name: str) -> dict[str, Any]:
        for cluster in region["ecs_clusters"]:
            if cluster["name"] == name:
                return cluster
        return self.add(region, "ecs_clusters", {"name": name, "services": []})

    def stack(self, region: dict[str, Any], service: str, team: str, refs: list[str]) -> None:
        name = service + "-prod" if self.rng.random() < 0.8 else "".join(p.title() for p in service.split("-")) + "Prod"
        self.add(region, "stacks", {"name": name, "tags": self.tags(service, team), "resources": refs})

    def alarm(self, region: dict[str, Any], name: str, target: str) -> None:
        self.add(region, "alarms", {"name": name, "state": self.rng.choice(ALARM_STATES), "target": target})


def _container_unit(acct: _Account, region: dict[str, Any], service: str, team: str) -> None:
    rng = acct.rng
    cluster = acct.cluster(region, rng.choice(CLUSTERS))
    repo = service if rng.random() < 0.85 else None
    version = f"{rng.randint(1, 40)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"
    image = (f"{acct.account_id}.dkr.ecr.{region['name']}.amazonaws.com/{repo}:{version}" if repo
             else f"public.ecr.aws/docker/library/{service}:latest")
    if repo:
        acct.add(region, "ecr_repositories", repo)
    acct.add(cluster, "services", {"name": service, "image": image, "desired_count": rng.randint(1, 6),
                                   "tags": acct.tags(service, team)})
    refs = [f"ecs:{cluster['name']}/{service}"]
    if rng.random() < 0.3:
        acct.add(region, "rds_instances", {"id": f"{service}-db", "engine": rng.choice(["postgres", "mysql"]),
                                           "tags": acct.tags(service, team)})
        refs.append(f"rds:{service}-db")
    if rng.random() < 0.25:
        acct.add(region, "sqs_queues", {"name": f"{service}-queue", "tags": acct.tags(service, team)})
        refs.append(f"sqs:{service}-queue")
    if rng.random() < 0.8:
        acct.stack(region, service, team, refs)
    if rng.random() < 0.5:
        acct.alarm(region, f"{service}-cpu-high", refs[0])


def _serverless_unit(acct: _Account, region: dict[str, Any], service: str, team: str) -> None:
    rng = acct.rng
    functions = [f"{service}-{role}" for role in rng.sample(FUNCTION_ROLES, rng.randint(1, 4))]
    runtime = rng.choice(RUNTIMES)
    for fn in functions:
        acct.add(region, "lambdas", {"name": fn, "runtime": runtime, "handler": "app.handler",
                                     "tags": acct.tags(service, team), "sqs_trigger": None})
    refs = [f"lambda:{fn}" for fn in functions]
    if rng.random() < 0.25:
        queue = f"{service}-events"
        acct.add(region, "sqs_queues", {"name": queue, "tags": acct.tags(service, team)})
        region["lambdas"][-1]["sqs_trigger"] = queue
        refs.append(f"sqs:{queue}")
    if rng.random() < 0.7:
        api = f"{service}-api" if not service.endswith("-api") else service
        acct.add(region, "apis", {"name": api, "type": "REST" if rng.random() < 0.4 else "HTTP",
                                  "tags": acct.tags(service, team), "integrations": functions})
        refs.append(f"api:{api}")
    if rng.random() < 0.75:
        acct.stack(region, service, team, refs)
    if rng.random() < 0.3:
        acct.alarm(region, f"{service}-errors", rng.choice(refs))


def _loose_lambda_unit(acct: _Account, region: dict[str, Any], service: str, team: str) -> None:
    rng = acct.rng
    trigger = None
    if rng.random() < 0.2:
        trigger = f"{service}-jobs"
        acct.add(region, "sqs_queues", {"name": trigger, "tags": acct.tags(service, team)})
    acct.add(region, "lambdas", {"name": service, "runtime": rng.choice(RUNTIMES), "handler": "app.handler",
                                 "tags": acct.tags(service, team), "sqs_trigger": trigger})
    if rng.random() < 0.2:
        acct.alarm(region, f"{service}-errors", f"lambda:{service}")


def _database_unit(acct: _Account, region: dict[str, Any], service: str, team: str) -> None:
    db = f"{service.replace('-', '')}db"
    acct.add(region, "rds_instances", {"id": db, "engine": acct.rng.choice(["postgres", "mysql"]),
                                       "tags": acct.tags(service, team)})
    acct.alarm(region, f"{db}-storage-low", f"rds:{db}")


UNITS = [(_container_unit, 0.45), (_serverless_unit, 0.35), (_loose_lambda_unit, 0.15), (_database_unit, 0.05)]


def generate_big_account(n_resources: int = 5000, account_id: str = "210987654321", seed: int = 1,
                         regions: tuple[str, ...] = ("us-east-1", "eu-west-1")) -> dict[str, Any]:
    """A roster-scenario/1 document with one AWS account holding about ``n_resources`` resources."""
    rng = random.Random(seed)
    acct = _Account(account_id, regions, rng)
    builders, weights = zip(*UNITS)
    while acct.count < n_resources:
        region = acct.regions[regions[0] if len(regions) == 1 or rng.random() < 0.8 else rng.choice(regions[1:])]
        rng.choices(builders, weights)[0](acct, region, acct.service_name(), rng.choice(TEAMS))
    return {
        "format": "roster-scenario/1",
        "name": f"big-account-{n_resources}",
        "description": f"One AWS account with about {n_resources} resources (seed {seed}) for the discovery benchmark",
        "aws": {"accounts": [{"id": account_id, "name": "big", "regions": list(acct.regions.values())}]},
        "github": {"orgs": []},
        "truth": {"services": [], "excluded_repos": []},
    }


def pick_changes(scenario: dict[str, Any], share: float = 0.01, seed: int = 2) -> dict[str, list[tuple[str, ...]]]:
    """What one round of deploys changes in a scenario's first AWS account: ``share`` of its resources, drawn
    (seeded) from what deploys change, stacks, Lambda functions and ECS services. {"stacks": [(region, name)],
    "lambdas": [(region, name)], "ecs": [(region, cluster, service)]}; apply them with ``apply_changes``."""
    regions = scenario["aws"]["accounts"][0]["regions"]
    total = sum(len(items) for region in regions for key, items in region.items() if key != "name")
    total += sum(len(c["services"]) for region in regions for c in region.get("ecs_clusters", []))
    candidates = [("stacks", r["name"], s["name"]) for r in regions for s in r.get("stacks", [])]
    candidates += [("lambdas", r["name"], f["name"]) for r in regions for f in r.get("lambdas", [])]
    candidates += [("ecs", r["name"], c["name"], s["name"]) for r in regions for c in r.get("ecs_clusters", [])
                   for s in c["services"]]
    picked = random.Random(seed).sample(candidates, min(len(candidates), max(1, round(share * total))))
    changes: dict[str, list[tuple[str, ...]]] = {"stacks": [], "lambdas": [], "ecs": []}
    for kind, *where in sorted(picked):
        changes[kind].append(tuple(where))
    return changes


def apply_changes(endpoint_url: str, account_id: str, changes: dict[str, list[tuple[str, ...]]], *,
                  release: str = "2", delete_lambdas: Sequence[tuple[str, str]] = ()) -> dict[str, int]:
    """Change resources on the moto server the way a deploy does: a stack updated (a ``release`` tag), a Lambda
    function's configuration updated (description and memory), an ECS service moved to a new task definition
    revision (image tag ``release``); and delete the Lambda functions named in ``delete_lambdas``."""
    import boto3

    from peers.aws_loader import account_credentials

    creds = account_credentials(endpoint_url, account_id)
    clients: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in clients:
            clients[(service, region)] = boto3.client(service, region_name=region, **creds)
        return clients[(service, region)]

    for region, name in changes.get("stacks", []):
        cfn = client("cloudformation", region)
        tags = [t for t in cfn.describe_stacks(StackName=name)["Stacks"][0].get("Tags", []) if t["Key"] != "release"]
        cfn.update_stack(StackName=name, UsePreviousTemplate=True, Tags=[*tags, {"Key": "release", "Value": release}])
    for region, name in changes.get("lambdas", []):
        client("lambda", region).update_function_configuration(FunctionName=name, Description=f"release {release}",
                                                               MemorySize=512)
    for region, cluster, service in changes.get("ecs", []):
        ecs = client("ecs", region)
        current = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
        definition = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
        containers = [{**c, "image": _retagged(c["image"], release)} for c in definition["containerDefinitions"]]
        revision = ecs.register_task_definition(family=definition["family"], containerDefinitions=containers,
                                                cpu=definition.get("cpu", "256"),
                                                memory=definition.get("memory", "512"))
        ecs.update_service(cluster=cluster, service=service,
                           taskDefinition=revision["taskDefinition"]["taskDefinitionArn"])
    for region, name in delete_lambdas:
        client("lambda", region).delete_function(FunctionName=name)
    return {kind: len(items) for kind, items in changes.items()} | {"deleted_lambdas": len(delete_lambdas)}


def _retagged(image: str, tag: str) -> str:
    path, slash, last = image.rpartition("/")
    return f"{path}{slash}{last.split('@')[0].split(':')[0]}:{tag}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a big single-account scenario as YAML.")
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--account", default="210987654321")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml writes 5000 resources ten times faster
    text = yaml.dump(generate_big_account(args.resources, args.account, args.seed), Dumper=dumper, sort_keys=False,
                     width=120)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
