"""Style ``terraform`` (Larkspur Mutual, an insurer): no CloudFormation at all. One infrastructure repository
(``terraform-live``) creates every service's resources with Terraform: a folder per service
(``services/<svc>/main.tf`` with ``locals``, ``variable`` defaults, interpolated names and
``tags = merge(local.common_tags, {...})``) or a module call per service in ``environments/prod.tf`` (local
modules under ``modules/``), CODEOWNERS per folder. ECS services share clusters (prod and staging copies in
one account), each team tags in its own convention (or not at all), app repositories only redeploy
(``aws ecs update-service``, ``aws lambda update-function-code``)."""
from __future__ import annotations

from datetime import timedelta

from ..company import Company
from ..repo_files import codeowners_file, readme
from ..vocab import NOW, camel, language_for, split
from ..workflows import ci_workflow, wf_ecs_cli, wf_lambda_cli
from .common import archived_and_forks, pick_name

DOMAINS = {
    "claims": (["claim", "fnol", "adjuster", "payout", "salvage"], "Claims"),
    "policy": (["quote", "policy", "endorsement", "renewal"], "Policy Admin"),
    "billing": (["premium", "installment", "dunning", "refund"], "Billing"),
    "underwriting": (["risk", "rating", "inspection", "peril"], "Underwriting"),
    "agents": (["broker", "commission", "agency", "lead"], "Agent Experience"),
}
PLATFORM = ["audit", "cost", "dns", "backup", "secrets"]
SUFFIXES = ["intake", "engine", "service", "gateway", "tracker", "scorer", "ledger", "hub"]
PROD_CLUSTERS = ["shared-prod", "shared-prod", "apps-prod"]
STAGING_CLUSTER = "shared-staging"
VOWELS = set("aeiou")


def hcl(value: str) -> str:
    return '"' + value + '"'


def abbreviation(name: str) -> str:
    """How a DBA names a database: the first word's consonants, the rest run together (claim-intake -> clmintake)."""
    first, *rest = name.split("-")
    short = first[0] + "".join(ch for ch in first[1:] if ch not in VOWELS)
    return short[:4] + "".join(rest)


class Convention:
    """One team's tagging habit for one service: which keys, how the owner is written, how often it tags."""

    def __init__(self, c: Company, team: str):
        rng = c.rng
        self.rng = rng
        self.env_key = rng.choice(["Environment", "env"])
        self.service_key = rng.choice(["Service", "app", "component", None])
        self.owner_key = rng.choice(["Owner", "owner_team", "Team", None])
        form = rng.choice(["slug", "prefixed", "title", "email"])
        title = DOMAINS[team][1] if team in DOMAINS else team.replace("-", " ").title()
        self.owner = {"slug": team, "prefixed": f"team-{team}", "title": f"{title} Team",
                      "email": c.members[rng.choice(c.solo(team))]["email"] if c.teams[team]["members"] else team}[form]
        self.p_tagged = rng.choice([0.6, 0.8, 1.0])

    def common(self, env: str) -> dict[str, str]:
        tags = {self.env_key: env, "ManagedBy": "terraform"}
        if self.owner_key:
            tags[self.owner_key] = self.owner
        return tags

    def tags(self, name: str, service: str, env: str) -> dict[str, str]:
        if self.rng.random() >= self.p_tagged:
            return {}
        own = {"Name": name}
        if self.service_key:
            own[self.service_key] = service
        return {**self.common(env), **own}


def tags_hcl(tags: dict[str, str], common: dict[str, str]) -> str:
    """``tags = merge(local.common_tags, {...})`` for what the resource adds to the folder's common tags."""
    if not tags:
        return ""
    own = {k: v for k, v in tags.items() if common.get(k) != v}
    body = "".join(f"    {k} = {hcl(v)}\n" for k, v in own.items())
    return f"  tags = merge(local.common_tags, {{\n{body}  }})\n"


def terraform_style(c: Company, n: int) -> str:
    rng = c.rng
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in DOMAINS.items():
        c.team(slug, title, rng.randint(3, 5), parent="engineering")
    c.team("cloud-platform", "Cloud Platform", 3, parent="engineering", description="Terraform, clusters, CI")
    c.cross_members(list(DOMAINS), 3)
    region = c.region("larkspur", "us-east-1")
    acct = region.acct
    live: dict[str, str] = {}            # terraform-live files
    owners_rules: list[tuple[str, list[str]]] = [("*", [f"@{c.org_login}/cloud-platform"])]
    env_modules: list[str] = []          # module blocks of environments/prod.tf

    def service(team: str | None, kind: str, *, with_repo: bool = True, orphan: bool = False) -> None:
        """One service: its AWS resources, its Terraform (a folder, or a module call), its app repository."""
        nouns = DOMAINS[team][0] if team in DOMAINS else PLATFORM
        name = pick_name(c, nouns, SUFFIXES)
        per_folder = not with_repo or rng.random() < 0.7
        conv = Convention(c, team or "cloud-platform")
        res, blocks, targets = [], [], []
        fns: list[str] = []
        runtime = rng.choice(["python3.12", "nodejs20.x", "python3.11"])

        def tagged(res_name: str, env: str = "prod") -> dict[str, str]:
            return {} if orphan else conv.tags(res_name, name, env)

        if kind == "ecs":
            cluster = rng.choice(PROD_CLUSTERS)
            parts = ["api", "worker"] if per_folder and rng.random() < 0.3 else [""]
            envs = ["prod", "staging"] if per_folder and rng.random() < 0.3 else ["prod"]
            for env in envs:
                for part in parts:
                    base = f"{name}-{part}" if part else name
                    svc = base if env == "prod" else f"{base}-staging"
                    tags = tagged(svc, env)
                    if env == "prod":
                        region.ecr.append(base)
                    image = f"{acct}.dkr.ecr.us-east-1.amazonaws.com/{base}:{rng.choice(['v1.8.2', 'latest', 'r412'])}"
                    on = cluster if env == "prod" else STAGING_CLUSTER
                    res.append(region.ecs(on, svc, image, tags=tags, desired=rng.randint(1, 4) if env == "prod" else 1))
                    targets.append((f"deploy-{env}" + (f"-{part}" if part else ""), acct, "us-east-1", f"{on}/{svc}"))
                    label = "_".join(p for p in (part or "app", "" if env == "prod" else env) if p)
                    suffix = (f"-{part}" if part else "") + ("" if env == "prod" else "-staging")
                    blocks.append(f'resource "aws_ecs_service" "{label}" {{\n'
                                  f'  name          = {hcl("${local.service}" + suffix) if suffix else "local.service"}\n'
                                  f'  cluster       = {"var.cluster" if env == "prod" else hcl(STAGING_CLUSTER)}\n'
                                  f'  desired_count = {1 if env != "prod" else rng.randint(1, 4)}\n'
                                  + tags_hcl(tags, conv.common(env)) + "}\n")
        else:
            cluster = None
            fns = [f"{name}-{f}" if f else name for f in rng.sample(["", "handler", "sync", "notifier"],
                                                                    rng.randint(1, 2) if per_folder else 1)]
            for fn in fns:
                tags = tagged(fn)
                res.append(region.function(fn, runtime, "app.handler", tags=tags))
                suffix = fn[len(name):]
                blocks.append(f'resource "aws_lambda_function" "{(suffix.strip("-") or "main").replace("-", "_")}" {{\n'
                              f'  function_name = {hcl("${local.service}" + suffix) if suffix else "local.service"}\n'
                              f'  runtime       = {hcl(runtime)}\n  handler       = "app.handler"\n'
                              + tags_hcl(tags, conv.common("prod")) + "}\n")
            if per_folder and rng.random() < 0.5:
                api_type = rng.choice(["HTTP", "REST"])
                res.append(region.api(name, api_type, [fns[0]], tags=tagged(name)))
                kind_tf = "aws_apigatewayv2_api" if api_type == "HTTP" else "aws_api_gateway_rest_api"
                blocks.append(f'resource "{kind_tf}" "api" {{\n  name = local.service\n'
                              + ('  protocol_type = "HTTP"\n' if api_type == "HTTP" else "") + "}\n")
        if per_folder and rng.random() < 0.45:
            qname = c.fresh([f"{name}-jobs", f"{name}-events"])
            res.append(region.queue(qname, tags=tagged(qname)))
            blocks.append(f'resource "aws_sqs_queue" "{qname[len(name) + 1:]}" {{\n'
                          f'  name = {hcl("${local.service}" + qname[len(name):])}\n'
                          '  visibility_timeout_seconds = 60\n}\n')
        if per_folder and rng.random() < 0.4:
            # named by whoever set it up: sometimes the service's name, sometimes a DBA's abbreviation
            db = c.fresh([f"{name}-db", f"{abbreviation(name)}-pg", f"{abbreviation(name)}db"])
            engine = rng.choice(["postgres", "postgres", "mysql"])
            res.append(region.db(db, engine, tags=tagged(db)))
            blocks.append(f'variable "db_identifier" {{\n  type    = string\n  default = {hcl(db)}\n}}\n\n'
                          f'resource "aws_db_instance" "main" {{\n  identifier     = var.db_identifier\n'
                          f'  engine         = {hcl(engine)}\n  instance_class = "db.t4g.medium"\n}}\n')
        if per_folder:
            folder = f"services/{name}"
            common = conv.common("prod")
            common_hcl = "".join(f"    {k} = {hcl(v)}\n" for k, v in common.items())
            head = (f'locals {{\n  service = {hcl(name)}\n  common_tags = {{\n{common_hcl}  }}\n}}\n\n'
                    + (f'variable "cluster" {{\n  type    = string\n  default = {hcl(cluster)}\n}}\n\n' if cluster else ""))
            live[f"{folder}/main.tf"] = head + "\n".join(blocks)
            if team and not orphan:  # an orphan's folder falls under the catch-all: nobody claims it
                owners_rules.append((f"/{folder}/", [f"@{c.org_login}/{team}"]))
        else:
            # one module call per service in the environment file; the module names and tags what it creates
            target = fns[0] if kind == "lambda" else res[0].ref.split("/")[-1]
            module = "ecs-service" if kind == "ecs" else "lambda-service"
            created = region.clusters[cluster][-1] if kind == "ecs" else region.lambdas[-1]
            created["tags"] = {"Service": target, "Owner": team}
            extra = f'  cluster = {hcl(cluster)}\n' if cluster else ""
            env_modules.append(f'module "{name.replace("-", "_")}" {{\n  source = "../modules/{module}"\n'
                               f'  name   = {hcl(target)}\n{extra}  owner  = {hcl(team)}\n}}\n')
        if not with_repo:
            c.service(name, None if orphan else team, None, [r.truth for r in res])
            return
        repo = name if rng.random() < 0.85 else f"{c.org_login}-{name}"
        lang = language_for(runtime) if kind == "lambda" else rng.choice(["Go", "Kotlin", "Python", "TypeScript"])
        what = f"{camel(name)}: {DOMAINS[team][1]} {'API' if kind == 'lambda' else 'service'} ({lang})."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.4, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow(lang)}
        if kind == "ecs":
            files[".github/workflows/deploy.yml"] = wf_ecs_cli(targets, res[0].ref.split("/")[-1], (acct, "us-east-1"))
        else:
            files[".github/workflows/deploy.yml"] = wf_lambda_cli(acct, "us-east-1", fns, runtime)
        c.repo(repo, team, description=what, language=lang, files=files)
        c.own(repo, team, p_codeowners=0.45, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.7, p_catalog=0.1)
        c.service(name, team, repo, [r.truth for r in res], aliases=[repo])

    plan = split(n - 1, [("ecs", 0.55), ("lambda", 0.4), ("platform", 0.05)], rng)
    teams = list(DOMAINS)
    for i, kind in enumerate(plan):
        team = teams[i % len(teams)] if rng.random() < 0.75 else rng.choice(teams)
        if kind == "platform":
            service("cloud-platform", "lambda", with_repo=False)
        else:
            service(team, kind)
    service(None, "lambda", with_repo=False, orphan=True)  # made by someone long gone: no tags, no folder owner
    # the local modules environments/prod.tf calls
    live["modules/ecs-service/main.tf"] = (
        'variable "name" {\n  type = string\n}\n\nvariable "cluster" {\n  type = string\n}\n\n'
        'variable "owner" {\n  type = string\n}\n\n'
        'resource "aws_ecs_service" "this" {\n  name    = var.name\n  cluster = var.cluster\n'
        '  tags    = { Service = var.name, Owner = var.owner }\n}\n')
    live["modules/lambda-service/main.tf"] = (
        'variable "name" {\n  type = string\n}\n\nvariable "owner" {\n  type = string\n}\n\n'
        'resource "aws_lambda_function" "this" {\n  function_name = var.name\n  handler       = "app.handler"\n'
        '  tags          = { Service = var.name, Owner = var.owner }\n}\n')
    live["environments/prod.tf"] = 'provider "aws" {\n  region = "us-east-1"\n}\n\n' + "\n".join(env_modules)
    live["README.md"] = readme("terraform-live", "Live Terraform for every Larkspur service: one folder each under "
                               "services/, shared modules under modules/.", badges=False, repo=c.full("terraform-live"))
    owners_rules += [("/modules/", [f"@{c.org_login}/cloud-platform"]), ("/environments/", [f"@{c.org_login}/cloud-platform"])]
    live["CODEOWNERS"] = codeowners_file(owners_rules, comment="Each service folder belongs to its team")
    c.repo("terraform-live", "cloud-platform", description="Terraform for all AWS infrastructure", language="HCL",
           files=live, topics=["terraform", "infrastructure"], newest=NOW - timedelta(hours=rng.randint(2, 60)))
    c.grant("cloud-platform", "terraform-live", "admin")
    c.exclude("terraform-live")
    archived = [(f"{rng.choice(DOMAINS[t][0])}-{rng.choice(['legacy', 'poc', 'v1'])}", t, "Replaced.") for t in teams[:3]]
    seen: set[str] = set()
    archived = [a for a in archived if a[0] not in c.repos and not (a[0] in seen or seen.add(a[0]))]
    archived_and_forks(c, archived, [("terraform-aws-ecs", "HCL", "Terraform module for ECS services")])
    return (f"Synthetic company, style terraform, {len(c.services)} product services: resources created by "
            "Terraform in one infrastructure repository (a folder or a module call per service, CODEOWNERS per "
            "folder), shared ECS clusters with staging copies, per-team tag conventions or none, app repos that "
            "only redeploy, a platform function nobody owns")
