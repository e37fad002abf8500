"""Style ``users`` (Hooli Mobility): CODEOWNERS naming people and e-mails, nested teams, a monorepo with
per-folder owners, repositories owned only through commits and permissions."""
from __future__ import annotations

from ..company import Company
from ..repo_files import catalog_info, codeowners_file, readme, sam_functions_template, task_definition
from ..vocab import camel, split
from ..workflows import ci_workflow, wf_ecs_action, wf_publish, wf_sam
from .common import archived_and_forks, pick_name


def users_style(c: Company, n: int) -> str:
    rng = c.rng
    groups = {"mobility": ("Mobility", {"dispatch": ["dispatch", "trip", "eta", "assignment", "zone"],
                                        "fleet": ["vehicle", "telemetry", "maintenance", "charging", "tracking"],
                                        "drivers": ["driver", "shift", "onboarding", "rating", "earnings"]}),
              "marketplace": ("Marketplace", {"pricing": ["fare", "surge", "quote", "promo"],
                                              "payouts": ["payout", "wallet", "tax", "invoice"]}),
              "platform": ("Platform", {"infra": ["cluster", "secrets", "ingress"],
                                        "devex": ["build", "preview", "docs"]})}
    suffixes = ["api", "service", "worker", "engine", "consumer", "scheduler", "matcher", "tracker"]
    c.team("engineering", "Engineering", 2, description="Engineering leadership", email_style="name")
    nouns: dict[str, list[str]] = {}
    for parent, (title, children) in groups.items():
        c.team(parent, title, rng.randint(1, 2), parent="engineering", description=f"{title} group leads",
               email_style="name")
        for slug, words in children.items():
            c.team(slug, slug.title() if slug != "devex" else "Developer Experience", rng.randint(3, 6),
                   parent=parent, email_style="name")
            nouns[slug] = words
    products = [t for t in nouns if t not in ("infra", "devex")]
    c.cross_members(list(nouns), 6)
    prod, staging = c.region("hooli-prod", "us-west-2"), c.region("hooli-staging", "us-west-2")
    prod_acct = prod.acct

    def parent_perms(repo: str, team: str) -> None:
        parent = c.teams[team]["parent"]
        if parent and rng.random() < 0.5:
            c.grant(parent, repo, rng.choice(["pull", "triage"]))

    def ownership(repo: str, team: str, catalog_type: str = "service") -> None:
        """People-style CODEOWNERS in docs/ or .github/, or none at all (then permissions + commits)."""
        has_co = rng.random() < 0.65
        if has_co:
            mode = rng.choice(["users", "users", "emails", "mixed"])
            c.repos[repo]["files"][rng.choice(["docs/CODEOWNERS", ".github/CODEOWNERS"])] = c.codeowners(
                team, mode, header=rng.random() < 0.5, departed=rng.random() < 0.15)
        c.own(repo, team, p_codeowners=0.0, p_perm=0.75, p_catalog=0.1, force=0 if has_co else 1,
              catalog_type=catalog_type)
        parent_perms(repo, team)

    def ecs_service(team: str) -> None:
        name = pick_name(c, nouns[team], suffixes)
        res = []
        for env, reg in (("prod", prod), ("staging", staging)):
            if env == "staging" and rng.random() < 0.3:
                continue
            reg.ecr.append(name)
            image = f"{reg.acct}.dkr.ecr.us-west-2.amazonaws.com/{name}:{rng.randint(1, 60)}"
            tags = {"team": team} if rng.random() < 0.35 else {}
            svc = reg.ecs(f"hooli-{env}", name, image, tags=tags, desired=rng.randint(2, 8) if env == "prod" else 1)
            refs = [svc]
            if rng.random() < 0.35:
                refs.append(reg.db(f"{name}-{env}-db", rng.choice(["postgres", "mysql"])))
            if env == "prod" and rng.random() < 0.4:
                reg.alarm(f"{name}-memory-high", svc, rng.choice(["OK", "ALARM"]))
            res += [r.truth for r in refs] + [reg.stack(f"{name}-{env}", {"env": env} if rng.random() < 0.5 else {}, refs)]
        lang = rng.choice(["Go", "Go", "Kotlin", "Python"])
        what = f"{camel(name)}: {rng.choice(['gRPC service', 'HTTP service', 'background worker'])} for {name.split('-')[0]} data."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_ecs_action(prod_acct, "us-west-2", name, name, "hooli-prod"),
                 "task-definition.json": task_definition(name, f"{prod_acct}.dkr.ecr.us-west-2.amazonaws.com/{name}:latest")}
        c.repo(name, team, description=what, language=lang, files=files, share=0.75)
        ownership(name, team)
        c.service(name, team, name, res)

    def sam_api(team: str) -> None:
        name = pick_name(c, nouns[team], ["api", "webhook", "lookup", "notifier"])
        res = []
        functions = []
        for fn in rng.sample(["handler", "authorizer", "poller"], rng.randint(1, 2)):
            ref = prod.function(f"{name}-{fn}", "python3.12", f"app.{fn}")
            functions.append(ref)
        api = prod.api(f"{name}-prod", rng.choice(["REST", "HTTP"]), [functions[0].ref[7:]])
        refs = functions + [api]
        tags = {"team": team} if rng.random() < 0.4 else {}
        res += [r.truth for r in refs] + [prod.stack(f"{name}-prod", tags, refs)]
        what = f"Serverless {name.split('-')[0]} {name.split('-')[1]} (SAM)."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 "template.yaml": sam_functions_template([f.ref[7:] for f in functions]),
                 ".github/workflows/deploy.yml": wf_sam([("deploy", prod_acct, "us-west-2", f"{name}-prod")])}
        c.repo(name, team, description=what, language="Python", files=files)
        ownership(name, team)
        c.service(name, team, name, res)

    def web(team: str) -> None:
        name = pick_name(c, nouns[team], ["web", "app", "console"])
        what = f"{name.split('-')[0].title()} {rng.choice(['ops console', 'rider app', 'partner portal'])} (web)."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript")}
        c.repo(name, team, description=what, language="TypeScript", files=files, topics=["web"])
        ownership(name, team, catalog_type="website")
        c.service(name, team, name, [])

    def library(team: str) -> None:
        name = c.unique(lambda: rng.choice([f"hooli-{rng.choice(['go', 'kt', 'py'])}-kit", f"{team}-client",
                                            "ui-components", "proto-schemas", f"{rng.choice(nouns[team])}-sdk"]))
        lang = {"go": "Go", "kt": "Kotlin", "py": "Python"}.get(name.split("-")[1], "TypeScript") \
            if name.startswith("hooli-") else rng.choice(["TypeScript", "Go"])
        what = f"Shared library: {name.replace('-', ' ')}."
        files = {"README.md": readme(name, what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang), ".github/workflows/release.yml": wf_publish(lang)}
        c.repo(name, team, description=what, language=lang, files=files, topics=["library"])
        ownership(name, team, catalog_type="library")
        c.service(name, team, name, [])

    def monorepo(team: str, count: int) -> None:
        repo = c.unique(lambda: f"{team}-platform")
        names = [pick_name(c, nouns[team], suffixes) for _ in range(count)]
        other = rng.choice([t for t in products if t != team])
        owners = {nm: (other if i == count - 1 else team) for i, nm in enumerate(names)}
        files = {"README.md": readme(camel(repo), f"Monorepo for the {team} services: "
                                     + ", ".join(names) + ".", badges=True, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow("Go")}
        rules = [("*", c.owners(team, "users"))]
        for nm in names:
            image = f"{prod_acct}.dkr.ecr.us-west-2.amazonaws.com/{nm}"
            prod.ecr.append(nm)
            svc = prod.ecs("hooli-prod", nm, f"{image}:{rng.randint(100, 999)}")
            # repo-wide permissions and commits speak for the host team; a guest service needs its own signals
            guest = owners[nm] != team
            stack = prod.stack(f"{nm}-prod", {"team": owners[nm]} if guest or rng.random() < 0.5 else {}, [svc])
            if guest or rng.random() < 0.5:
                files[f"services/{nm}/catalog-info.yaml"] = catalog_info(
                    nm, f"group:{owners[nm]}", kind_type="service", description=f"{nm} service", system=repo)
            files[f"services/{nm}/main.go"] = f"package main\n\n// {nm}\nfunc main() {{}}\n"
            files[f"services/{nm}/Dockerfile"] = "FROM gcr.io/distroless/static\nCOPY bin/app /app\n"
            files[f".github/workflows/{nm}.yml"] = wf_ecs_action(prod_acct, "us-west-2", nm, nm, "hooli-prod",
                                                                  name=f"deploy {nm}", folder=f"services/{nm}")
            people = c.rng.sample(c.solo(owners[nm]), 2)
            rules.append((f"/services/{nm}/", [f"@{people[0]}", f"@{people[1]}"]))
            c.service(nm, owners[nm], repo, [svc.truth, stack])
        files[".github/CODEOWNERS"] = codeowners_file(rules, comment="Each service folder has its own owners")
        c.repo(repo, team, description=f"{team.title()} services monorepo", language="Go", files=files,
               n_commits=rng.randint(14, 22))
        c.grant(team, repo, "admin")
        c.grant(other, repo, "push")
        parent_perms(repo, team)

    def norepo(team: str) -> None:
        name = pick_name(c, nouns[team], ["etl", "exporter", "bridge"])
        fn = prod.function(name, "python3.12", "main.handler", tags={rng.choice(["team", "owner"]): team})
        c.service(name, team, None, [fn.truth])

    plan = split(n - 3, [("ecs", 0.42), ("sam", 0.22), ("web", 0.14), ("lib", 0.1), ("norepo", 0.06),
                         ("infra", 0.06)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        if kind == "infra":
            ecs_service(rng.choice(["infra", "devex"]))
        elif kind == "lib":
            library(rng.choice(products + ["devex"]))
        else:
            {"ecs": ecs_service, "sam": sam_api, "web": web, "norepo": norepo}[kind](team)
    monorepo("dispatch", 3)
    archived_and_forks(c, [("trip-matcher-v1", "dispatch", "First trip matcher (replaced)."),
                           ("fleet-dashboard-old", "fleet", "Old fleet dashboard.")],
                       [("osrm-backend", "C++", "Open Source Routing Machine")])
    return (f"Synthetic company, style users, {len(c.services)} product services: CODEOWNERS that name people and "
            "e-mails in docs/ or .github/, repos owned only through commits and team permissions, nested teams, "
            "a monorepo with per-folder owners")
