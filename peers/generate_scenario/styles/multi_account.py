"""Style ``multi-account`` (Initech Bank): CDK apps in dev, staging and prod accounts (prod in two regions),
images in a shared ECR account, StackSet-deployed platform functions."""
from __future__ import annotations

from typing import Callable

from ..aws import Region
from ..company import Company
from ..repo_files import cdk_app_files, readme
from ..vocab import camel, language_for, rand_id, split
from ..workflows import ci_workflow, wf_cdk, wf_ecs_cli, wf_static
from .common import archived_and_forks, pick_name


def multi_account_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "banking": (["account", "transfer", "balance", "statement", "payee", "mandate"], "Banking"),
        "cards": (["card", "authorization", "dispute", "pin", "tokenization", "chargeback"], "Cards"),
        "lending": (["loan", "credit", "repayment", "underwriting", "collateral"], "Lending"),
        "onboarding": (["kyc", "applicant", "document", "identity", "signup"], "Onboarding"),
        "compliance": (["aml", "sanctions", "audit", "reporting", "retention"], "Compliance"),
        "treasury": (["fx", "ledger", "settlement", "reconciliation", "liquidity"], "Treasury"),
    }
    suffixes = ["api", "service", "engine", "worker", "processor", "gateway", "scheduler", "store"]
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 6), parent="engineering")
    c.team("platform", "Platform", 5, parent="engineering", description="Accounts, CI/CD, shared infrastructure")
    c.cross_members(list(domains) + ["platform"], 5)
    c.commit_range = (5, 12)
    products = list(domains)
    shared = c.account("initech-shared")
    envs = {"prod": c.account("initech-prod"), "staging": c.account("initech-staging"), "dev": c.account("initech-dev")}
    ecr_region = c.region("initech-shared", "us-east-1")
    for orphan in ("initech/base-python", "initech/base-jvm", "initech/ci-runner"):
        ecr_region.ecr.append(orphan)

    def regions_for() -> list[tuple[str, Region]]:
        out = [("prod", c.region("initech-prod", "us-east-1"))]
        if rng.random() < 0.3:
            out.append(("prod", c.region("initech-prod", "eu-west-1")))
        if rng.random() < 0.85:
            out.append(("staging", c.region("initech-staging", "us-east-1")))
        if rng.random() < 0.6:
            out.append(("dev", c.region("initech-dev", "us-east-1")))
        return out

    def stack_namer() -> Callable[[str, str, str], str]:
        return rng.choice([
            lambda name, env, reg: f"{camel(name)}Stack-{env}" + ("" if reg == "us-east-1" else f"-{reg}"),
            lambda name, env, reg: f"{camel(name)}{camel(env)}Stack" + ("" if reg == "us-east-1" else camel(reg)),
            lambda name, env, reg: f"{camel(name)}-{camel(env)}" + ("" if reg == "us-east-1" else f"-{reg}"),
            lambda name, env, reg: f"{env}-{name}" + ("" if reg == "us-east-1" else f"-{reg}"),
        ])

    def tags_for(team: str, name: str, env: str) -> dict:
        tags = {"environment": env, "cost-center": f"cc-{products.index(team) + 100 if team in products else 900}"}
        if env != "dev" or rng.random() < 0.5:
            tags[rng.choice(["team", "team", "owner"])] = team
        if rng.random() < 0.5:
            tags["service"] = name
        return tags

    cluster_style = {t: rng.choice(["env", "org-env", "team-env"]) for t in products}

    def cluster_for(team: str, env: str) -> str:
        return {"env": env, "org-env": f"initech-{env}", "team-env": f"{team}-{env}"}[cluster_style[team]]

    def cdk_service(team: str, kind: str, with_repo: bool = True) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        namer = stack_namer()
        construct = camel(name) + "Stack"
        suffix_service = rng.random() < 0.5
        image_repo = f"initech/{name}" if rng.random() < 0.6 else name
        version = f"{rng.randint(1, 30)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        with_db = kind == "ecs" and rng.random() < 0.4
        with_queue = rng.random() < 0.3
        runtime = rng.choice(["nodejs20.x", "python3.12", "java21"])
        generated = kind == "lambda" and rng.random() < 0.5
        fns = rng.sample(["handler", "worker", "authorizer", "stream", "cron"], rng.randint(1, 3))
        res, targets = [], []
        if kind == "ecs":
            ecr_region.ecr.append(image_repo)
        for env, reg in regions_for():
            stack = namer(name, env, reg.name)
            refs = []
            if kind == "ecs":
                svc_name = f"{name}-{env}" if suffix_service else name
                image = f"{shared}.dkr.ecr.us-east-1.amazonaws.com/{image_repo}:{version}"
                svc = reg.ecs(cluster_for(team, env), svc_name, image, desired=3 if env == "prod" else 1)
                refs.append(svc)
                if env == "prod" and rng.random() < 0.6:
                    reg.alarm(f"{svc_name}-{reg.name}-cpu" if reg.name != "us-east-1" else f"{svc_name}-cpu", svc,
                              rng.choice(["OK", "OK", "ALARM"]))
                if with_db:
                    refs.append(reg.db(f"{name}-{env}", rng.choice(["postgres", "postgres", "mysql"])))
                if with_queue:
                    refs.append(reg.queue(f"{name}-{env}-events"))
            else:
                q = reg.queue(f"{name}-{env}-queue") if with_queue else None
                if q:
                    refs.append(q)
                names = []
                for i, fn in enumerate(fns):
                    fname = (f"{stack}-{camel(fn)}{rand_id(rng, 8, '0123456789ABCDEF')}-{rand_id(rng)}"[:64]
                             if generated else f"{name}-{fn}-{env}")
                    names.append(fname)
                    refs.append(reg.function(fname, runtime, "index.handler" if runtime[0] == "n" else "app.handler",
                                             trigger=f"{name}-{env}-queue" if q and i == 0 else None))
                refs.append(reg.api(f"{name}-api-{env}", "REST", names[:1]))
                if env == "prod" and rng.random() < 0.4:
                    reg.alarm(f"{names[0][:40]}-errors", refs[-2])
            res.extend(r.truth for r in refs)
            res.append(reg.stack(stack, tags_for(team, name, env), refs))
            targets.append((env, reg.acct, reg.name, stack))
        if not with_repo:
            prod_stack = c.region("initech-prod", "us-east-1").stacks[-1]
            prod_stack["tags"]["team"] = team
            c.service(name, team, None, res)
            return
        lang = language_for(runtime) if kind == "lambda" else rng.choice(["Kotlin", "Go", "TypeScript", "Java"])
        what = f"{'Lambda' if kind == 'lambda' else 'ECS'} service for {noun} {rng.choice(['processing', 'management', 'operations'])} (CDK, dev/staging/prod)."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.6, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_cdk(targets, (shared, "us-east-1", image_repo) if kind == "ecs" else None,
                                                        matrix=rng.random() < 0.5)}
        files.update(cdk_app_files(name, targets, construct))
        if kind == "ecs":
            files["Dockerfile"] = "FROM initech/base-jvm:21\nCOPY build/libs/app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n"
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.75, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.7, p_catalog=0.3,
              extra_rules=[("/infra/", ["@initech/platform"])] if rng.random() < 0.3 else [])
        c.service(name, team, name, res)

    def plain_ecs(team: str) -> None:
        """Deployed with ``aws ecs update-service`` into per-account clusters, no stack."""
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        ecr_region.ecr.append(name)
        res, targets = [], []
        for env, reg in regions_for():
            if reg.name != "us-east-1":
                continue
            cluster = f"{env}-apps"
            image = f"{shared}.dkr.ecr.us-east-1.amazonaws.com/{name}:{rng.randint(1, 9)}.{rng.randint(0, 9)}.0"
            res.append(reg.ecs(cluster, name, image, tags={"team": team, "environment": env}).truth)
            if rng.random() < 0.4:
                res.append(reg.db(f"{name}-db-{env}", "postgres", tags={"team": team}).truth)
            targets.append((f"deploy-{env}", reg.acct, reg.name, f"{cluster}/{name}"))
        lang = rng.choice(["Go", "Kotlin"])
        what = f"{camel(noun)} {name.split('-')[1]}, deployed to every account with aws ecs update-service."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_ecs_cli(targets, name, (shared, "us-east-1"))}
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.6, places=("CODEOWNERS",), p_perm=0.7)
        c.service(name, team, name, res)

    def web(team: str) -> None:
        name = pick_name(c, domains[team][0], ["web", "portal", "console", "backoffice"])
        what = f"Customer-facing {name.split('-')[0]} {name.split('-')[1]} (React)."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript"),
                 ".github/workflows/deploy.yml": wf_static(f"initech-{name}", envs["prod"])}
        c.repo(name, team, description=what, language="TypeScript", files=files, topics=["frontend"])
        c.own(name, team, p_codeowners=0.7, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.6,
              catalog_type="website")
        c.service(name, team, name, [])

    platform_fns = ["guardduty-forwarder", "config-compliance-reporter", "iam-access-analyzer-digest",
                    "ebs-snapshot-janitor", "account-baseline-drift"]

    def platform_fn() -> None:
        """The same function in every account, rolled out with a StackSet."""
        name = c.unique(lambda: rng.choice(platform_fns) + ("" if rng.random() < 0.8 else f"-{rng.choice(['v2', 'org'])}"))
        res = []
        for acct_name in ("initech-prod", "initech-staging", "initech-dev"):
            reg = c.region(acct_name, "us-east-1")
            fn = reg.function(name, "python3.12", "index.handler")
            stack_id = "-".join(rand_id(rng, k, "0123456789abcdef") for k in (8, 4, 4, 4, 12))
            res += [fn.truth, reg.stack(f"StackSet-{name}-{stack_id}", {"team": "platform", "managed-by": "stacksets"}, [fn])]
        c.service(name, "platform", None, res)

    plan = split(n, [("cdk-ecs", 0.44), ("cdk-lambda", 0.24), ("ecs", 0.08), ("web", 0.1), ("platform", 0.06),
                     ("norepo", 0.08)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        {"cdk-ecs": lambda: cdk_service(team, "ecs"), "cdk-lambda": lambda: cdk_service(team, "lambda"),
         "ecs": lambda: plain_ecs(team), "web": lambda: web(team), "platform": platform_fn,
         "norepo": lambda: cdk_service(team, rng.choice(["ecs", "lambda"]), with_repo=False)}[kind]()
    archived_and_forks(c, [("cards-api-poc", "cards", "Proof of concept for the cards API."),
                           ("ledger-migration-2023", "treasury", "One-off ledger migration scripts.")],
                       [("aws-cdk-examples", "TypeScript", "Example projects using the AWS CDK")])
    return (f"Synthetic company, style multi-account, {len(c.services)} product services: CDK apps in dev, staging "
            "and prod accounts (prod in two regions), images in a shared ECR account, StackSet-deployed platform functions")
