"""Style ``drift`` (Umbrella Health): infra names drift from repo names, owner tags under six spellings that
are stale, missing or conflicting, github_repo / repository tags."""
from __future__ import annotations

import re
from datetime import timedelta

from ..company import Company
from ..repo_files import readme
from ..vocab import NOW, camel, split
from ..workflows import ci_workflow, wf_ecs_action, wf_lambda_cli
from .common import archived_and_forks, pick_name

ABBREV = {"claims": "clm", "claim": "clm", "payment": "pmt", "payments": "pmt", "eligibility": "elig",
          "provider": "prov", "providers": "prov", "prescription": "rx", "member": "mbr", "members": "mbr",
          "notification": "notif", "appointment": "appt", "enrollment": "enrl", "adjudication": "adj",
          "pharmacy": "pharm", "credential": "cred", "remittance": "remit", "benefit": "ben", "premium": "prem",
          "referral": "ref", "formulary": "form", "directory": "dir", "invoice": "inv", "statement": "stmt"}


def drift_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "claims": (["claims", "adjudication", "eligibility", "remittance"], "Claims"),
        "billing": (["payment", "invoice", "premium", "statement"], "Billing"),
        "members": (["member", "enrollment", "benefit", "notification"], "Members"),
        "providers": (["provider", "credential", "directory", "referral"], "Providers"),
        "pharmacy": (["prescription", "formulary", "pharmacy", "refill"], "Pharmacy"),
        "care": (["appointment", "careplan", "triage", "telehealth"], "Care"),
    }
    suffixes = ["api", "service", "worker", "processor", "gateway", "engine", "sync", "scheduler"]
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 6), parent="engineering")
    c.team("platform", "Platform", 4, parent="engineering")
    c.cross_members(list(domains) + ["platform"], 4)
    products = list(domains)
    prod, staging = c.region("umbrella-prod", "us-east-2"), c.region("umbrella-staging", "us-east-2")
    owner_keys = ["team", "Team", "owner", "Owner", "owning-team", "squad"]

    def owner_value(team: str) -> str:
        return rng.choice([team, team, c.teams[team]["name"], f"{team}-team", f"{c.org_login}/{team}"])

    def variants(name: str) -> list[str]:
        """Names a person would still recognise: plural/singular, abbreviations, joined, affixes, underscores."""
        head, tail = name.split("-", 1)
        out = [head.rstrip("s") + "-" + tail if head.endswith("s") else head + "s-" + tail,
               name.replace("-", ""), f"svc-{name}", f"{name}-svc", name.replace("-", "_")]
        if head in ABBREV:
            out.append(f"{ABBREV[head]}-{tail}")
        return out

    def link_tags(repo: str, name: str) -> dict:
        """Tags that point at the repository explicitly (the strongest repo link drifted infra has)."""
        return rng.choice([{"github_repo": c.full(repo)}, {"repository": f"https://github.com/{c.full(repo)}"},
                           {"repository": c.full(repo)}, {"service": name}, {"Service": name}])

    def product(team: str, with_repo: bool = True) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        head = name.split("-")[0]
        kind = rng.choice(["ecs", "ecs", "lambda"])
        while True:
            prod_name, stage_name = rng.sample(variants(name) + [name], 2)
            if not ({prod_name, stage_name} - {name}) & c.used_names:
                c.used_names.update({prod_name, stage_name})
                break
        drift_hard = ABBREV.get(head, "#") in prod_name or ABBREV.get(head, "#") in stage_name
        repo = name
        if with_repo and rng.random() < 0.45:
            repo = rng.choice([camel(name) if not name.endswith("api") else camel(name)[:-3] + "API",
                               f"{name}-service", name.replace("-", "_"), f"umbrella-{name}"])
        # ownership story
        story = rng.choices(["clean", "missing", "stale", "conflict", "unknown-team"], [30, 25, 20, 15, 10])[0] \
            if with_repo else "clean"
        old = rng.choice([t for t in products if t != team])
        res = []
        for env, reg in (("prod", prod), ("staging", staging)):
            iname = prod_name if env == "prod" else stage_name
            tags: dict[str, str] = {}
            if story != "missing" and rng.random() < 0.8:
                tags[rng.choice(owner_keys)] = owner_value(team)
            if story == "stale" or (story == "conflict" and env == "prod"):
                tags = {rng.choice(owner_keys): owner_value(old)}
            if story == "unknown-team":
                tags = {rng.choice(owner_keys): rng.choice([f"{team}-legacy", "core-services", "team-phoenix"])}
            if with_repo and (drift_hard or rng.random() < 0.3):
                tags.update(link_tags(repo, name))
            if rng.random() < 0.5:
                tags[rng.choice(["env", "Environment", "stage"])] = env
            refs = []
            if kind == "ecs":
                svc = reg.ecs(env if rng.random() < 0.7 else f"umbrella-{env}", iname,
                              f"{reg.acct}.dkr.ecr.us-east-2.amazonaws.com/{iname}:{rng.randint(1, 400)}",
                              tags=tags if rng.random() < 0.5 else {}, desired=2 if env == "prod" else 1)
                reg.ecr.append(iname)
                refs.append(svc)
                if rng.random() < 0.35:
                    db_id = re.sub(r"[^a-z0-9]+", "-", iname.lower()).strip("-") + rng.choice(["-db", "db", f"-db-{env}"])
                    refs.append(reg.db(db_id, rng.choice(["postgres", "mysql"])))
                if env == "prod" and rng.random() < 0.4:
                    reg.alarm(f"{iname}-5xx-rate", svc, rng.choice(["OK", "ALARM", "INSUFFICIENT_DATA"]))
            else:
                fns = [reg.function(f"{iname}-{f}", "nodejs20.x", f"src/{f}.handler")
                       for f in rng.sample(["handler", "webhook", "processor", "reader"], rng.randint(1, 3))]
                refs += fns
                if rng.random() < 0.5:
                    q = reg.queue(f"{iname}-queue")
                    refs.append(q)
                    reg.lambdas[-1]["sqs_trigger"] = q.ref[4:]
                refs.append(reg.api(f"{iname}-{env}-api" if rng.random() < 0.5 else f"{camel(iname)}Api{camel(env)}",
                                    "REST", [fns[0].ref[7:]]))
            stack = rng.choice([f"{camel(iname)}{camel(env)}", f"{iname}-{env}", f"{camel(iname)}-{env}"])
            res += [r.truth for r in refs] + [reg.stack(stack, tags, refs)]
        aliases = [repo, prod_name, stage_name]
        if not with_repo:
            if not any(k in s["tags"] for s in (prod.stacks[-1], staging.stacks[-1]) for k in owner_keys):
                prod.stacks[-1]["tags"]["team"] = team
            c.service(name, team, None, res, aliases=aliases)
            return
        lang = rng.choice(["Java", "Kotlin", "TypeScript", "Python", "C#"])
        what = f"{camel(name)} — {head} {rng.choice(['processing', 'lookups', 'workflows', 'integration'])} for Umbrella Health."
        if kind == "ecs":
            deploy = wf_ecs_action(prod.acct, "us-east-2", prod_name, prod_name,
                                   prod.stacks[-1]["resources"][0].split(":")[1].split("/")[0])
        else:
            deploy = wf_lambda_cli(prod.acct, "us-east-2", [r.split(":", 1)[1] for r in prod.stacks[-1]["resources"]
                                                           if r.startswith("lambda:")], "nodejs20.x")
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow(lang)}
        if drift_hard or rng.random() < 0.6:
            files[".github/workflows/deploy.yml"] = deploy
        newest = NOW - timedelta(days=rng.randint(0, 20))
        c.repo(repo, team, description=what, language=lang, files=files, newest=newest,
               history=old if story == "stale" else None, n_commits=rng.randint(10, 18))
        if story == "stale":
            c.repos[repo]["commits"][rng.randint(1, 3)]["message"] = f"chore: move ownership to @{c.org_login}/{team}"
        contested = story in ("stale", "conflict")
        c.own(repo, team, p_codeowners=0.75, places=("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"),
              mode=rng.choice(["team", "team", "users"]), p_perm=0.6, p_catalog=0.2, force=2 if contested else 0,
              catalog_name=name)
        if story == "stale":
            c.grant(old, repo, "push")
        c.service(name, team, repo, res, aliases=aliases)

    def web(team: str) -> None:
        name = pick_name(c, domains[team][0], ["portal", "web", "ui"])
        repo = name if rng.random() < 0.7 else camel(name)
        what = f"{camel(name)} single-page app."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript")}
        c.repo(repo, team, description=what, language="TypeScript", files=files)
        c.own(repo, team, p_codeowners=0.7, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.6,
              catalog_type="website")
        c.service(name, team, repo, [], aliases=[repo])

    plan = split(n, [("product", 0.82), ("web", 0.1), ("norepo", 0.08)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        {"product": lambda: product(team), "web": lambda: web(team),
         "norepo": lambda: product(team, with_repo=False)}[kind]()
    archived_and_forks(c, [("claims-api-old", "claims", "Claims API v1."),
                           ("member-portal-2019", "members", "Member portal (2019).")],
                       [("fhir-server", "Java", "HAPI FHIR server")])
    return (f"Synthetic company, style drift, {len(c.services)} product services: infra names drift from repo "
            "names (plural, abbreviations, CamelCase, svc- affixes), owner tags under six spellings that are stale, "
            "missing or conflicting, github_repo/repository tags on some resources")
