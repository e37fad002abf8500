"""Style ``terraform`` (Larkspur Mutual, an insurer): no CloudFormation at all. One infrastructure repository
(``terraform-live``) creates every service's resources with Terraform: a folder per service
(``services/<svc>/main.tf`` with ``locals``, ``variable`` defaults and interpolated names) or a module call
per service in ``environments/<env>.tf`` (local modules under ``modules/``), CODEOWNERS per folder. ECS
services share clusters, resources are tagged in mixed conventions (or not at all), app repositories only
redeploy (``aws ecs update-service``, ``aws lambda update-function-code``)."""
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
SUFFIXES = ["intake", "engine", "service", "gateway", "tracker", "scorer", "ledger", "hub"]
CLUSTERS = ["shared-prod", "shared-prod", "apps-prod"]


def hcl(value: str) -> str:
    return '"' + value + '"'


def tags_block(tags: dict[str, str], merge_local: bool) -> str:
    body = "".join(f"    {k} = {hcl(v)}\n" for k, v in tags.items())
    if merge_local:
        return f"  tags = merge(local.common_tags, {{\n{body}  }})\n"
    return f"  tags = {{\n{body}  }}\n" if tags else ""


def terraform_style(c: Company, n: int) -> str:
    rng = c.rng
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in DOMAINS.items():
        c.team(slug, title, rng.randint(3, 5), parent="engineering")
    c.team("cloud-platform", "Cloud Platform", 3, parent="engineering", description="Terraform, clusters, CI")
    c.cross_members(list(DOMAINS), 3)
    region = c.region("larkspur-prod", "us-east-1")
    acct = region.acct
    live: dict[str, str] = {}            # terraform-live files
    owners_rules: list[tuple[str, list[str]]] = [("*", [f"@{c.org_login}/cloud-platform"])]
    env_modules: list[str] = []          # module blocks of environments/prod.tf

    def owner_value(team: str) -> str:
        """How a tag names the owner: the slug, team-slug, the title, or a member's e-mail."""
        form = rng.choice(["slug", "prefixed", "title", "email"])
        if form == "prefixed":
            return f"team-{team}"
        if form == "title":
            return f"{DOMAINS[team][1] if team in DOMAINS else team.title()} Team"
        if form == "email":
            return c.members[rng.choice(c.solo(team))]["email"]
        return team

    def tags_for(name: str, team: str) -> dict[str, str]:
        """Mixed tagging conventions; about one resource in five is untagged."""
        if rng.random() < 0.2:
            return {}
        tags = {"Name": name, rng.choice(["Environment", "env"]): rng.choice(["prod", "production"])}
        if rng.random() < 0.6:
            tags[rng.choice(["Service", "app", "component"])] = name
        if rng.random() < 0.8:
            tags[rng.choice(["Owner", "owner_team", "Team"])] = owner_value(team)
        tags["ManagedBy"] = "terraform"
        return tags

    def service(team: str, kind: str, with_repo: bool = True) -> None:
        name = pick_name(c, DOMAINS[team][0] if team in DOMAINS else ["audit", "cost", "dns"], SUFFIXES)
        res = []
        blocks: list[str] = []
        tf_name = "local.service"
        per_folder = not with_repo or rng.random() < 0.7
        if kind == "ecs":
            cluster = rng.choice(CLUSTERS)
            east_tags = tags_for(name, team)
            parts = ["api", "worker"] if per_folder and rng.random() < 0.3 else [""]
            for part in parts:
                svc = f"{name}-{part}" if part else name
                region.ecr.append(svc)
                res.append(region.ecs(cluster, svc, f"{acct}.dkr.ecr.us-east-1.amazonaws.com/{svc}:{rng.choice(['v1.8.2', 'latest', 'r412'])}",
                                      tags=east_tags if part != "worker" else tags_for(svc, team), desired=rng.randint(1, 4)))
                label = part or "app"
                blocks.append(f'resource "aws_ecs_service" "{label}" {{\n'
                              f'  name    = {hcl("${local.service}-" + part) if part else tf_name}\n'
                              f'  cluster = var.cluster\n  desired_count = {rng.randint(1, 4)}\n'
                              + tags_block({"Component": label}, True) + "}\n")
            deploy_targets = [("deploy-prod", acct, "us-east-1", f"{cluster}/{r.ref.split('/')[-1]}") for r in res]
        else:
            cluster = None
            fns = [f"{name}-{f}" if f else name for f in rng.sample(["", "handler", "sync", "notifier"], rng.randint(1, 2) if per_folder else 1)]
            runtime = rng.choice(["python3.12", "nodejs20.x", "python3.11"])
            for fn in fns:
                res.append(region.function(fn, runtime, "app.handler", tags=tags_for(fn, team)))
                suffix = fn[len(name):]
                blocks.append(f'resource "aws_lambda_function" "{(suffix.strip("-") or "main").replace("-", "_")}" {{\n'
                              f'  function_name = {hcl("${local.service}" + suffix) if suffix else tf_name}\n'
                              f'  runtime       = {hcl(runtime)}\n  handler = "app.handler"\n'
                              + tags_block({}, True) + "}\n")
            if per_folder and rng.random() < 0.5:
                res.append(region.api(name, rng.choice(["HTTP", "REST"]), [fns[0]], tags=tags_for(name, team)))
                kind_tf = "aws_apigatewayv2_api" if region.apis[-1]["type"] == "HTTP" else "aws_api_gateway_rest_api"
                blocks.append(f'resource "{kind_tf}" "api" {{\n  name = local.service\n}}\n')
        if per_folder and rng.random() < 0.45:
            qname = c.fresh([f"{name}-jobs", f"{name}-events"])
            res.append(region.queue(qname, tags=tags_for(qname, team)))
            blocks.append(f'resource "aws_sqs_queue" "q" {{\n  name = {hcl("${local.service}" + qname[len(name):])}\n'
                          '  visibility_timeout_seconds = 60\n}\n')
        if per_folder and rng.random() < 0.4:
            db = c.fresh([f"{name}-db", f"{name}-pg", f"{name.replace('-', '')}db"])
            res.append(region.db(db, rng.choice(["postgres", "postgres", "mysql"]), tags=tags_for(db, team)))
            blocks.append(f'variable "db_identifier" {{\n  type    = string\n  default = {hcl(db)}\n}}\n\n'
                          f'resource "aws_db_instance" "main" {{\n  identifier     = var.db_identifier\n'
                          f'  engine         = {hcl(region.dbs[-1]["engine"])}\n  instance_class = "db.t4g.medium"\n}}\n')
        if per_folder:
            folder = f"services/{name}"
            head = (f'locals {{\n  service = {hcl(name)}\n  common_tags = {{\n    Team = {hcl(team)}\n  }}\n}}\n\n'
                    f'variable "cluster" {{\n  default = {hcl(cluster or "none")}\n}}\n\n')
            live[f"{folder}/main.tf"] = head + "\n".join(blocks)
            owners_rules.append((f"/{folder}/", [f"@{c.org_login}/{team}"]))
        else:
            # one module call per service in the environment file; the module names what it creates
            module = "ecs-service" if kind == "ecs" else "lambda-service"
            target = fns[0] if kind == "lambda" else res[0].ref.split("/")[-1]
            extra = (f'  cluster = {hcl(cluster)}\n' if cluster else "")
            env_modules.append(f'module "{name.replace("-", "_")}" {{\n  source = "../modules/{module}"\n'
                               f'  name   = {hcl(target)}\n{extra}  owner  = {hcl(team)}\n}}\n')
        c.service(name, team, name if with_repo else None, [r.truth for r in res])
        if not with_repo:
            return
        lang = language_for(runtime) if kind == "lambda" else rng.choice(["Go", "Kotlin", "Python", "TypeScript"])
        what = f"{camel(name)}: {DOMAINS[team][1]} {'API' if kind == 'lambda' else 'service'} ({lang})."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.4, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang)}
        if kind == "ecs":
            files[".github/workflows/deploy.yml"] = wf_ecs_cli(deploy_targets, res[0].ref.split("/")[-1], (acct, "us-east-1"))
        else:
            files[".github/workflows/deploy.yml"] = wf_lambda_cli(acct, "us-east-1", fns, runtime)
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.45, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.7, p_catalog=0.1)

    plan = split(n, [("ecs", 0.55), ("lambda", 0.4), ("platform", 0.05)], rng)
    teams = list(DOMAINS)
    for i, kind in enumerate(plan):
        team = teams[i % len(teams)] if rng.random() < 0.75 else rng.choice(teams)
        if kind == "platform":
            service("cloud-platform", "lambda", with_repo=False)
        else:
            service(team, kind)
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
    live["README.md"] = readme("terraform-live", "Live Terraform for every Larkspur service (one folder each).",
                               badges=False, repo=c.full("terraform-live"))
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
            "folder), shared ECS clusters, mixed or missing tags, app repos that only redeploy")
