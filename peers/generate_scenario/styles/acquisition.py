"""Style ``acquisition`` (Tessaro Freight buys Quillpay): two GitHub organizations and two companies' AWS
accounts with their own conventions, teams whose slugs coincide (both have ``payments`` and ``platform``),
and services that live on both sides while they move: a repository being deployed into both companies'
accounts, a repository transferred to the parent org with the old one archived."""
from __future__ import annotations

from datetime import timedelta

from ..company import Company
from ..repo_files import jenkinsfile, readme
from ..vocab import NOW, camel, split
from ..workflows import ci_workflow, wf_cloudformation, wf_ecs_cli, wf_lambda_cli, wf_publish, wf_static
from .common import archived_and_forks, pick_name

PARENT, ACQUIRED = "tessaro", "quillpay"
SHARED_SLUGS = ("payments", "platform")  # a team of that slug in each org: two different teams

PARENT_DOMAINS = {
    "dispatch": (["load", "tender", "dock", "carrier", "lane"], "Dispatch"),
    "fleet": (["truck", "trailer", "telematics", "fuel", "driver"], "Fleet"),
    "payments": (["freight-bill", "remittance", "factoring", "rate"], "Payments"),
    "shipper-experience": (["shipper", "quote", "tracking", "booking"], "Shipper Experience"),
}
ACQUIRED_DOMAINS = {
    "payments": (["invoice", "payout", "refund", "settlement", "mandate"], "Payments"),
    "merchants": (["merchant", "storefront", "checkout", "kyb"], "Merchants"),
    "risk": (["fraud", "chargeback", "velocity", "screening"], "Risk"),
}
PARENT_SUFFIXES = ["api", "service", "worker", "sync", "scheduler", "gateway"]
ACQUIRED_SUFFIXES = ["router", "engine", "processor", "hub", "ledger", "notifier"]


def owner_key(org: str, slug: str) -> str:
    """How the truth names a team: ``org/slug`` when the other org has a team of the same slug."""
    return f"{org}/{slug}" if slug in SHARED_SLUGS else slug


def snake(name: str) -> str:
    return name.replace("-", "_")


def acquisition_style(c: Company, n: int) -> str:
    rng = c.rng
    # -- the parent: Go and TypeScript, kebab-case everywhere, prod and staging accounts in us-east-1
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in PARENT_DOMAINS.items():
        c.team(slug, title, rng.randint(3, 5), parent="engineering")
    c.team("platform", "Platform", 4, parent="engineering", description="CI/CD, AWS accounts, shared Go libraries")
    c.cross_members(list(PARENT_DOMAINS) + ["platform"], 3)
    prod, staging = c.region("tessaro-prod", "us-east-1"), c.region("tessaro-staging", "us-east-1")
    # -- the acquired company: Java, C# and Ruby, CamelCase stacks and svc_ names, prod and sandbox in eu-west-1
    c.add_org(ACQUIRED, "Quillpay", "quillpay.test")
    for slug, (_, title) in ACQUIRED_DOMAINS.items():
        c.team(slug, title, rng.randint(3, 5))
    c.team("platform", "Platform", 3, description="Quillpay's build and hosting")
    c.cross_members(list(ACQUIRED_DOMAINS), 2)
    quill = c.region("quillpay-prod", "eu-west-1")
    sandbox = c.region("quillpay-sandbox", "eu-west-1")
    quill_payments = c.solo("payments")
    c.use_org(PARENT)
    # after the deal a few Quillpay engineers were invited into Tessaro's org and joined its teams
    for login in rng.sample(quill_payments, 1):
        c.invite(login, ACQUIRED)
        c.join(login, "payments")

    def parent_ecs(team: str) -> None:
        name = pick_name(c, PARENT_DOMAINS[team][0], PARENT_SUFFIXES)
        prod.ecr.append(name)
        image = f"{prod.acct}.dkr.ecr.us-east-1.amazonaws.com/{name}:{rng.randint(1, 40)}.{rng.randint(0, 9)}.0"
        res, targets = [], []
        with_db, with_queue = rng.random() < 0.4, rng.random() < 0.3
        for env, reg in (("prod", prod), ("staging", staging)) if rng.random() < 0.8 else (("prod", prod),):
            refs = [reg.ecs(f"tessaro-{env}", name, image, desired=3 if env == "prod" else 1)]
            if with_db:
                refs.append(reg.db(f"{name}-{env}", "postgres"))
            if with_queue:
                refs.append(reg.queue(f"{name}-{env}-events"))
            if env == "prod" and rng.random() < 0.5:
                reg.alarm(f"{name}-cpu-high", refs[0], rng.choice(["OK", "OK", "ALARM"]))
            tags = {"environment": env, "team": team}
            if rng.random() < 0.5:
                tags["service"] = name
            res += [r.truth for r in refs] + [reg.stack(f"{name}-{env}", tags, refs)]
            targets.append((f"deploy-{env}", reg.acct, reg.name, f"tessaro-{env}/{name}"))
        lang = "Go" if rng.random() < 0.7 else "TypeScript"
        what = f"{camel(name)}: {name.split('-')[0]} {rng.choice(['scheduling', 'matching', 'events', 'APIs'])} ({lang})."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_ecs_cli(targets, name, (prod.acct, "us-east-1"))}
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.8, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.7, p_catalog=0.3)
        c.service(name, owner_key(PARENT, team), name, res)

    def parent_lambda(team: str) -> None:
        name = pick_name(c, PARENT_DOMAINS[team][0], ["api", "hook", "events", "feed"])
        fns = [prod.function(f"{name}-{fn}", "nodejs20.x", "dist/index.handler")
               for fn in rng.sample(["handler", "ingest", "authorizer", "cron"], rng.randint(1, 3))]
        refs = fns + [prod.api(f"{name}-prod", "HTTP", [fns[0].ref[7:]])]
        res = [r.truth for r in refs] + [prod.stack(f"{name}-prod", {"team": team, "environment": "prod"}, refs)]
        what = f"{camel(name)} on Lambda and API Gateway (TypeScript)."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript"),
                 ".github/workflows/deploy.yml": wf_lambda_cli(prod.acct, "us-east-1", [f.ref[7:] for f in fns],
                                                               "nodejs20.x")}
        c.repo(name, team, description=what, language="TypeScript", files=files)
        c.own(name, team, p_codeowners=0.8, places=("CODEOWNERS",), p_perm=0.7, p_catalog=0.2)
        c.service(name, owner_key(PARENT, team), name, res)

    def quill_ecs(team: str, *, name: str | None = None) -> tuple[str, list[str], str, list[str]]:
        """A Quillpay container service in its account; returns (name, truth refs, svc_ name, stack name)."""
        name = name or pick_name(c, ACQUIRED_DOMAINS[team][0], ACQUIRED_SUFFIXES)
        svc = f"svc_{snake(name)}"
        quill.ecr.append(name)
        image = f"{quill.acct}.dkr.ecr.eu-west-1.amazonaws.com/{name}:build-{rng.randint(100, 2400)}"
        refs = [quill.ecs("quill-main", svc, image, desired=rng.randint(2, 4))]
        if rng.random() < 0.4:
            refs.append(quill.db(f"{snake(name)}_db".replace("_", "-"), rng.choice(["postgres", "sqlserver-se"])))
        if rng.random() < 0.3:
            refs.append(quill.queue(f"{svc}_jobs"))
        if rng.random() < 0.4:
            quill.alarm(f"{svc}_cpu", refs[0], rng.choice(["OK", "ALARM"]))
        prod_stack = rng.choice([f"{camel(name)}Stack", f"{camel(name)}Prod"])
        tags = {"Team": ACQUIRED_DOMAINS.get(team, ("", "Platform"))[1], "CostCentre": f"QP-{rng.randint(10, 99)}"} \
            if rng.random() < 0.7 else {}
        res = [r.truth for r in refs] + [quill.stack(prod_stack, tags, refs)]
        stacks = [prod_stack]
        if rng.random() < 0.4:  # Quillpay's sandbox account runs a copy for merchants' integration tests
            box = sandbox.ecs("quill-sandbox", svc, image)
            stacks.append(f"{camel(name)}Sandbox")
            res += [box.truth, sandbox.stack(stacks[-1], dict(tags), [box])]
        return name, res, svc, stacks

    def quill_repo_name(name: str, lang: str) -> str:
        """How Quillpay named repositories: .NET solutions ``Quillpay.PayoutRouter``, Ruby gems in snake case."""
        return {"C#": f"Quillpay.{camel(name)}", "Ruby": snake(name)}.get(lang) or rng.choice([name, f"{name}-service"])

    def quill_repo_files(name: str, repo: str, lang: str, svc: str, stacks: list[str], what: str, jenkins: bool,
                         extra_targets=()) -> dict:
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.4, repo=c.full(repo))}
        targets = [("deploy-quill", quill.acct, "eu-west-1", f"quill-main/{svc}"), *extra_targets]
        if len(stacks) > 1:
            targets.insert(0, ("deploy-sandbox", sandbox.acct, "eu-west-1", f"quill-sandbox/{svc}"))
        if jenkins and not extra_targets:
            files["Jenkinsfile"] = jenkinsfile(quill.acct, "quill-main", svc, "eu-west-1", image_repo=name)
        else:
            files[".github/workflows/deploy.yml"] = wf_ecs_cli(targets, name, (quill.acct, "eu-west-1"))
            files[".github/workflows/ci.yml"] = ci_workflow(lang)
        return files

    def acquired_ecs(team: str) -> None:
        c.use_org(ACQUIRED)
        name, res, svc, stacks = quill_ecs(team)
        lang = rng.choice(["Java", "C#", "Ruby"])
        repo = quill_repo_name(name, lang)
        what = f"{camel(name)} ({lang}): {name.split('-')[0]} {rng.choice(['processing', 'orchestration', 'API'])}."
        c.repo(repo, team, description=what, language=lang, branch=rng.choice(["master", "main"]),
               files=quill_repo_files(name, repo, lang, svc, stacks, what, jenkins=rng.random() < 0.4))
        c.own(repo, team, p_codeowners=0.7, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.8, p_catalog=0.1,
              mode=rng.choice(["team", "team", "users"]))  # Quillpay's CODEOWNERS often list people
        c.service(name, owner_key(ACQUIRED, team), repo, res, aliases=[repo, svc, *stacks])
        c.use_org(PARENT)

    def acquired_lambda(team: str) -> None:
        c.use_org(ACQUIRED)
        name = pick_name(c, ACQUIRED_DOMAINS[team][0], ["webhook", "listener", "exporter", "scorer"])
        runtime = rng.choice(["java21", "dotnet8", "ruby3.3"])
        fns = [quill.function(f"svc_{snake(name)}_{fn}", runtime, "Handler::handleRequest" if runtime[0] == "j" else
                              "app.handler") for fn in rng.sample(["handler", "consumer", "nightly"], rng.randint(1, 2))]
        refs = fns + [quill.api(f"{camel(name)}Api", "REST", [fns[0].ref[7:]])]
        stack = f"{camel(name)}Stack"
        res = [r.truth for r in refs] + [quill.stack(stack, {"Team": ACQUIRED_DOMAINS[team][1]}, refs)]
        lang = {"j": "Java", "d": "C#", "r": "Ruby"}[runtime[0]]
        repo = quill_repo_name(name, lang)
        what = f"{camel(name)}: {name.split('-')[0]} events on Lambda ({lang}, CloudFormation)."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(repo)),
                 "template.yml": "AWSTemplateFormatVersion: '2010-09-09'\nDescription: " + what + "\n",
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_cloudformation([("deploy-prod", quill.acct, "eu-west-1", stack)],
                                                                   "template.yml")}
        c.repo(repo, team, description=what, language=lang, files=files)
        c.own(repo, team, p_codeowners=0.7, places=("CODEOWNERS",), p_perm=0.8, p_catalog=0.0)
        c.service(name, owner_key(ACQUIRED, team), repo, res, aliases=[repo, stack])
        c.use_org(PARENT)

    def tessaro_copy(name: str, team: str) -> list[str]:
        """The service's new home in Tessaro's prod account, by Tessaro's conventions: truth refs."""
        refs = [prod.ecs("tessaro-prod", name, f"{quill.acct}.dkr.ecr.eu-west-1.amazonaws.com/{name}:latest")]
        if rng.random() < 0.5:
            refs.append(prod.queue(f"{name}-prod-events"))
        return [r.truth for r in refs] + [prod.stack(f"{name}-prod", {"team": team, "migrated-from": "quillpay"}, refs)]

    def migrating(team: str) -> None:
        """Quillpay's service being moved into Tessaro's account: deployed to both from Quillpay's repo."""
        c.use_org(ACQUIRED)
        name, res, svc, stacks = quill_ecs(team)
        res += tessaro_copy(name, team)
        lang = rng.choice(["Java", "C#"])
        repo = quill_repo_name(name, lang)
        what = f"{camel(name)} ({lang}). Migrating from the Quillpay account to Tessaro's prod account (both live)."
        c.repo(repo, team, description=what, language=lang,
               files=quill_repo_files(name, repo, lang, svc, stacks, what, jenkins=False,
                                      extra_targets=[("deploy-tessaro", prod.acct, "us-east-1", f"tessaro-prod/{name}")]))
        c.own(repo, team, p_codeowners=0.8, places=("CODEOWNERS",), p_perm=0.8, p_catalog=0.0, force=1)
        c.service(name, owner_key(ACQUIRED, team), repo, res, aliases=[repo, svc, *stacks])
        c.use_org(PARENT)

    def moved() -> None:
        """A repository transferred to Tessaro's org (Tessaro payments took it over); Quillpay's copy archived."""
        c.use_org(ACQUIRED)
        name, res, svc, stacks = quill_ecs("payments")
        lang = rng.choice(["Java", "Ruby"])
        what = f"{camel(name)} ({lang}), now maintained by Tessaro payments."
        old = NOW - timedelta(days=rng.randint(60, 200))
        c.repo(name, "payments", description=f"[MOVED] {what}", language=lang, archived=True, newest=old, n_commits=7,
               files={"README.md": readme(camel(name), f"**Moved to {PARENT}/{name}.**", badges=False, repo=c.full(name)),
                      "Jenkinsfile": jenkinsfile(quill.acct, "quill-main", svc, "eu-west-1", image_repo=name)})
        c.exclude(name)
        c.use_org(PARENT)
        targets = []
        if rng.random() < 0.4:  # transferred and already running in Tessaro's account as well
            res += tessaro_copy(name, "payments")
            targets.append(("deploy-tessaro", prod.acct, "us-east-1", f"tessaro-prod/{name}"))
        repo = c.repo(name, "payments", description=what, language=lang,
                      files=quill_repo_files(name, name, lang, svc, stacks, what, jenkins=False, extra_targets=targets))
        for commit in repo["commits"][len(repo["commits"]) * 2 // 3:]:  # a transfer keeps the history
            commit["author"] = rng.choice(quill_payments)
        c.own(name, "payments", p_codeowners=1.0, places=("CODEOWNERS",), p_perm=0.8, p_catalog=0.3, force=2)
        c.service(name, owner_key(PARENT, "payments"), name, res, aliases=[svc, *stacks])

    def web(team: str) -> None:
        name = pick_name(c, PARENT_DOMAINS[team][0], ["web", "portal", "console"])
        what = f"The {name.replace('-', ' ')} (React)."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript"),
                 ".github/workflows/deploy.yml": wf_static(f"tessaro-{name}", prod.acct)}
        c.repo(name, team, description=what, language="TypeScript", files=files, topics=["frontend"])
        c.own(name, team, p_codeowners=0.8, places=("CODEOWNERS",), p_perm=0.6, catalog_type="website")
        c.service(name, owner_key(PARENT, team), name, [])

    def library(org: str) -> None:
        c.use_org(org)
        choices = (["tessaro-go-kit", "geo-utils", "tessaro-ui", "edi-204-parser", "go-retry", "units-of-measure"]
                   if org == PARENT else ["quill-commons", "QuillPay.Money", "quill-ruby-client", "iso20022-java",
                                          "QuillPay.Auth", "quill-test-fixtures"])
        name = c.unique(lambda: rng.choice(choices))
        lang = ("C#" if name.startswith("QuillPay.") else rng.choice(["Java", "Ruby"])) if org == ACQUIRED \
            else rng.choice(["Go", "TypeScript"])
        what = f"Shared library: {name}."
        files = {"README.md": readme(name, what, badges=True, repo=c.full(name)),
                 ".github/workflows/release.yml": wf_publish(lang)}
        c.repo(name, "platform", description=what, language=lang, files=files, topics=["library"])
        c.own(name, "platform", p_codeowners=0.8, places=("CODEOWNERS",), p_perm=0.7, catalog_type="library")
        c.service(name, owner_key(org, "platform"), name, [])
        c.use_org(PARENT)

    norepo_nouns: set[str] = set()

    def quill_norepo(team: str) -> None:
        """Made by hand in Quillpay's console years ago: no repository, only the ``Team`` tag (when its slug is
        one both orgs have, the account, where Quillpay's repositories deploy, says whose)."""
        # one per noun: two lone functions sharing a prefix would read as one service's functions
        nouns = [x for x in ACQUIRED_DOMAINS[team][0] if x not in norepo_nouns] or ACQUIRED_DOMAINS[team][0]
        name = pick_name(c, nouns, ["cron", "export", "reconciler"])
        norepo_nouns.add(name.split("-")[0])
        fn = quill.function(f"svc_{snake(name)}", "java11", "Handler::handleRequest",
                            tags={"Team": ACQUIRED_DOMAINS[team][1], "CreatedBy": "console"})
        c.service(name, owner_key(ACQUIRED, team), None, [fn.truth], aliases=[fn.ref[7:]])

    def parent_norepo() -> None:
        """Tessaro platform's account plumbing, clicked together in the console: only its ``team`` tag (a slug both
        orgs have; the account, where Tessaro's repositories deploy, says whose)."""
        name = c.unique(lambda: rng.choice(["cost-anomaly-notifier", "guardduty-to-slack", "ami-janitor",
                                            "cloudtrail-digest", "quota-watcher"]))
        fn = prod.function(name, "python3.12", "index.handler", tags={"team": "platform", "created-by": "console"})
        c.service(name, owner_key(PARENT, "platform"), None, [fn.truth])

    def leftovers() -> None:
        """A function in each account that nobody claims: no tags, no repository, no owner."""
        fn = prod.function(c.fresh(["s3-replay-tmp", "manual-backfill-2024", "adhoc-sns-fanout"]), "python3.12",
                           "lambda_function.lambda_handler")
        c.service(fn.ref[7:], None, None, [fn.truth])
        fn = quill.function(c.fresh(["svc_legacy_csv_export", "svc_old_recon_job", "svc_tmp_migration"]), "java11",
                            "Handler::handleRequest")
        c.service(fn.ref[7:].removeprefix("svc_").replace("_", "-"), None, None, [fn.truth], aliases=[fn.ref[7:]])

    parent_teams, acquired_teams = list(PARENT_DOMAINS), list(ACQUIRED_DOMAINS)
    plan = split(n - 2, [("p-ecs", 0.22), ("p-lambda", 0.1), ("p-norepo", 0.03), ("web", 0.05), ("p-lib", 0.05),
                         ("q-ecs", 0.2), ("q-lambda", 0.1), ("q-norepo", 0.04), ("q-lib", 0.04), ("migrating", 0.09),
                         ("moved", 0.08)], rng)
    for i, kind in enumerate(plan):
        pt = parent_teams[i % len(parent_teams)] if rng.random() < 0.7 else rng.choice(parent_teams)
        qt = acquired_teams[i % len(acquired_teams)] if rng.random() < 0.7 else rng.choice(acquired_teams)
        {"p-ecs": lambda: parent_ecs(pt), "p-lambda": lambda: parent_lambda(pt), "web": lambda: web(pt),
         "p-lib": lambda: library(PARENT), "q-ecs": lambda: acquired_ecs(qt), "q-lambda": lambda: acquired_lambda(qt),
         "q-lib": lambda: library(ACQUIRED), "migrating": lambda: migrating(qt), "moved": moved,
         "q-norepo": lambda: quill_norepo(qt), "p-norepo": parent_norepo}[kind]()
    leftovers()
    archived_and_forks(c, [("dock-scheduler-poc", "dispatch", "Dock scheduling spike.")],
                       [("aws-sdk-go-v2", "Go", "AWS SDK for the Go programming language.")])
    c.use_org(ACQUIRED)
    archived_and_forks(c, [("quillpay-monolith", "payments", "The original Rails monolith.")], [])
    c.use_org(PARENT)
    return (f"Synthetic company, style acquisition, {len(c.services)} product services: Tessaro Freight (tessaro, "
            "Go/TypeScript, kebab-case, us-east-1 prod + staging) and the acquired Quillpay (quillpay, Java/C#/Ruby, "
            "CamelCase stacks and svc_ names, eu-west-1) with same-slug teams, services being migrated between the "
            "accounts and repositories transferred to the parent org")
