"""Style ``serverless`` (Nimbus Eats): Serverless Framework and SAM apps with prod and dev stages in one
account, Copilot containers, static web front ends, console-made platform lambdas."""
from __future__ import annotations

import json

from ..company import Company
from ..repo_files import (
    copilot_manifest, copilot_workspace, readme, sam_template, samconfig, serverless_v2_stub, serverless_yml,
)
from ..vocab import camel, language_for, rand_id, split
from ..workflows import ci_workflow, wf_copilot, wf_sam, wf_serverless, wf_static
from .common import archived_and_forks, pick_name


def serverless_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "orders": (["order", "basket", "checkout", "refund", "invoice", "receipt", "tip"], "Orders"),
        "growth": (["referral", "promo", "campaign", "loyalty", "experiment", "signup", "waitlist"], "Growth"),
        "notifications": (["email", "sms", "push", "digest", "webhook", "inbox"], "Notifications"),
        "accounts": (["user", "session", "auth", "profile", "consent", "invite"], "Accounts"),
        "insights": (["metrics", "event", "report", "export", "funnel", "cohort"], "Insights"),
        "content": (["menu", "media", "image", "review", "listing", "search"], "Content"),
    }
    suffixes = ["api", "service", "worker", "processor", "handler", "sync", "scheduler", "consumer", "ingest", "router"]
    c.team("engineering", "Engineering", 0, description="All of engineering")
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 6), parent="engineering")
    c.team("platform", "Platform", 4, parent="engineering", description="Cloud platform and developer tooling")
    c.cross_members(list(domains) + ["platform"], 4)
    main = "nimbus-main"
    use, eu = c.region(main, "us-east-1"), c.region(main, "eu-west-1")
    acct = c.account(main)
    products = list(domains)

    def tags_for(team: str, service: str, stage: str) -> dict:
        tags = {"STAGE": stage}
        if rng.random() < 0.55:
            tags[rng.choice(["team", "team", "owner"])] = team
        if rng.random() < 0.4:
            tags["service"] = service
        return tags

    def sls(team: str, with_repo: bool = True) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        runtime = rng.choice(["nodejs20.x", "nodejs20.x", "nodejs18.x", "python3.12", "python3.11"])
        fns = rng.sample(["api", "create", "get", "list", "webhook", "cron", "authorizer", "reporter", "sync"],
                         rng.randint(1, 4))
        http = [f for f in fns if f in ("api", "create", "get", "list", "webhook", "authorizer")]
        queue_fn = "consumer" if rng.random() < 0.4 else None
        if queue_fn:
            fns.append(queue_fn)
        api_type = "HTTP" if rng.random() < 0.8 else "REST"
        stages = [("prod", use)] + ([("dev", use)] if rng.random() < 0.7 else [])
        if rng.random() < 0.15:
            stages.append(("prod", eu))
        old_team = rng.choice([t for t in products if t != team]) if with_repo and rng.random() < 0.1 else None
        res, stacks = [], []
        for stage, reg in stages:
            tags = tags_for(team, name, stage)
            if old_team and stage == "prod":
                tags.pop("owner", None)
                tags["team"] = old_team           # stale: the service moved teams, the stack tag didn't
            refs = []
            q = None
            if queue_fn:
                q = reg.queue(f"{name}-{stage}-jobs")
                refs.append(q)
                refs.append(reg.queue(f"{name}-{stage}-jobs-dlq"))
            handler = "handler.main" if runtime.startswith("python") else "dist/handler.main"
            functions = {fn: reg.function(f"{name}-{stage}-{fn}", runtime, handler.replace("main", fn),
                                          trigger=f"{name}-{stage}-jobs" if fn == queue_fn else None) for fn in fns}
            refs.extend(functions.values())
            if http:
                refs.append(reg.api(f"{stage}-{name}", api_type, [f"{name}-{stage}-{f}" for f in http]))
            if stage == "prod" and rng.random() < 0.3:
                watched = rng.choice(fns)
                reg.alarm(f"{name}-{stage}-{watched}-errors", functions[watched],
                          rng.choice(["OK", "OK", "ALARM", "INSUFFICIENT_DATA"]))
            if q and stage == "prod" and rng.random() < 0.5:
                reg.alarm(f"{name}-{stage}-jobs-age", q)
            res.extend(r.truth for r in refs)
            res.append(reg.stack(f"{name}-{stage}", tags, refs))
            stacks.append(reg.stacks[-1])
        if not with_repo:  # deployed from a laptop: the stack tags are the only owner signal
            if not any(k in st["tags"] for st in stacks for k in ("team", "owner")):
                stacks[0]["tags"]["team"] = team
            c.service(name, team, None, res)
            return
        repo = name if rng.random() < 0.75 else rng.choice([f"{name}-service", f"nimbus-{name}", f"{noun}s-{name.split('-')[1]}"])
        yml = serverless_yml(name, runtime, fns, handler=handler, noun=noun, http=http, api_type=api_type,
                             queue_fn=queue_fn, team_tag=team if rng.random() < 0.5 else None)
        lang = language_for(runtime)
        what = rng.choice(["Serverless API for", "Event-driven functions that handle", "Lambdas behind"]) + \
            f" {noun} {rng.choice(['requests', 'events', 'operations'])} at Nimbus."
        files = {"README.md": readme(camel(name) if repo == name else repo, what, badges=rng.random() < 0.6,
                                     repo=c.full(repo),
                                     sections=f"\n## Deploy\n\n`npx serverless deploy --stage dev`\n"),
                 "serverless.yml": yml,
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_serverless([(s, acct, r.name) for s, r in stages])}
        if lang == "Python":
            files["requirements.txt"] = "boto3==1.35.0\naws-lambda-powertools==2.43.1\n"
        else:
            files["package.json"] = json.dumps({"name": name, "private": True, "scripts": {"build": "tsc", "test": "jest"},
                                                "devDependencies": {"serverless": "^3.39.0"}}, indent=2) + "\n"
        c.repo(repo, team, description=what if rng.random() < 0.7 else "", language=lang, files=files,
               topics=[noun, "serverless"] if rng.random() < 0.5 else [])
        c.own(repo, team, p_codeowners=0.7, places=(".github/CODEOWNERS", ".github/CODEOWNERS", "CODEOWNERS"),
              p_perm=0.65, p_catalog=0.2, force=2 if old_team else 0, catalog_name=name)
        if old_team:
            c.grant(old_team, repo, "push")
        c.service(name, team, repo, res, aliases=[repo])

    def sam(team: str) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        runtime = rng.choice(["python3.12", "python3.11", "nodejs20.x", "java21"])
        style = rng.choice(["kebab", "camel", "camel-env"])
        stages = ["prod"] + (["dev"] if rng.random() < 0.4 else [])
        explicit = rng.random() < 0.4
        logical = rng.sample(["Api", "Processor", "Render", "Ingest", "Notify", "Scheduled", "Export"],
                             rng.randint(1, 3))
        with_queue = rng.random() < 0.35
        res, stack_names = [], []
        for stage in stages:
            stack = {"kebab": f"{name}-{stage}", "camel": camel(name) + ("" if stage == "prod" else "-dev"),
                     "camel-env": camel(name) + camel(stage)}[style]
            stack_names.append(stack)
            refs, fn_names = [], []
            q = None
            if with_queue:
                qname = f"{name}-{stage}-queue" if explicit else f"{stack}-IngestQueue-{rand_id(rng)}"
                q = use.queue(qname)
                refs.append(q)
            for i, lid in enumerate(logical):
                fname = f"{name}-{lid.lower()}-{stage}" if explicit else f"{stack}-{lid}Function-{rand_id(rng)}"[:64]
                fn_names.append(fname)
                refs.append(use.function(fname, runtime, f"app.{lid.lower()}_handler" if runtime[0] == "p"
                                         else f"index.{lid.lower()}",
                                         trigger=q.ref.split(":", 1)[1] if q and i == len(logical) - 1 else None))
            if "Api" in logical or rng.random() < 0.5:
                refs.append(use.api(stack, rng.choice(["REST", "REST", "HTTP"]), fn_names[:1]))
            tags = {}
            if rng.random() < 0.6:
                tags[rng.choice(["team", "Team"])] = team
            if rng.random() < 0.3:
                tags["app"] = name
            if stage == "prod" and rng.random() < 0.35:
                use.alarm(f"{stack}-{logical[0]}-throttles", refs[1 if q else 0])
            res.extend(r.truth for r in refs)
            res.append(use.stack(stack, tags, refs))
        repo = name if rng.random() < 0.8 else f"{name}-sam"
        lang = language_for(runtime)
        what = f"SAM application that processes {noun} {rng.choice(['events', 'jobs', 'requests'])}."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(repo)),
                 "template.yaml": sam_template(name, runtime, logical, explicit=explicit, with_queue=with_queue),
                 "samconfig.toml": samconfig(list(zip(stages, stack_names))),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_sam([(f"deploy-{s}", acct, "us-east-1", st)
                                                         for s, st in zip(stages, stack_names)])}
        c.repo(repo, team, description=what, language=lang, files=files)
        c.own(repo, team, p_codeowners=0.6, places=(".github/CODEOWNERS", "CODEOWNERS"), p_perm=0.7, p_catalog=0.2)
        c.service(name, team, repo, res, aliases=[repo])

    copilot_cluster = f"nimbus-prod-Cluster-{rand_id(rng, 12)}"

    def copilot(team: str) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, ["gateway", "realtime", "renderer", "engine", "indexer"])
        noun = name.split("-")[0]
        ecr = f"nimbus/{name}"
        use.ecr.append(ecr)
        image = f"{acct}.dkr.ecr.us-east-1.amazonaws.com/{ecr}:{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        svc = use.ecs(copilot_cluster, f"nimbus-prod-{name}-Service-{rand_id(rng)}", image,
                      desired=rng.randint(2, 6))
        tags = {"copilot-application": "nimbus", "copilot-environment": "prod", "copilot-service": name}
        if rng.random() < 0.5:
            tags["team"] = team
        refs = [svc]
        if rng.random() < 0.4:
            refs.append(use.db(f"{name}-prod", rng.choice(["postgres", "mysql"])))
        if rng.random() < 0.5:
            use.alarm(f"{name}-prod-cpu-high", svc, rng.choice(["OK", "ALARM"]))
        res = [r.truth for r in refs] + [use.stack(f"nimbus-prod-{name}", tags, refs)]
        lang = rng.choice(["Go", "Kotlin", "TypeScript"])
        what = f"Containerised {noun} {name.split('-')[1]} running on ECS (AWS Copilot)."
        manifest = copilot_manifest(name, f"/{noun}", rng.randint(2, 6))
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 "Dockerfile": "FROM public.ecr.aws/docker/library/alpine:3.20\nCOPY app /app\nCMD [\"/app\"]\n",
                 "copilot/.workspace": copilot_workspace("nimbus"), f"copilot/{name}/manifest.yml": manifest,
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_copilot(acct, "us-east-1", name)}
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.7, places=(".github/CODEOWNERS",), p_perm=0.7)
        c.service(name, team, name, res)

    def web(team: str) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, ["web", "dashboard", "console", "portal", "admin"])
        noun = name.split("-")[0]
        what = f"{rng.choice(['Next.js', 'React', 'Vue'])} front end for {noun} {rng.choice(['management', 'insights', 'self-service'])}."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.7, repo=c.full(name)),
                 "package.json": json.dumps({"name": name, "private": True, "scripts": {"build": "next build"}}) + "\n",
                 ".github/workflows/ci.yml": ci_workflow("TypeScript"),
                 ".github/workflows/deploy.yml": wf_static(f"nimbus-{name}-prod", acct)}
        c.repo(name, team, description=what, language="TypeScript", files=files, topics=["frontend", noun])
        c.own(name, team, p_codeowners=0.6, places=(".github/CODEOWNERS", "CODEOWNERS"), p_perm=0.6, p_catalog=0.2,
              catalog_type="website")
        c.service(name, team, name, [])

    ops_names = ["log-forwarder", "cost-anomaly-notifier", "guardduty-to-slack", "rds-snapshot-pruner",
                 "cloudtrail-digest", "secret-rotator", "tag-auditor", "budget-alerts"]

    def ops() -> None:
        name = c.unique(lambda: rng.choice(ops_names) + ("" if rng.random() < 0.8 else f"-{rng.choice(['v2', 'eu', 'ops'])}"))
        key = rng.choice(["team", "owner", "Team"])
        fn = use.function(name, "python3.12", "main.handler", tags={key: "platform", "managed-by": "console"})
        if rng.random() < 0.5:
            use.alarm(f"{name}-errors", fn, rng.choice(["OK", "INSUFFICIENT_DATA"]))
        c.service(name, "platform", None, [fn.truth])

    plan = split(n, [("sls", 0.52), ("sam", 0.15), ("copilot", 0.07), ("web", 0.12), ("ops", 0.06),
                     ("sls-norepo", 0.08)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        {"sls": lambda: sls(team), "sam": lambda: sam(team), "copilot": lambda: copilot(team),
         "web": lambda: web(team), "ops": ops, "sls-norepo": lambda: sls(team, with_repo=False)}[kind]()

    live = next((s for s in c.services if s["repo"] and "serverless.yml" in c.repos[s["repo"].split("/")[1]]["files"]),
                None)
    archived = [("hackathon-chatbot", "growth", "Hackathon 2024 ordering chatbot."),
                ("lambda-layer-legacy", "platform", "Old shared Lambda layer, use powertools instead.")]
    if live:
        archived.append((f"{live['name']}-v0", live["owner"], f"First version of {live['name']}, replaced by {live['repo']}."))
    archived_and_forks(c, archived, [("serverless-offline", "JavaScript", "Emulate AWS λ and API Gateway locally"),
                                     ("powertools-lambda-typescript", "TypeScript", "Powertools for AWS Lambda")])
    if live:  # the archived first version still declares the live service name: discovery must ignore it
        c.repos[f"{live['name']}-v0"]["files"]["serverless.yml"] = serverless_v2_stub(live["name"])
    return (f"Synthetic company, style serverless, {len(c.services)} product services: Serverless Framework "
            "and SAM apps with prod and dev stages in one account, Copilot containers, static web front ends")
