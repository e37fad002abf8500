"""Load the ``aws`` part of a ``roster-scenario/1`` document into a moto server.

Accounts: moto files each request under the account that owns its access key, and keys returned by
``sts:AssumeRole`` for ``arn:aws:iam::<acct>:role/...`` belong to ``<acct>`` (moto checks neither
the role nor its trust policy). The loader assumes ``roster-loader`` in each account and creates
everything with those credentials. It also creates the ``RosterDiscovery`` role (trusting
``ROSTER_ACCOUNT`` with an ``sts:ExternalId`` condition) that Roster assumes to scan the account;
Roster's scanner does the same: any base credentials, ``AssumeRole(RoleArn=<RosterDiscovery ARN>,
ExternalId=...)``, then every call with the returned credentials sees that account.

Stacks: each stack is created from a template declaring its member resources (ECS services,
Lambda functions, RDS instances, SQS queues, REST and HTTP APIs), so ``list_stack_resources`` lists
them with their real physical ids. The prerequisites the scenario does not put in stacks (ECS
clusters, task definitions, the Lambda execution role) are created first through the service APIs.
Every member's template ``Tags`` carry its own tags, the stack's tags and the
``aws:cloudformation:stack-name|logical-id|stack-id`` tags, as real AWS ends up with. moto keeps
template tags for SQS, RDS and (with ``peers.moto_server``'s extensions) REST and HTTP APIs, and
drops them for ECS services and Lambda functions, which are therefore tagged through ECS/Lambda's
tag APIs right after the stack is created. A plain moto server cannot create
``AWS::ApiGatewayV2::Api`` from a template nor tag a REST API at all: the loader probes for that in
a scratch account (``PROBE_ACCOUNT``), and without support creates those HTTP APIs outside their
stack (tagged as if inside) and reports a warning for each affected API.

Resources not named in a stack are created through their service APIs with their own tags. Then
come API integrations (one OpenAPI import per API; per Lambda a ``{proxy+}`` path, or
``/<function>/{proxy+}`` when the API fronts several, with an ANY method and an AWS_PROXY
integration: REST APIs get the ``arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function
ARN>/invocations`` URI, HTTP APIs the function ARN itself), SQS event source mappings and CloudWatch
alarms (state set with ``set_alarm_state``).

What a deployed account also has, the loader creates too (``runtime_tasks``): an API with integrations
is deployed (REST: a deployment and the ``prod`` stage; HTTP: the auto-deployed ``$default`` stage) and
each integrated Lambda's resource policy lets ``apigateway.amazonaws.com`` invoke it from that API
(``lambda:AddPermission``, as SAM and the console do); each ECR repository holds an image (a minimal
Docker v2 manifest) for every tag the region's ECS task definitions pull from it, else ``latest``; each
ECS cluster gets EC2 container instances (ECS-optimized AMI, ~12 tasks each) and each service runs
``desired_count`` tasks on them (group ``service:<name>``, started by the service's deployment id) and
reports them as running. moto advances an ECS task's status each time it is described (RUNNING, then
DEACTIVATING ... STOPPED), so the loader sets the server's ``ecs::task`` state transition to manual
(tasks stay RUNNING); that setting is server-wide and survives ``/moto-api/reset``.

Work runs in phases, each fanned out over a thread pool;
``peers.moto_server`` serves one request at a time, so the pool only overlaps client and server work.
Load into empty accounts (a fresh or reset server): existing resources make the create calls fail.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import re
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from botocore.config import Config

from peers.scenario import load_scenario, parse_ref

LOADER_ROLE = "roster-loader"
DISCOVERY_ROLE = "RosterDiscovery"
LAMBDA_ROLE = "scenario-lambda-execution"
DEFAULT_EXTERNAL_ID = "roster-local-external-id"
# moto's account for credentials it did not issue, i.e. Roster's own base credentials.
ROSTER_ACCOUNT = "123456789012"
PROBE_ACCOUNT = "000000000000"
DEFAULT_IMAGE = "public.ecr.aws/nginx/nginx:stable"
HANDLER_SOURCE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
ECR_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
DISCOVERY_ACTIONS = [
    "cloudformation:Describe*", "cloudformation:List*", "cloudformation:GetTemplate*",
    "ecs:Describe*", "ecs:List*", "ecr:Describe*", "lambda:Get*", "lambda:List*", "apigateway:GET",
    "rds:Describe*", "rds:ListTagsForResource", "sqs:GetQueueAttributes", "sqs:ListQueues",
    "sqs:ListQueueTags", "cloudwatch:DescribeAlarms", "tag:GetResources",
]
# (namespace, metric, statistic, threshold) of the alarm watching each kind of target.
ALARM_METRICS = {
    "ecs": ("AWS/ECS", "CPUUtilization", "Average", 80.0),
    "lambda": ("AWS/Lambda", "Errors", "Sum", 1.0),
    "rds": ("AWS/RDS", "CPUUtilization", "Average", 80.0),
    "sqs": ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", 300.0),
    "REST": ("AWS/ApiGateway", "5XXError", "Sum", 1.0),
    "HTTP": ("AWS/ApiGateway", "5xx", "Sum", 1.0),
    None: ("Custom/Scenario", "Errors", "Sum", 1.0),
}
LOGICAL_SUFFIX = {"ecs": "Service", "lambda": "Function", "rds": "Database", "sqs": "Queue", "api": "Api"}
SERVICES = ("cloudformation", "ecs", "ecr", "lambda", "apigateway", "apigatewayv2", "rds", "sqs", "cloudwatch", "ec2")
REST_STAGE = "prod"  # the stage REST APIs with integrations are deployed to (HTTP APIs: "$default")
ECS_AMI = "ami-0d75e18107f482a72"  # amzn2-ami-ecs-kernel-5.10-hvm in moto's catalog; moto accepts any id
TASKS_PER_INSTANCE = 12  # a moto container instance has 4096 CPU units and 7482 MiB; tasks take 256/512
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+):([\w][\w.-]{0,127})$")


@dataclass
class AccountReport:
    account_id: str
    name: str
    role_arn: str = ""
    counts: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.counts[kind] += n

    def warn(self, message: str) -> None:
        with self._lock:
            self.warnings.append(message)


@dataclass
class LoadReport:
    endpoint_url: str
    external_id: str
    accounts: dict[str, AccountReport] = field(default_factory=dict)
    # truth-style ref "kind:account/region/name" (kinds stack ecs lambda api rds sqs) -> ARN
    arns: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # not tied to one account
    seconds: float = 0.0

    def role_arn(self, account_id: str) -> str:
        return self.accounts[account_id].role_arn

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint_url, "external_id": self.external_id, "seconds": round(self.seconds, 2),
            "warnings": self.warnings, "arns": self.arns,
            "accounts": {
                a.account_id: {"name": a.name, "role_arn": a.role_arn, "counts": dict(sorted(a.counts.items())),
                               "warnings": a.warnings}
                for a in self.accounts.values()
            },
        }

    def format(self) -> str:
        lines = [f"Loaded into {self.endpoint_url} in {self.seconds:.1f}s (ExternalId {self.external_id})"]
        lines += [f"warning: {w}" for w in self.warnings]
        for a in self.accounts.values():
            lines.append(f"account {a.account_id} ({a.name}): assume {a.role_arn}")
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in sorted(a.counts.items())))
            lines += [f"  warning: {w}" for w in a.warnings]
        return "\n".join(lines)


def account_credentials(endpoint_url: str, account_id: str, *, role_name: str = LOADER_ROLE,
                        external_id: str | None = None, session_name: str = "roster-loader",
                        session: boto3.Session | None = None) -> dict[str, str]:
    """boto3 client kwargs whose requests moto files under ``account_id`` (via sts:AssumeRole)."""
    sts = (session or boto3).client("sts", endpoint_url=endpoint_url, region_name="us-east-1",
                                    aws_access_key_id="testing", aws_secret_access_key="testing")
    extra = {"ExternalId": external_id} if external_id else {}
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
                            RoleSessionName=session_name, **extra)["Credentials"]
    return {"endpoint_url": endpoint_url, "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"], "aws_session_token": creds["SessionToken"]}


def load_aws(scenario: dict[str, Any], endpoint_url: str, *, external_id: str = DEFAULT_EXTERNAL_ID,
             workers: int = 8) -> LoadReport:
    """Create the scenario's AWS accounts on the moto server at ``endpoint_url``; see the module doc."""
    started = time.monotonic()
    report = LoadReport(endpoint_url, external_id)
    config = Config(max_pool_connections=workers * 2, retries={"mode": "standard", "max_attempts": 8},
                    read_timeout=120)
    # One session for every client: it loads each service model once (clients are thread-safe, sessions are not).
    session = boto3.Session()
    cfn_ext = _probe_cloudformation(endpoint_url, config, session)
    if not cfn_ext:
        report.warnings.append(
            "this moto server cannot create AWS::ApiGatewayV2::Api from a template nor tag REST APIs "
            "(run it with peers.moto_server): HTTP APIs named in stacks are created outside them and "
            "REST APIs in stacks carry no tags")
    accounts = [_Account(a, endpoint_url, session, config, external_id, report, cfn_ext)
                for a in scenario.get("aws", {}).get("accounts", [])]
    regions = [r for a in accounts for r in a.regions]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        _run(pool, [a.create_roles for a in accounts])
        _run(pool, [task for r in regions for task in r.base_tasks()])
        _run(pool, [task for r in regions for task in r.stack_and_service_tasks()])
        _run(pool, [task for r in regions for task in r.wiring_tasks()])
        if any(r.declared["ecs"] for r in regions):
            keep_ecs_tasks_running(endpoint_url)
        _run(pool, [task for r in regions for task in r.runtime_tasks()])
    for region in regions:
        report.arns.update(region.resource_arns())
    for account in report.accounts.values():
        account.warnings.sort()  # threads add them in any order
    report.seconds = time.monotonic() - started
    return report


def keep_ecs_tasks_running(endpoint_url: str) -> None:
    """moto moves an ECS task a status further each time it is described; keep them RUNNING (server-wide)."""
    requests.post(f"{endpoint_url.rstrip('/')}/moto-api/state-manager/set-transition", timeout=30, data=json.dumps(
        {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 2**62}})).raise_for_status()


def image_manifest(repository: str, tag: str) -> str:
    """A minimal Docker v2 manifest (one layer), distinct per repository and tag, as ``docker push`` uploads."""
    def blob(kind: str) -> str:
        return "sha256:" + hashlib.sha256(f"{kind}:{repository}:{tag}".encode()).hexdigest()
    return json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
                                  "digest": blob("config")},
                       "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                   "size": 31457280, "digest": blob("layer")}]})


def _run(pool: ThreadPoolExecutor, tasks: list[Callable[[], None]]) -> None:
    for future in [pool.submit(task) for task in tasks]:
        future.result()


def _probe_cloudformation(endpoint_url: str, config: Config, session: boto3.Session) -> bool:
    """Whether this server creates HTTP APIs and tagged REST APIs from templates (a throwaway stack)."""
    creds = account_credentials(endpoint_url, PROBE_ACCOUNT, session=session)
    cfn = session.client("cloudformation", region_name="us-east-1", config=config, **creds)
    name = f"roster-loader-probe-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": {
        "Http": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": name, "ProtocolType": "HTTP"}},
        "Rest": {"Type": "AWS::ApiGateway::RestApi",
                 "Properties": {"Name": name, "Tags": [{"Key": "probe", "Value": "1"}]}},
    }}))
    rows = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    supported = rows.get("Http", {}).get("ResourceType") == "AWS::ApiGatewayV2::Api"
    if supported and "Rest" in rows:
        apigw = session.client("apigateway", region_name="us-east-1", config=config, **creds)
        supported = apigw.get_rest_api(restApiId=rows["Rest"]["PhysicalResourceId"]).get("tags") == {"probe": "1"}
    cfn.delete_stack(StackName=name)
    return supported


def _tag_list(tags: dict[str, Any], key: str = "Key", value: str = "Value") -> list[dict[str, Any]]:
    return [{key: k, value: v} for k, v in tags.items()]


def _str_tags(tags: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in tags.items()}


def _logical_id(name: str, kind: str, taken: set[str]) -> str:
    base = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)
    logical = f"{base or 'Resource'}{LOGICAL_SUFFIX[kind]}"
    candidate, n = logical, 2
    while candidate in taken:
        candidate, n = f"{logical}{n}", n + 1
    taken.add(candidate)
    return candidate


def _lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.py", HANDLER_SOURCE)
    return buf.getvalue()


LAMBDA_ZIP = _lambda_zip()


class _Account:
    def __init__(self, spec: dict[str, Any], endpoint_url: str, session: boto3.Session, config: Config,
                 external_id: str, report: LoadReport, cfn_ext: bool):
        self.id = spec["id"]
        self.external_id = external_id
        self.report = AccountReport(self.id, spec.get("name", self.id))
        report.accounts[self.id] = self.report
        creds = account_credentials(endpoint_url, self.id, session=session)
        self.iam = session.client("iam", region_name="us-east-1", config=config, **creds)
        self.lambda_role_arn = f"arn:aws:iam::{self.id}:role/{LAMBDA_ROLE}"
        # Every client is made here, in the main thread, before the thread pool uses them.
        self.regions = [
            _Region(self, r, {s: session.client(s, region_name=r["name"], config=config, **creds) for s in SERVICES},
                    cfn_ext)
            for r in spec.get("regions", [])
        ]

    def create_roles(self) -> None:
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ROSTER_ACCOUNT}:root"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": self.external_id}},
        }]}
        role = self.iam.create_role(RoleName=DISCOVERY_ROLE, AssumeRolePolicyDocument=json.dumps(trust),
                                    Description="Read-only role Roster assumes to discover services")["Role"]
        self.iam.put_role_policy(RoleName=DISCOVERY_ROLE, PolicyName="roster-discovery-read-only",
                                 PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                     {"Effect": "Allow", "Action": DISCOVERY_ACTIONS, "Resource": "*"}]}))
        self.report.role_arn = role["Arn"]
        lambda_trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        self.iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=json.dumps(lambda_trust))
        self.report.count("iam_roles", 2)


class _Region:
    """One account-region: the plan (which resource goes where) and the ids created so far."""

    def __init__(self, account: _Account, spec: dict[str, Any], clients: dict[str, Any], cfn_ext: bool):
        self.account = account
        self.acct = account.id
        self.name = spec["name"]
        self.spec = spec
        self.c = clients
        self.cfn_ext = cfn_ext
        self.report = account.report
        self.stack_arns: dict[str, str] = {}
        self.api_ids: dict[str, str] = {}
        self.task_definitions: dict[str, str] = {}  # "cluster/service" -> task definition ARN
        self._index_declared()
        self._assign_stack_members()

    # -- plan ---------------------------------------------------------------------------------
    def _warn(self, message: str) -> None:
        self.report.warn(f"{self.name}: {message}")

    def _index_declared(self) -> None:
        """Declared resources by ref name (``cluster/service`` for ECS), dropping duplicates."""
        self.declared: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in LOGICAL_SUFFIX}
        entries: list[tuple[str, str, dict[str, Any]]] = []
        for cluster in self.spec.get("ecs_clusters", []):
            entries += [("ecs", f"{cluster['name']}/{svc['name']}", {**svc, "cluster": cluster["name"]})
                        for svc in cluster.get("services", [])]
        entries += [("lambda", fn["name"], fn) for fn in self.spec.get("lambdas", [])]
        entries += [("api", api["name"], api) for api in self.spec.get("apis", [])]
        entries += [("rds", db["id"], db) for db in self.spec.get("rds_instances", [])]
        entries += [("sqs", q["name"], q) for q in self.spec.get("sqs_queues", [])]
        for kind, name, item in entries:
            if name in self.declared[kind]:
                self._warn(f"{kind} {name} declared twice; the first one is used")
            else:
                self.declared[kind][name] = item

    def _assign_stack_members(self) -> None:
        self.member_of: dict[tuple[str, str], str] = {}  # (kind, name) -> stack whose template creates it
        self.tagged_as_in: dict[tuple[str, str], str] = {}  # HTTP APIs a plain moto cannot put in their stack
        self.stacks: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
        for stack in self.spec.get("stacks", []):
            members = []
            for ref in stack.get("resources", []):
                kind, name = parse_ref(ref)
                placed = self.member_of.get((kind, name)) or self.tagged_as_in.get((kind, name))
                if name not in self.declared[kind]:
                    self._warn(f"stack {stack['name']} names {ref}, which this region does not declare; skipped")
                elif placed:
                    self._warn(f"{ref} is in stacks {placed} and {stack['name']}; kept in the first")
                elif kind == "api" and self.declared["api"][name]["type"] == "HTTP" and not self.cfn_ext:
                    self._warn(f"HTTP API {name} of stack {stack['name']} created outside it (no template support)")
                    self.tagged_as_in[(kind, name)] = stack["name"]
                else:
                    self.member_of[(kind, name)] = stack["name"]
                    members.append((kind, name))
            self.stacks.append((stack, members))

    def _standalone(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(n, item) for n, item in self.declared[kind].items() if (kind, n) not in self.member_of]

    @staticmethod
    def _counter(kind: str, item: dict[str, Any]) -> str:
        if kind == "api":
            return "rest_apis" if item["type"] == "REST" else "http_apis"
        return {"ecs": "ecs_services", "lambda": "lambdas", "rds": "rds_instances", "sqs": "sqs_queues"}[kind]

    def _arn(self, kind: str, name: str) -> str:
        r, a = self.name, self.acct
        if kind == "ecs":
            return f"arn:aws:ecs:{r}:{a}:service/{name}"
        if kind == "lambda":
            return f"arn:aws:lambda:{r}:{a}:function:{name}"
        if kind == "rds":
            return f"arn:aws:rds:{r}:{a}:db:{name}"
        if kind == "sqs":
            return f"arn:aws:sqs:{r}:{a}:{name}"
        api_type = self.declared["api"][name]["type"]
        return f"arn:aws:apigateway:{r}::/{'restapis' if api_type == 'REST' else 'apis'}/{self.api_ids[name]}"

    def resource_arns(self) -> dict[str, str]:
        """Truth-style refs to ARNs; ECS refs carry no cluster, so the first declared service takes a shared name."""
        arns = {}
        for kind in LOGICAL_SUFFIX:
            for name in self.declared[kind]:
                arns.setdefault(f"{kind}:{self.acct}/{self.name}/{name.split('/')[-1]}", self._arn(kind, name))
        return {**arns, **self.stack_arns}

    # -- phase 2: everything that does not depend on other scenario resources ------------------
    def base_tasks(self) -> list[Callable[[], None]]:
        tasks: list[Callable[[], None]] = []
        tasks += [lambda n=n: self._ecr_repository(n) for n in self._ecr_names()]
        tasks += [lambda c=c: self._cluster(c["name"]) for c in self.spec.get("ecs_clusters", [])]
        tasks += [lambda k=k, s=s: self._task_definition(k, s) for k, s in self.declared["ecs"].items()]
        tasks += [lambda n=n, q=q: self._queue(n, q) for n, q in self._standalone("sqs")]
        tasks += [lambda n=n, d=d: self._db(n, d) for n, d in self._standalone("rds")]
        tasks += [lambda n=n, f=f: self._function(n, f) for n, f in self._standalone("lambda")]
        tasks += [lambda n=n, a=a: self._api(n, a) for n, a in self._standalone("api")]
        return tasks

    def _ecr_names(self, warn: bool = True) -> list[str]:
        """Repository names AWS accepts: lower-cased when that is all they lack, else skipped."""
        names: dict[str, str] = {}
        say = self._warn if warn else (lambda message: None)
        for name in self.spec.get("ecr_repositories", []):
            repo = name if ECR_NAME.match(name) else name.lower()
            if not ECR_NAME.match(repo):
                say(f"ECR repository name {name!r} is invalid on AWS; skipped")
            elif repo in names:
                say(f"ECR repository {name!r} is declared twice (as {names[repo]!r}); created once")
            else:
                if repo != name:
                    say(f"ECR repository name {name!r} is invalid on AWS; created as {repo!r}")
                names[repo] = name
        return list(names)

    def _ecr_repository(self, name: str) -> None:
        self.c["ecr"].create_repository(repositoryName=name)
        self.report.count("ecr_repositories")

    def _cluster(self, name: str) -> None:
        self.c["ecs"].create_cluster(clusterName=name)
        self.report.count("ecs_clusters")

    def _task_definition(self, key: str, svc: dict[str, Any]) -> None:
        # Concurrent registrations of one family would race for its revision numbers.
        shared = sum(1 for k in self.declared["ecs"] if k.split("/")[1] == svc["name"]) > 1
        td = self.c["ecs"].register_task_definition(
            family=key.replace("/", "-") if shared else svc["name"], cpu="256", memory="512",
            containerDefinitions=[{"name": svc["name"], "image": svc.get("image") or DEFAULT_IMAGE,
                                   "essential": True, "memory": 512}],
        )["taskDefinition"]
        self.task_definitions[key] = td["taskDefinitionArn"]
        self.report.count("task_definitions")

    def _queue(self, name: str, q: dict[str, Any]) -> None:
        attrs = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        self.c["sqs"].create_queue(QueueName=name, Attributes=attrs, tags=_str_tags(q["tags"]))
        self.report.count("sqs_queues")

    def _db(self, name: str, db: dict[str, Any]) -> None:
        self.c["rds"].create_db_instance(**self._db_params(name, db), Tags=_tag_list(_str_tags(db["tags"])))
        self.report.count("rds_instances")

    @staticmethod
    def _db_params(name: str, db: dict[str, Any]) -> dict[str, Any]:
        port = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}.get(db["engine"])
        return {"DBInstanceIdentifier": name, "Engine": db["engine"], "DBInstanceClass": "db.t3.micro",
                "AllocatedStorage": 20, "MasterUsername": "scenario", "MasterUserPassword": "not-a-secret-1",
                **({"Port": port} if port else {})}

    def _function(self, name: str, fn: dict[str, Any]) -> None:
        self.c["lambda"].create_function(
            FunctionName=name, Runtime=fn["runtime"], Handler=fn["handler"], Role=self.account.lambda_role_arn,
            Code={"ZipFile": LAMBDA_ZIP}, Tags=_str_tags(fn["tags"]))
        self.report.count("lambdas")

    def _api(self, name: str, api: dict[str, Any]) -> None:
        tags = _str_tags(api["tags"])
        if stack := self.tagged_as_in.get(("api", name)):
            stack_spec = next(s for s, _ in self.stacks if s["name"] == stack)
            tags = {**_str_tags(stack_spec["tags"]), **tags, "aws:cloudformation:stack-name": stack}
        if api["type"] == "HTTP":
            self.api_ids[name] = self.c["apigatewayv2"].create_api(Name=name, ProtocolType="HTTP", Tags=tags)["ApiId"]
        else:
            rest = self.c["apigateway"].create_rest_api(name=name, **({"tags": tags} if tags else {}))
            self.api_ids[name] = rest["id"]
        self.report.count(self._counter("api", api))

    # -- phase 3: stacks and the ECS services outside them --------------------------------------
    def stack_and_service_tasks(self) -> list[Callable[[], None]]:
        tasks: list[Callable[[], None]] = [lambda s=s, m=m: self._stack(s, m) for s, m in self.stacks]
        tasks += [lambda k=k, s=s: self._service(k, s) for k, s in self._standalone("ecs")]
        return tasks

    def _service(self, key: str, svc: dict[str, Any]) -> None:
        tags = _tag_list(_str_tags(svc["tags"]), "key", "value")
        self.c["ecs"].create_service(cluster=svc["cluster"], serviceName=svc["name"], desiredCount=svc["desired_count"],
                                     taskDefinition=self.task_definitions[key], **({"tags": tags} if tags else {}))
        self.report.count("ecs_services")

    def _stack(self, stack: dict[str, Any], members: list[tuple[str, str]]) -> None:
        stack_name = stack["name"]
        stack_tags = _str_tags(stack["tags"])
        taken: set[str] = set()
        logical = {m: _logical_id(m[1].split("/")[-1], m[0], taken) for m in members}
        member_tags = {
            m: {**stack_tags, **_str_tags(self.declared[m[0]][m[1]]["tags"]),
                "aws:cloudformation:stack-name": stack_name, "aws:cloudformation:logical-id": logical[m]}
            for m in members
        }
        resources = {logical[m]: self._template_resource(*m, member_tags[m]) for m in members}
        cfn = self.c["cloudformation"]
        stack_id = cfn.create_stack(
            StackName=stack_name, Tags=_tag_list(stack_tags),
            TemplateBody=json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}),
        )["StackId"]
        self.stack_arns[f"stack:{self.acct}/{self.name}/{stack_name}"] = stack_id
        self.report.count("stacks")
        physical = {}
        if any(kind == "api" for kind, _ in members):  # the only members whose ids are not their names
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
                physical.update({r["LogicalResourceId"]: r["PhysicalResourceId"]
                                 for r in page["StackResourceSummaries"]})
        for kind, name in members:
            if kind == "api":
                self.api_ids[name] = physical[logical[(kind, name)]]
            tags = {**member_tags[(kind, name)], "aws:cloudformation:stack-id": stack_id}
            arn = self._arn(kind, name)
            if kind == "ecs":  # moto's ECS and Lambda models ignore template tags
                self.c["ecs"].tag_resource(resourceArn=arn, tags=_tag_list(tags, "key", "value"))
            elif kind == "lambda":
                self.c["lambda"].tag_resource(Resource=arn, Tags=tags)
            elif kind == "api" and not self.cfn_ext:
                self._warn(f"REST API {name} of stack {stack_name} has no tags (this moto cannot tag REST APIs)")
            self.report.count(self._counter(kind, self.declared[kind][name]))
        self.report.count("stack_resources", len(members))

    def _template_resource(self, kind: str, name: str, tags: dict[str, str]) -> dict[str, Any]:
        """The template entry creating a declared resource; stack-id comes from ``Ref AWS::StackId``."""
        item = self.declared[kind][name]
        tag_list = [*_tag_list(tags), {"Key": "aws:cloudformation:stack-id", "Value": {"Ref": "AWS::StackId"}}]
        if kind == "ecs":
            return {"Type": "AWS::ECS::Service", "Properties": {
                "ServiceName": item["name"], "Cluster": item["cluster"], "TaskDefinition": self.task_definitions[name],
                "DesiredCount": item["desired_count"], "Tags": tag_list}}
        if kind == "lambda":
            return {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": name, "Runtime": item["runtime"], "Handler": item["handler"],
                "Role": self.account.lambda_role_arn, "Code": {"ZipFile": HANDLER_SOURCE}, "Tags": tag_list}}
        if kind == "rds":
            params = self._db_params(name, item)
            params["AllocatedStorage"] = str(params["AllocatedStorage"])
            return {"Type": "AWS::RDS::DBInstance", "Properties": {**params, "Tags": tag_list}}
        if kind == "sqs":
            fifo = {"FifoQueue": True} if name.endswith(".fifo") else {}
            return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, **fifo, "Tags": tag_list}}
        if item["type"] == "HTTP":
            return {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
                "Name": name, "ProtocolType": "HTTP", "Tags": {t["Key"]: t["Value"] for t in tag_list}}}
        return {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": name, "Tags": tag_list}}

    # -- phase 4: integrations, event source mappings, alarms -----------------------------------
    def wiring_tasks(self) -> list[Callable[[], None]]:
        tasks: list[Callable[[], None]] = [lambda n=n, a=a: self._integrations(n, a)
                                           for n, a in self.declared["api"].items() if a["integrations"]]
        tasks += [lambda n=n, f=f: self._event_source(n, f["sqs_trigger"])
                  for n, f in self.declared["lambda"].items() if f.get("sqs_trigger")]
        tasks += [lambda al=al: self._alarm(al) for al in self.spec.get("alarms", [])]
        return tasks

    def _integrations(self, api_name: str, api: dict[str, Any]) -> None:
        """One OpenAPI import per API (as SAM or Serverless deploy them) routing ``{proxy+}`` to each Lambda."""
        functions = []
        for fn in api["integrations"]:
            if fn in self.declared["lambda"]:
                functions.append(fn)
            else:
                self._warn(f"API {api_name} integrates Lambda {fn}, which this region does not declare; skipped")
        if not functions:
            return
        paths = {}
        for fn in functions:  # one function takes the whole API; several get a path prefix each
            fn_arn = self._arn("lambda", fn)
            integration = {"type": "AWS_PROXY", "httpMethod": "POST", "uri": fn_arn, "payloadFormatVersion": "2.0"}
            if api["type"] == "REST":
                integration = {"type": "AWS_PROXY", "httpMethod": "POST", "uri": (
                    f"arn:aws:apigateway:{self.name}:lambda:path/2015-03-31/functions/{fn_arn}/invocations")}
            # moto upper-cases method keys, so "any" is the ANY method (AWS spells it x-amazon-apigateway-any-method)
            paths["/{proxy+}" if len(functions) == 1 else f"/{fn}/{{proxy+}}"] = {
                "any": {"x-amazon-apigateway-integration": integration}}
        doc = json.dumps({"openapi": "3.0.1", "info": {"title": api_name, "version": "1.0"}, "paths": paths})
        if api["type"] == "HTTP":
            self.c["apigatewayv2"].reimport_api(ApiId=self.api_ids[api_name], Body=doc)
        else:
            self.c["apigateway"].put_rest_api(restApiId=self.api_ids[api_name], mode="merge", body=doc.encode())
        self.report.count("api_integrations", len(functions))

    def _event_source(self, function: str, queue: str) -> None:
        if queue not in self.declared["sqs"]:
            self._warn(f"Lambda {function} is triggered by queue {queue}, which this region does not declare; skipped")
            return
        self.c["lambda"].create_event_source_mapping(EventSourceArn=self._arn("sqs", queue), FunctionName=function,
                                                     BatchSize=10)
        self.report.count("event_source_mappings")

    def _alarm(self, alarm: dict[str, Any]) -> None:
        dimensions: list[dict[str, str]] = []
        metric_kind = None
        if alarm.get("target"):
            kind, name = parse_ref(alarm["target"])
            if name not in self.declared[kind]:
                self._warn(f"alarm {alarm['name']} watches {alarm['target']}, which this region does not declare")
            else:
                metric_kind = self.declared["api"][name]["type"] if kind == "api" else kind
                dimensions = self._dimensions(kind, name)
        namespace, metric, statistic, threshold = ALARM_METRICS[metric_kind]
        cw = self.c["cloudwatch"]
        cw.put_metric_alarm(
            AlarmName=alarm["name"], Namespace=namespace, MetricName=metric, Statistic=statistic, Period=300,
            EvaluationPeriods=1, Threshold=threshold, ComparisonOperator="GreaterThanOrEqualToThreshold",
            Dimensions=dimensions)
        cw.set_alarm_state(AlarmName=alarm["name"], StateValue=alarm["state"], StateReason="Set by the scenario")
        self.report.count("alarms")

    # -- phase 5: what running accounts have: API stages and invoke permissions, images, tasks ---------
    def runtime_tasks(self) -> list[Callable[[], None]]:
        tasks: list[Callable[[], None]] = [lambda n=n, a=a: self._deploy_api(n, a)
                                           for n, a in self.declared["api"].items() if self._integrated(a)]
        tasks += [lambda n=n, t=t: self._ecr_images(n, t) for n, t in self._ecr_image_tags().items()]
        tasks += [lambda c=c: self._run_cluster_tasks(c["name"]) for c in self.spec.get("ecs_clusters", [])
                  if any(s["desired_count"] > 0 for s in c["services"])]
        return tasks

    def _integrated(self, api: dict[str, Any]) -> list[str]:
        return list(dict.fromkeys(fn for fn in api["integrations"] if fn in self.declared["lambda"]))

    def _deploy_api(self, api_name: str, api: dict[str, Any]) -> None:
        """Deploy the API (AWS refuses to deploy one without methods) and let it invoke its Lambdas."""
        api_id = self.api_ids[api_name]
        if api["type"] == "HTTP":
            self.c["apigatewayv2"].create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        else:
            apigw = self.c["apigateway"]
            deployment = apigw.create_deployment(restApiId=api_id, description="Deployed by the scenario")
            apigw.create_stage(restApiId=api_id, stageName=REST_STAGE, deploymentId=deployment["id"])
            self.report.count("api_deployments")
        self.report.count("api_stages")
        functions = self._integrated(api)
        for fn in functions:
            path = "*" if len(functions) == 1 else f"{fn}/*"
            self.c["lambda"].add_permission(
                FunctionName=fn, StatementId=f"apigateway-{api_id}-invoke", Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com", SourceAccount=self.acct,
                SourceArn=f"arn:aws:execute-api:{self.name}:{self.acct}:{api_id}/*/*/{path}")
        self.report.count("lambda_permissions", len(functions))

    def _ecr_image_tags(self) -> dict[str, list[str]]:
        """Repository -> the tags this region's ECS services pull from it (``latest`` when none do)."""
        tags: dict[str, list[str]] = {name: [] for name in self._ecr_names(warn=False)}
        for svc in self.declared["ecs"].values():
            match = ECR_IMAGE.match(svc.get("image") or "")
            repo = match and next((r for r in (match.group(3), match.group(3).lower()) if r in tags), None)
            if repo and match.group(1, 2) == (self.acct, self.name):  # a name the loader lower-cased: its image too
                tags[repo].append(match.group(4))
        return {name: sorted(set(t)) or ["latest"] for name, t in tags.items()}

    def _ecr_images(self, repository: str, tags: list[str]) -> None:
        for tag in tags:
            self.c["ecr"].put_image(repositoryName=repository, imageTag=tag, imageManifestMediaType=DOCKER_MANIFEST,
                                    imageManifest=image_manifest(repository, tag))
        self.report.count("ecr_images", len(tags))

    def _run_cluster_tasks(self, cluster: str) -> None:
        """Container instances for the cluster, then each service's tasks spread over them (one call per round,
        each instance at most once a call, as ``StartTask`` wants), then the service's running count."""
        ecs = self.c["ecs"]
        services = [(k, s) for k, s in self.declared["ecs"].items() if s["cluster"] == cluster and s["desired_count"]]
        total = sum(s["desired_count"] for _, s in services)
        count = math.ceil(total / TASKS_PER_INSTANCE)
        reservation = self.c["ec2"].run_instances(ImageId=ECS_AMI, InstanceType="m5.xlarge", MinCount=count,
                                                  MaxCount=count)
        instances = []
        for instance in reservation["Instances"]:
            document = {"instanceId": instance["InstanceId"], "region": self.name, "accountId": self.acct,
                        "imageId": ECS_AMI, "instanceType": "m5.xlarge"}
            instances.append(ecs.register_container_instance(
                cluster=cluster, instanceIdentityDocument=json.dumps(document))["containerInstance"][
                "containerInstanceArn"])
        self.report.count("ec2_instances", count)
        self.report.count("container_instances", count)
        slot = 0
        for key, svc in services:
            service = ecs.describe_services(cluster=cluster, services=[svc["name"]])["services"][0]
            deployment = next((d["id"] for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), "")
            left = svc["desired_count"]
            while left:
                batch = min(left, len(instances), 10)
                targets = [instances[(slot + i) % len(instances)] for i in range(batch)]
                slot = (slot + batch) % len(instances)
                ecs.start_task(cluster=cluster, taskDefinition=self.task_definitions[key], containerInstances=targets,
                               group=f"service:{svc['name']}", startedBy=deployment)
                left -= batch
            # moto counts a service's tasks apart from the tasks themselves: this sets running = desired
            ecs.update_service(cluster=cluster, service=svc["name"], desiredCount=svc["desired_count"])
            self.report.count("ecs_tasks", svc["desired_count"])

    def _dimensions(self, kind: str, name: str) -> list[dict[str, str]]:
        if kind == "ecs":
            cluster, service = name.split("/", 1)
            return [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
        if kind == "api":
            if self.declared["api"][name]["type"] == "HTTP":
                return [{"Name": "ApiId", "Value": self.api_ids[name]}]
            return [{"Name": "ApiName", "Value": name}]
        key = {"lambda": "FunctionName", "rds": "DBInstanceIdentifier", "sqs": "QueueName"}[kind]
        return [{"Name": key, "Value": name}]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Load a scenario's AWS accounts into a moto server.")
    parser.add_argument("--endpoint", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--external-id", default=DEFAULT_EXTERNAL_ID)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("scenario")
    args = parser.parse_args(argv)
    report = load_aws(load_scenario(args.scenario), args.endpoint, external_id=args.external_id, workers=args.workers)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.format())


if __name__ == "__main__":
    main()
