"""Style ``legacy`` (Vandelay Industries): archived and forked repos, Terraform-made infra without stacks,
cron lambdas without repos, Jenkinsfiles, libraries and sites without infra."""
from __future__ import annotations

import re
from datetime import timedelta

from ..company import Company
from ..repo_files import codeowners_file, jenkinsfile, readme, terraform_ecs_service
from ..vocab import NOW, camel, language_for, split
from ..workflows import ci_workflow, wf_ecs_cli, wf_lambda_cli, wf_pages, wf_publish
from .common import archived_and_forks, pick_name


def legacy_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "retail": (["order", "cart", "product", "price", "catalog"], "Retail"),
        "stores": (["store", "pos", "loyalty", "kiosk"], "Stores"),
        "supply": (["supplier", "shipment", "warehouse", "stock"], "Supply Chain"),
        "finance": (["ledger", "invoice", "tax", "payroll"], "Finance"),
        "people": (["employee", "timesheet", "hiring"], "People Systems"),
    }
    suffixes = ["service", "api", "app", "daemon", "worker", "importer", "batch"]
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 5), parent="engineering")
    c.team("web", "Web", 3, parent="engineering")
    c.team("ops", "Ops", 3, parent="engineering", description="Infrastructure and operations")
    c.cross_members(list(domains) + ["web", "ops"], 3)
    products = list(domains)
    east, west = c.region("vandelay", "us-east-1"), c.region("vandelay", "us-west-2")
    acct = east.acct
    old_runtimes = ["python3.8", "python3.9", "nodejs14.x", "nodejs16.x", "java8.al2", "go1.x", "ruby2.7"]

    def tf_tags(team: str) -> dict:
        tags = {"managed-by": "terraform", "terraform-workspace": "prod"}
        if rng.random() < 0.8:
            tags[rng.choice(["team", "Team", "owner"])] = team
        return tags

    def ecs_app(team: str, with_repo: bool = True, replaced: bool = False) -> None:
        name = pick_name(c, domains[team][0], suffixes)
        cluster = rng.choice(["prod", "prod", "legacy-ec2"])
        svc_name = name if rng.random() < 0.7 else name.replace("-", "_")
        east.ecr.append(name)
        image = f"{acct}.dkr.ecr.us-east-1.amazonaws.com/{name}:{rng.choice(['latest', 'master', 'v2.3.1', 'build-1187'])}"
        terraform = rng.random() < 0.55 or not with_repo  # no repo: only the Terraform tags say who owns it
        tags = tf_tags(team) if terraform else {}
        if not with_repo:
            tags.setdefault("team", team)
        refs = [east.ecs(cluster, svc_name, image, tags=tags, desired=rng.randint(1, 4))]
        head = name.split("-")[0]
        # outside a stack only the name ties a database or queue to its service, so it carries the full name
        if rng.random() < 0.5:
            refs.append(east.db(c.fresh([f"{name}-db", f"{name}-prod", f"{name.replace('-', '')}db"] if terraform
                                        else [f"{head}-db", f"{name}-db", f"{head}db-prod"]),
                                rng.choice(["mysql", "mysql", "postgres", "oracle-se2"]), tags=tags))
        if rng.random() < 0.35:
            refs.append(east.queue(c.fresh([f"{name}-queue", f"{name.replace('-', '_')}_events", f"{name}-jobs"] if terraform
                                           else [f"{name}-queue", f"{head}_events", f"{name}-jobs"]), tags=tags))
        if rng.random() < 0.4:
            east.alarm(f"{svc_name}-cpu-utilization", refs[0], rng.choice(["OK", "ALARM", "INSUFFICIENT_DATA"]))
        res = [r.truth for r in refs]
        if not terraform:
            stack = rng.choice([f"vandelay-{name}-prod", f"{name}-prod-{rng.randint(2016, 2021)}", f"{camel(name)}Prod"])
            res.append(east.stack(stack, {"team": team} if rng.random() < 0.6 else {}, refs))
        if not with_repo:
            c.service(name, team, None, res, aliases=[svc_name])
            return
        repo = f"{name}-v2" if replaced else name
        lang = rng.choice(["Java", "Ruby", "PHP", "Python", "Go"])
        what = f"{camel(name)} ({lang}) — {head} {rng.choice(['backend', 'batch jobs', 'service', 'integration'])}."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.3, repo=c.full(repo))}
        if rng.random() < 0.5:
            files["Jenkinsfile"] = jenkinsfile(acct, cluster, svc_name)
        else:
            files[".github/workflows/deploy.yml"] = wf_ecs_cli([("deploy-prod", acct, "us-east-1", f"{cluster}/{svc_name}")],
                                                               name, (acct, "us-east-1"))
            files[".github/workflows/ci.yml"] = ci_workflow(lang)
        if terraform:
            files["terraform/main.tf"] = terraform_ecs_service(c.org_login, svc_name, cluster)
        c.repo(repo, team, description=what, language=lang, files=files, branch=rng.choice(["master", "main"]),
               newest=NOW - timedelta(days=rng.randint(5, 200)))
        c.own(repo, team, p_codeowners=0.5, places=("CODEOWNERS",), p_perm=0.75, p_catalog=0.05)
        aliases = [repo, svc_name]
        if replaced:  # the archived original still deploys the same ECS service
            old = name
            c.repo(old, team, description=f"[DEPRECATED] {what} Moved to {repo}.", language=lang,
                   files={"README.md": readme(camel(name), f"**Moved to {c.full(repo)}.**", badges=False, repo=c.full(old)),
                          "Jenkinsfile": jenkinsfile(acct, cluster, svc_name)},
                   archived=True, newest=NOW - timedelta(days=rng.randint(400, 900)), n_commits=6)
            c.exclude(old)
        c.service(name, team, repo, res, aliases=aliases)

    def lambda_app(team: str) -> None:
        name = pick_name(c, domains[team][0], ["api", "lambda", "hook", "feed"])
        runtime = rng.choice(old_runtimes[:5])
        reg = east if rng.random() < 0.8 else west
        fns = [reg.function(f"{name}-{f}" if f else name, runtime, "index.handler")
               for f in rng.sample(["", "auth", "ingest"], rng.randint(1, 2))]
        refs = fns + [reg.api(name, "REST", [fns[0].ref[7:]])]
        res = [r.truth for r in refs]
        if rng.random() < 0.6:
            res.append(reg.stack(f"{name}-{rng.choice(['prod', 'production'])}", {"team": team} if rng.random() < 0.5 else {}, refs))
        what = f"{camel(name)} on API Gateway + Lambda ({runtime})."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 ".github/workflows/deploy.yml": wf_lambda_cli(acct, reg.name, [f.ref[7:] for f in fns], runtime)}
        c.repo(name, team, description=what, language=language_for(runtime), files=files,
               newest=NOW - timedelta(days=rng.randint(10, 300)))
        c.own(name, team, p_codeowners=0.5, places=("CODEOWNERS",), p_perm=0.7)
        c.service(name, team, name, res)

    cron_names = ["nightly-inventory-export", "s3-csv-to-rds-loader", "cleanup-old-snapshots", "rotate-ftp-creds",
                  "edi-850-poller", "daily-sales-rollup", "price-feed-glue", "payroll-file-drop", "stale-cart-purge",
                  "supplier-sftp-sync"]
    cron_team = {"nightly-inventory-export": "supply", "s3-csv-to-rds-loader": "finance", "cleanup-old-snapshots": "ops",
                 "rotate-ftp-creds": "ops", "edi-850-poller": "supply", "daily-sales-rollup": "retail",
                 "price-feed-glue": "retail", "payroll-file-drop": "people", "stale-cart-purge": "retail",
                 "supplier-sftp-sync": "supply"}

    def cron(unowned: bool = False) -> None:
        name = c.unique(lambda: rng.choice(cron_names) + ("" if rng.random() < 0.8 else f"-{rng.choice(['v2', 'dr'])}"))
        team = cron_team[re.sub(r"-(v2|dr)$", "", name)]
        tags = {} if unowned else {rng.choice(["team", "Owner", "owner", "Team"]): team,
                                   "schedule": rng.choice(["cron(0 3 * * ? *)", "rate(1 hour)"])}
        fn = east.function(name, rng.choice(old_runtimes), "lambda_function.lambda_handler", tags=tags)
        if rng.random() < 0.4:
            east.alarm(f"{name}-failures", fn, rng.choice(["ALARM", "INSUFFICIENT_DATA", "OK"]))
        c.service(name, None if unowned else team, None, [fn.truth])

    def site(team: str, kind: str) -> None:
        choices = {"web": ["storefront", "careers-site", "store-locator", "admin-portal", "b2b-portal",
                           "wholesale-site", "investor-site", "press-site"],
                   "docs": ["engineering-handbook", "api-docs", "runbooks", "onboarding-guide", "architecture-decisions"],
                   "lib": ["vandelay-common", "legacy-soap-client", "money-utils", "ui-kit", "edi-parser",
                           "barcode-utils", "vandelay-auth-lib", "report-templates", "sftp-client", "pricing-rules"]}[kind]
        name = c.unique(lambda: rng.choice(choices))
        lang = {"web": rng.choice(["PHP", "Ruby", "TypeScript"]), "docs": "HTML",
                "lib": rng.choice(["Java", "Python", "TypeScript"])}[kind]
        what = {"web": f"The {name.replace('-', ' ')} website.", "docs": f"{name.replace('-', ' ').title()} (static docs site).",
                "lib": f"Shared library: {name.replace('-', ' ')}."}[kind]
        files = {"README.md": readme(name, what, badges=kind == "lib", repo=c.full(name))}
        if kind == "lib":
            files[".github/workflows/release.yml"] = wf_publish(lang)
        elif kind == "docs":
            files[".github/workflows/pages.yml"] = wf_pages()
        c.repo(name, team, description=what, language=lang, files=files, topics=[kind],
               newest=NOW - timedelta(days=rng.randint(3, 500)))
        c.own(name, team, p_codeowners=0.6, places=("CODEOWNERS", "docs/CODEOWNERS"), p_perm=0.6,
              catalog_type={"web": "website", "docs": "documentation", "lib": "library"}[kind])
        c.service(name, team, name, [])

    plan = split(n - 1, [("ecs", 0.3), ("ecs-replaced", 0.06), ("ecs-norepo", 0.06), ("lambda", 0.14),
                         ("cron", 0.14), ("web", 0.1), ("docs", 0.06), ("lib", 0.14)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        if kind in ("web", "docs"):
            site(rng.choice(["web", team]), kind)
        else:
            {"ecs": lambda: ecs_app(team), "ecs-replaced": lambda: ecs_app(team, replaced=True),
             "ecs-norepo": lambda: ecs_app(team, with_repo=False), "lambda": lambda: lambda_app(team),
             "cron": cron, "lib": lambda: site(team, "lib")}[kind]()
    cron(unowned=True)
    for name, what in (("terraform-modules", "Reusable Terraform modules (ecs-service, rds, sqs)."),
                       ("ansible-playbooks", "Ansible playbooks for the legacy EC2 fleet.")):
        c.repo(name, "ops", description=what, language="HCL" if name.startswith("terraform") else "Shell",
               files={"README.md": readme(name, what, badges=False, repo=c.full(name)), "CODEOWNERS": codeowners_file([("*", ["@vandelay/ops"])])},
               topics=["terraform" if name.startswith("terraform") else "ansible", "infrastructure"])
        c.grant("ops", name, "admin")
        c.exclude(name)
    archived = [(f"{rng.choice(domains[t][0])}-{rng.choice(['poc', 'old', 'v1', 'spike', 'hackathon'])}", t,
                 "Retired project.") for t in products for _ in range(2)]
    seen: set[str] = set()
    archived = [a for a in archived if a[0] not in c.repos and not (a[0] in seen or seen.add(a[0]))]
    archived_and_forks(c, archived, [("rails", "Ruby", "Ruby on Rails"), ("moto", "Python", "Mock AWS services"),
                                     ("sidekiq", "Ruby", "Simple, efficient background processing for Ruby"),
                                     ("serverless-plugin-warmup", "JavaScript", "Keep your lambdas warm"),
                                     ("jenkins-shared-library", "Groovy", "Jenkins pipeline shared library")])
    return (f"Synthetic company, style legacy, {len(c.services)} product services: many archived and forked repos, "
            "replacement repos next to archived originals, Terraform-made infra without stacks, cron lambdas with no "
            "repo, libraries, sites and docs without infra, Jenkinsfiles")
