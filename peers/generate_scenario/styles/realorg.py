"""Style ``realorg`` (Quillfeather Commerce): what every real organisation has. Repositories under code names
(``osprey`` deploys ``checkout-api``; only the deploy workflow, the image or catalog-info tie them), a shared ECS
cluster and a database and event queues the platform team owns, people who left (their commits stay, their
CODEOWNERS lines too), nested teams with leads in the parent group and people in two teams, services nobody owns
any more, and services one repository deploys to two regions under the same name."""
from __future__ import annotations

from datetime import timedelta

from ..company import Company
from ..repo_files import catalog_info, codeowners_file, readme, task_definition
from ..vocab import FIRST, LAST, NOW, camel, language_for, split
from ..workflows import (
    SHA, aws_creds, checkout, ci_workflow, deploy_workflow, ecr_login, ecr_uri, job, run, wf_ecs_action,
    wf_ecs_cli, wf_lambda_cli, wf_publish, wf_sam,
)
from ..yaml_text import Flow
from .common import archived_and_forks

# Code names engineers give repositories; nothing in them says what they deploy.
CODE_NAMES = ("osprey kestrel juniper tamarack basalt cobalt lantern meridian quasar sable tundra zephyr halyard "
              "marlin cirrus obsidian piccolo sequoia tern vesper wren yarrow bramble ember fjord gannet heron ibis "
              "lynx mistral nautilus orca puffin quokka raven saffron topaz umber vireo walrus alder birch cedar "
              "dahlia fennel garnet hazel indigo jasper kelp larch mosaic nettle onyx pewter quill rowan sorrel "
              "thistle").split()
GROUPS = {  # parent group -> (title, {team: nouns})
    "commerce": ("Commerce", {"checkout": ["checkout", "cart", "payment", "refund", "voucher"],
                              "catalog": ["product", "inventory", "pricing", "review", "media"],
                              "fulfilment": ["shipment", "warehouse", "returns", "carrier", "label"]}),
    "growth": ("Growth", {"discovery": ["search", "ranking", "recommend", "browse"],
                          "messaging": ["email", "push", "sms", "notification"]}),
}
PLATFORM_NOUNS = ["auth", "gateway", "config", "flags", "audit"]
SUFFIXES = ["api", "service", "worker", "consumer", "processor", "sync"]
CLUSTER = "shared-prod"  # one ECS cluster for everyone, run by the platform team


def wf_two_regions(acct: str, regions: list[str], service: str, stack: str, image_repo: str, *, matrix: bool) -> str:
    """Build once per region and roll the same stack and ECS service out to every region: one job over a
    matrix of regions, or one job with a deploy step per region (``--region``)."""
    if matrix:
        image = f"{acct}.dkr.ecr.${{{{ matrix.region }}}}.amazonaws.com/{image_repo}:{SHA}"
        steps = [checkout(), {"uses": "aws-actions/configure-aws-credentials@v4",
                              "with": {"role-to-assume": f"arn:aws:iam::{acct}:role/github-deploy",
                                       "aws-region": "${{ matrix.region }}"}},
                 ecr_login(), run(f"docker build -t {image} . && docker push {image}"),
                 run(f"aws cloudformation deploy --stack-name {stack} --template-file infra/service.yml "
                     f"--parameter-overrides ImageTag={SHA} --no-fail-on-empty-changeset"),
                 run(f"aws ecs update-service --cluster {CLUSTER} --service {service} --force-new-deployment")]
        deploy = {"runs-on": "ubuntu-latest", "strategy": {"matrix": {"region": Flow(regions)}},
                  "environment": "production", "steps": steps}
        return deploy_workflow({"deploy": deploy})
    image = f"{ecr_uri(acct, regions[0], image_repo)}:{SHA}"
    steps = [checkout(), aws_creds(acct, regions[0]), ecr_login(), run(f"docker build -t {image} . && docker push {image}")]
    for region in regions:
        steps.append(run(f"aws cloudformation deploy --stack-name {stack} --region {region} "
                         "--template-file infra/service.yml --no-fail-on-empty-changeset"))
        steps.append(run(f"aws ecs update-service --cluster {CLUSTER} --service {service} --region {region} "
                         "--force-new-deployment"))
    return deploy_workflow({"deploy": job(steps, environment="production")})


def wf_stack(acct: str, region: str, stack: str) -> str:
    return deploy_workflow({"deploy": job([checkout(), aws_creds(acct, region, "platform-deploy"), run(
        f"aws cloudformation deploy --stack-name {stack} --template-file infra/platform.yml "
        "--capabilities CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset")], environment="production")})


def realorg_style(c: Company, n: int) -> str:
    rng = c.rng
    codes = list(CODE_NAMES)
    rng.shuffle(codes)

    def code_name() -> str:
        while codes:
            name = codes.pop()
            if name not in c.used_names and name not in c.repos:
                c.used_names.add(name)
                return name
        return c.unique(lambda: f"{rng.choice(CODE_NAMES)}-{rng.randint(2, 9)}")

    # -- people: nested teams, leads only in their group, a few in two teams, and people who left
    c.team("engineering", "Engineering", 2, description="All of engineering (VP and directors)")
    nouns: dict[str, list[str]] = {}
    for group, (title, children) in GROUPS.items():
        c.team(group, title, rng.randint(1, 2), parent="engineering", description=f"{title} group leads")
        for slug, words in children.items():
            c.team(slug, slug.title(), rng.randint(3, 6), parent=group)
            nouns[slug] = words
    c.team("platform", "Platform", rng.randint(4, 6), parent="engineering",
           description="Shared cluster, databases, queues and CI")
    nouns["platform"] = PLATFORM_NOUNS
    products = [t for t in nouns if t != "platform"]
    c.cross_members(list(nouns), 5)
    alumni = [c.person() for _ in range(rng.randint(4, 7))]  # left the company; their history stays
    gone = [f"{rng.choice(FIRST)}-{rng.choice(LAST)}-{rng.randint(10, 99)}" for _ in range(3)]  # removed from the org

    east, west = c.region("quill-prod", "us-east-1"), c.region("quill-prod", "eu-west-1")
    acct = east.acct

    def with_alumni(repo: str, team: str | None, share: float) -> None:
        """The oldest commits are by people who have since left, and a group lead pushed a fix or two
        (neither ever outweighs the team's own commits)."""
        commits = c.repos[repo]["commits"]
        before = [x["author"] for x in commits]
        for x in commits[int(len(commits) * (1 - share)):]:
            x["author"] = rng.choice(alumni)
        parent = c.teams[team]["parent"] if team else None
        leads = c.teams[parent]["members"] if parent else []
        if leads and rng.random() < 0.4:
            rng.choice(commits)["author"] = rng.choice(leads)
        if team and c.top_committer_team(commits) != team:
            for x, author in zip(commits, before):
                x["author"] = author

    def ownership(repo: str, team: str, entity: str, catalog_type: str = "service") -> None:
        """CODEOWNERS naming the team or its people, often with someone who left still listed; team
        permissions; sometimes a catalog-info naming the service; the group's leads read everything."""
        leavers = [f"@{rng.choice(alumni + gone)}"] if rng.random() < 0.35 else []
        has_co = rng.random() < 0.7
        if has_co:
            owners = c.owners(team, rng.choice(["team", "team", "users"])) + leavers
            c.repos[repo]["files"][rng.choice(["CODEOWNERS", ".github/CODEOWNERS"])] = codeowners_file(
                [("*", owners), *platform_paths()], comment=rng.choice([None, "Owners of this repository"]))
        c.own(repo, team, p_codeowners=0.0, p_perm=0.7, p_catalog=0.25, force=0 if has_co else 1,
              catalog_name=entity, catalog_type=catalog_type)
        parent = c.teams[team]["parent"]
        if parent and parent != "engineering" and rng.random() < 0.5:
            c.grant(parent, repo, rng.choice(["pull", "triage"]))
        with_alumni(repo, team, rng.choice([0.0, 0.2, 0.3]))

    def platform_paths() -> list[tuple[str, list[str]]]:
        """The platform team reviews CI and deploy changes everywhere (folder rules after the catch-all)."""
        return [("/.github/workflows/", [f"@{c.full('platform')}"])] if rng.random() < 0.4 else []

    def repo_name(name: str) -> tuple[str, list[str]]:
        """The repository of a service: its own name, or a code name (then an alias of the service)."""
        if rng.random() < 0.55:
            code = code_name()
            return code, [code]
        return name, []

    def ecs_service(team: str, regions_count: int = 1) -> None:
        name = c.unique(lambda: f"{rng.choice(nouns[team])}-{rng.choice(SUFFIXES)}")
        repo, aliases = repo_name(name)
        regions = [east, west][:regions_count] if regions_count > 1 else [rng.choice([east, east, west])]
        # some code-named repositories only build an image named after themselves; the platform's
        # pipeline rolls it out, so the image is the one thing that ties the repository to the service
        image_only = bool(aliases) and len(regions) == 1 and rng.random() < 0.35
        image_repo = repo if image_only else name
        res = []
        for reg in regions:
            reg.ecr.append(image_repo)
            image = f"{ecr_uri(acct, reg.name, image_repo)}:{rng.randint(100, 999)}"
            svc = reg.ecs(CLUSTER, name, image, desired=rng.randint(2, 6))
            refs = [svc]
            if rng.random() < 0.3:
                refs.append(reg.db(f"{name}-db", rng.choice(["postgres", "mysql"])))
            if rng.random() < 0.2:
                refs.append(reg.queue(f"{name}-jobs"))
            if rng.random() < 0.3:
                reg.alarm(f"{name}-5xx-{reg.name}", svc, rng.choice(["OK", "OK", "ALARM"]))
            tags = {"team": team} if rng.random() < 0.3 else {}
            res += [r.truth for r in refs] + [reg.stack(f"{name}-prod", tags, refs)]
        lang = rng.choice(["Go", "Kotlin", "TypeScript", "Python"])
        title = camel(repo) if aliases else camel(name)
        what = f"{title}: the {name.replace('-', ' ')} ({rng.choice(['HTTP', 'gRPC', 'event-driven'])})."
        files = {"README.md": readme(title, what, badges=rng.random() < 0.5, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 "config/production.env": f"DATABASE_HOST=core-pg.{acct}.internal\nEVENTS_QUEUE=domain-events\n"}
        if image_only:
            uri = f"{ecr_uri(acct, regions[0].name, repo)}:{SHA}"
            files[".github/workflows/image.yml"] = deploy_workflow({"image": job([
                checkout(), aws_creds(acct, regions[0].name, "ecr-push"), ecr_login(),
                run(f"docker build -t {uri} . && docker push {uri}")])}, name="image")
            files["README.md"] += (f"\n## Running\n\nRuns as `{name}` on the shared `{CLUSTER}` cluster; the platform "
                                   "pipeline deploys every image pushed from main.\n")
        elif len(regions) > 1:
            files[".github/workflows/deploy.yml"] = wf_two_regions(acct, [r.name for r in regions], name,
                                                                   f"{name}-prod", name, matrix=rng.random() < 0.6)
        elif rng.random() < 0.5:
            files[".github/workflows/deploy.yml"] = wf_ecs_action(acct, regions[0].name, name, name, CLUSTER)
            files["task-definition.json"] = task_definition(name, f"{ecr_uri(acct, regions[0].name, name)}:latest")
        else:
            files[".github/workflows/deploy.yml"] = wf_ecs_cli(
                [("deploy-prod", acct, regions[0].name, f"{CLUSTER}/{name}")], name, (acct, regions[0].name))
        c.repo(repo, team, description=what, language=lang, files=files)
        ownership(repo, team, name)
        c.service(name, team, repo, res, aliases=aliases)

    def api_and_worker(team: str) -> None:
        """One code-named repository, two services: an API and the worker behind it, one folder each."""
        noun = next((w for w in rng.sample(nouns[team], len(nouns[team]))
                     if f"{w}-api" not in c.used_names and f"{w}-worker" not in c.used_names), None)
        if noun is None:  # every noun of the team is taken: two services of their own instead
            ecs_service(team)
            ecs_service(team)
            return
        repo = code_name()
        names = [f"{noun}-api", f"{noun}-worker"]
        c.used_names.update(names)
        steps = [checkout(), aws_creds(acct, "us-east-1"), ecr_login()]
        files = {"README.md": readme(camel(repo), f"{camel(repo)}: the {noun} API and its worker.", badges=True,
                                     repo=c.full(repo)), ".github/workflows/ci.yml": ci_workflow("Go")}
        for name in names:
            east.ecr.append(name)
            svc = east.ecs(CLUSTER, name, f"{ecr_uri(acct, 'us-east-1', name)}:{rng.randint(100, 999)}")
            refs = [svc] + ([east.queue(f"{name}-jobs")] if name.endswith("worker") and rng.random() < 0.5 else [])
            res = [r.truth for r in refs] + [east.stack(f"{name}-prod", {}, refs)]
            files[f"services/{name}/main.go"] = f"package main\n\n// {name}\nfunc main() {{}}\n"
            files[f"services/{name}/Dockerfile"] = "FROM gcr.io/distroless/static\nCOPY bin/app /app\n"
            uri = f"{ecr_uri(acct, 'us-east-1', name)}:{SHA}"
            steps += [run(f"docker build -t {uri} services/{name} && docker push {uri}"),
                      run(f"aws ecs update-service --cluster {CLUSTER} --service {name} --force-new-deployment")]
            c.service(name, team, repo, res)
        files[".github/workflows/deploy.yml"] = deploy_workflow({"deploy": job(steps, environment="production")})
        c.repo(repo, team, description=f"{noun.title()} API and worker", language="Go", files=files)
        c.repos[repo]["files"]["CODEOWNERS"] = codeowners_file([("*", c.owners(team, "team"))])
        c.grant(team, repo, "admin")
        with_alumni(repo, team, 0.2)

    def lambda_app(team: str) -> None:
        name = c.unique(lambda: f"{rng.choice(nouns[team])}-{rng.choice(['hooks', 'events', 'lookup', 'jobs'])}")
        repo, aliases = repo_name(name)
        runtime = rng.choice(["python3.12", "nodejs20.x"])
        picked = rng.sample(["handler", "consumer", "scheduler"], 2)
        # the first consumer of the platform's order events reads them straight from the shared queue
        shared = "order-events" if "consumer" in picked and not consumers else None
        if shared:
            consumers.append(name)
        fns = [east.function(f"{name}-{fn}", runtime, f"app.{fn}", trigger=shared if fn == "consumer" else None)
               for fn in picked]
        refs = list(fns)
        if rng.random() < 0.5:
            refs.append(east.api(f"{name}-api", rng.choice(["REST", "HTTP"]), [fns[0].ref[7:]]))
        res = [r.truth for r in refs] + [east.stack(f"{name}-prod", {"team": team} if rng.random() < 0.3 else {}, refs)]
        what = f"{camel(repo) if aliases else camel(name)}: {name.replace('-', ' ')} on Lambda."
        files = {"README.md": readme(camel(repo), what, badges=False, repo=c.full(repo))}
        if rng.random() < 0.5:
            files[".github/workflows/deploy.yml"] = wf_sam([("deploy", acct, "us-east-1", f"{name}-prod")])
        else:
            files[".github/workflows/deploy.yml"] = wf_lambda_cli(acct, "us-east-1", [f.ref[7:] for f in fns], runtime)
        c.repo(repo, team, description=what, language=language_for(runtime), files=files)
        ownership(repo, team, name)
        c.service(name, team, repo, res, aliases=aliases)

    def web_or_library(team: str, kind: str) -> None:
        if kind == "web":
            name = c.unique(lambda: f"{rng.choice(nouns[team])}-{rng.choice(['web', 'console', 'portal'])}")
        else:
            name = c.unique(lambda: rng.choice([f"{rng.choice(nouns[team])}-client", f"{team}-sdk", "event-schemas",
                                                "design-tokens", "http-kit", "money-utils", "quill-ui"]))
        lang = "TypeScript" if kind == "web" else rng.choice(["TypeScript", "Go", "Kotlin"])
        what = f"{name.replace('-', ' ').capitalize()} ({'web app' if kind == 'web' else 'shared library'})."
        files = {"README.md": readme(name, what, badges=True, repo=c.full(name)), ".github/workflows/ci.yml": ci_workflow(lang)}
        if kind == "lib":
            files[".github/workflows/release.yml"] = wf_publish(lang)
        c.repo(name, team, description=what, language=lang, files=files, topics=[kind])
        ownership(name, team, name, catalog_type="website" if kind == "web" else "library")
        c.service(name, team, name, [])

    def platform_core() -> None:
        """The shared database and event queues: the platform team's, deployed from its code-named repo."""
        repo = code_name()
        db, events = east.db("core-pg", "postgres"), east.queue("domain-events")
        dlq = east.queue("domain-events-dlq")
        res = [r.truth for r in (db, events, dlq)] + [east.stack("platform-core-prod", {"team": "platform"}, [db, events, dlq])]
        # queues made with Terraform, outside the stack, tagged for the platform service; product services
        # consume them (an event source mapping), which does not make them theirs
        for reg, queue in ((east, "order-events"), (west, "platform-core-events-eu")):
            res.append(reg.queue(queue, tags={"service": "platform-core", "team": "platform",
                                              "managed-by": "terraform"}).truth)
        what = f"{camel(repo)}: shared infrastructure (ECS cluster {CLUSTER}, core-pg, domain events)."
        files = {"README.md": readme(camel(repo), what, badges=False, repo=c.full(repo)),
                 "infra/platform.yml": "Resources:\n  CoreDb: {Type: AWS::RDS::DBInstance}\n  Events: {Type: AWS::SQS::Queue}\n",
                 ".github/workflows/deploy.yml": wf_stack(acct, "us-east-1", "platform-core-prod")}
        c.repo(repo, "platform", description=what, language="HCL", files=files, topics=["infrastructure"])
        c.repos[repo]["files"]["CODEOWNERS"] = codeowners_file([("*", ["@" + c.full("platform")])])
        c.grant("platform", repo, "admin")
        with_alumni(repo, "platform", 0.3)
        c.service("platform-core", "platform", repo, res, aliases=[repo])

    def abandoned() -> None:
        """A service whose people all left: only their commits and CODEOWNERS lines, and engineering's
        org-wide read access. Nobody owns it."""
        name = c.unique(lambda: f"{rng.choice([w for t in products for w in nouns[t]])}-{rng.choice(['reporter', 'exporter', 'legacy-sync'])}")
        repo = code_name()
        reg = east
        reg.ecr.append(name)
        svc = reg.ecs(CLUSTER, name, f"{ecr_uri(acct, reg.name, name)}:{rng.randint(10, 99)}")
        res = [svc.truth, reg.stack(f"{name}-prod", {}, [svc])]
        what = f"{camel(repo)}: {name.replace('-', ' ')}."
        files = {"README.md": readme(camel(repo), what, badges=False, repo=c.full(repo)),
                 "CODEOWNERS": codeowners_file([("*", [f"@{a}" for a in rng.sample(alumni, 2)] + [f"@{rng.choice(gone)}"]),
                                                ("/.github/workflows/", [f"@{c.full('platform')}"])]),
                 ".github/workflows/deploy.yml": wf_ecs_cli([("deploy-prod", acct, reg.name, f"{CLUSTER}/{name}")],
                                                            name, (acct, reg.name))}
        c.repo(repo, None, description=what, language="Java", files=files, newest=NOW - timedelta(days=rng.randint(200, 500)))
        for x in c.repos[repo]["commits"]:
            x["author"] = rng.choice(alumni)
        c.grant("engineering", repo, "pull")
        c.service(name, None, repo, res, aliases=[repo])

    def orphan_function() -> None:
        """A console-made function nobody tagged or put in a repository."""
        name = c.unique(lambda: f"{rng.choice(['nightly', 'hourly', 'weekly'])}-{rng.choice(nouns[rng.choice(products)])}-cleanup")
        fn = east.function(name, "python3.9", "lambda_function.lambda_handler")
        c.service(name, None, None, [fn.truth])

    consumers: list[str] = []
    platform_core()
    abandoned()
    orphan_function()
    pairs = max(1, n // 20)  # each is two services
    plan = split(n - 3 - 2 * pairs, [("ecs", 0.3), ("ecs2", 0.15), ("lambda", 0.2), ("web", 0.13), ("lib", 0.12),
                                     ("platform", 0.1)], rng) + ["pair"] * pairs
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        if kind == "pair":
            api_and_worker(team)
        elif kind == "platform":
            ecs_service("platform")
        elif kind in ("web", "lib"):
            web_or_library(team, kind)
        else:
            {"ecs": lambda: ecs_service(team), "ecs2": lambda: ecs_service(team, 2), "lambda": lambda: lambda_app(team)}[kind]()
    archived = [(code_name(), rng.choice(products), rng.choice(["First checkout prototype.", "Old search indexer.",
                                                                 "Hackathon project.", "Replaced by the new pipeline."]))
                for _ in range(3)]
    archived_and_forks(c, archived, [("localstack", "Python", "A fully functional local AWS cloud stack")])
    for name, _, _ in archived:
        with_alumni(name, None, 1.0)
    return (f"Synthetic company, style realorg, {len(c.services)} product services: code-named repositories, a shared "
            "ECS cluster with a platform-owned database and queues, people who left, nested teams, unowned services, "
            "services deployed to two regions under one name")
