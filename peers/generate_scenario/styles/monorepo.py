"""Style ``monorepo`` (Kestrel Freight): several services per repository (``services/<name>/`` or
``apps/<name>/``), owned per path in CODEOWNERS (a root rule for the host team, folder rules naming teams,
people or both, guest services owned by another team), deployed by per-service workflows filtered on
paths, by one workflow over a matrix of services, or by a paths-filter job gating a job per service. Some
services are Serverless Framework or SAM apps deployed from their folder's serverless.yml or template.yaml,
whose ``service:`` (or stack) may differ from the folder's name; some folders keep their own catalog-info.yaml.
Shared libraries (``libs/``, ``packages/``), ``tools/`` and ``docs/`` sit beside them and are no services.
Around the monorepos: ordinary single-service repositories, libraries and web apps."""
from __future__ import annotations

import json

from ..aws import Region, Res
from ..company import Company
from ..monorepo_workflows import (
    Env, Unit, function_names, wf_matrix, wf_monorepo_ci, wf_paths_filter, wf_per_service, wf_tool_image,
)
from ..repo_files import catalog_info, codeowners_file, readme, task_definition
from ..vocab import camel, split
from ..yaml_text import to_yaml
from ..workflows import ci_workflow, wf_ecs_action, wf_ecs_cli, wf_lambda_cli, wf_publish, wf_static
from .common import archived_and_forks, pick_name

REGION = "eu-central-1"
DOMAINS = {  # team -> (title, the nouns its services are named from)
    "shipments": ("Shipments", ["shipment", "booking", "label", "manifest", "customs", "consignment"]),
    "billing": ("Billing", ["invoice", "tariff", "ledger", "surcharge", "remittance", "credit-note"]),
    "warehouse": ("Warehouse", ["inventory", "picking", "dock", "slotting", "putaway", "cycle-count"]),
    "linehaul": ("Linehaul", ["route", "trailer", "carrier", "lane", "geofence", "handover"]),
    "customer": ("Customer Care", ["claim", "notification", "complaint", "callback", "survey"]),
}
BASE_IMAGES = {"Go": "gcr.io/distroless/static", "Kotlin": "eclipse-temurin:21-jre", "TypeScript": "node:20-slim",
               "Python": "python:3.12-slim"}
SUFFIXES = ["api", "service", "worker", "consumer", "sync", "engine", "planner", "processor"]
LIBS = ["logging", "events", "money", "testkit", "config", "tracing", "proto", "auth-client", "feature-flags"]
TOOLS = ["codegen", "seed-data", "local-dev", "migrate", "load-test"]
# language -> (workspace tool, source file in a service folder, Lambda runtime, shared-code folder)
LANGS = {"Go": ("go", "main.go", "provided.al2023", "libs"), "TypeScript": ("nx", "src/main.ts", "nodejs20.x", "packages"),
         "Kotlin": ("gradle", "src/main/kotlin/Main.kt", "java21", "libs"), "Python": ("uv", "app/main.py", "python3.12", "libs")}


def monorepo_style(c: Company, n: int) -> str:
    rng = c.rng
    c.team("engineering", "Engineering", 0, description="Everyone who builds Kestrel")
    for slug, (title, _) in DOMAINS.items():
        c.team(slug, title, rng.randint(3, 6), parent="engineering")
    c.team("platform", "Platform", rng.randint(3, 5), parent="engineering",
           description="CI/CD, shared libraries, the clusters")
    c.team("web", "Web Experience", rng.randint(2, 4), parent="engineering", description="Customer-facing web apps")
    products = list(DOMAINS)
    c.cross_members(products + ["platform"], 4)
    envs = {"prod": Env("prod", c.account("kestrel-prod"), REGION, "kestrel-prod"),
            "staging": Env("staging", c.account("kestrel-staging"), REGION, "kestrel-staging")}
    regions = {"prod": c.region("kestrel-prod", REGION), "staging": c.region("kestrel-staging", REGION)}
    org = c.org_login

    def team_ref(team: str) -> str:
        return f"@{org}/{team}"

    def path_owners(team: str) -> list[str]:
        """A folder rule: the team, two of its people, or the team and its lead."""
        people = rng.sample(c.solo(team), 2)
        return rng.choice([[team_ref(team)], [team_ref(team)], [f"@{p}" for p in people],
                           [team_ref(team), f"@{people[0]}"]])

    # -------------------------------------------------------------------------------- infrastructure
    def deploy_infra(name: str, kind: str, owner: str, env_names: list[str], *, image_repo: str,
                     stack_prefix: str | None, functions: tuple[str, ...], runtime: str, repo: str,
                     ecs_prefix: str = "", sls_service: str = "") -> list[str]:
        """One service's resources in each environment; returns their truth refs. ``stack_prefix``: None
        when no stack holds them, else what precedes ``{name}-{env}`` in the stack's name; ``ecs_prefix``:
        what precedes the ECS service's name."""
        stacks = stack_prefix is not None or kind in ("serverless", "sam")
        out = []
        for env_name in env_names:
            reg: Region = regions[env_name]
            env = envs[env_name]
            tags = {"environment": env_name}
            if rng.random() < 0.3:
                tags["team"] = owner
            refs: list[Res] = []
            if kind == "ecs":
                if image_repo not in reg.ecr:
                    reg.ecr.append(image_repo)
                image = f"{reg.acct}.dkr.ecr.{REGION}.amazonaws.com/{image_repo}:{rng.randint(1000, 9999):x}"
                refs.append(reg.ecs(env.cluster, ecs_prefix + name, image, tags=None if stacks else tags,
                                    desired=rng.randint(2, 6) if env_name == "prod" else 1))
            elif kind == "serverless":  # the framework names functions <service>-<stage>-<key>
                for fn in functions:
                    refs.append(reg.function(f"{sls_service}-{env_name}-{fn}", runtime, f"handler.{fn}"))
            elif kind == "sam":  # no FunctionName: CloudFormation names them <stack>-<LogicalId>-<random>
                for fn in functions:
                    suffix = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(12))
                    refs.append(reg.function(f"{sls_service}-{env_name}-{fn.title()}Function-{suffix}", runtime,
                                             f"handler.{fn}"))
            else:
                unit = Unit(name, "", "lambda", "", (env,), functions)
                for fn in function_names(unit, env_name):
                    refs.append(reg.function(fn, runtime, "bootstrap" if runtime.startswith("provided") else "main.handler",
                                             tags=None if stacks else tags))
            if stacks and rng.random() < 0.3:
                refs.append(reg.queue(f"{name}-{env_name}-events"))
            if env_name == "prod" and rng.random() < 0.3:
                reg.alarm(f"{name}-{'5xx' if kind == 'ecs' else 'errors'}", refs[0], rng.choice(["OK", "OK", "ALARM"]))
            out += [r.truth for r in refs]
            if kind in ("serverless", "sam"):
                out.append(reg.stack(f"{sls_service}-{env_name}", tags, refs))
            elif stacks:
                stack_tags = {**tags, "repository": f"{org}/{repo}"} if rng.random() < 0.4 else tags
                out.append(reg.stack(f"{stack_prefix}{name}-{env_name}", stack_tags, refs))
        return out

    # -------------------------------------------------------------------------------- monorepos
    def monorepo(host: str, size: int, mode: str) -> None:
        repo = c.unique(lambda: rng.choice([f"{host}-services", f"{host}-monorepo", f"{host}-backend", f"{host}-platform"]))
        root = rng.choice(["services", "services", "apps"])
        lang = rng.choice(list(LANGS))
        tool, source, runtime, shared_dir = LANGS[lang]
        image_prefix = f"{repo}/" if rng.random() < 0.6 else ""
        # per-service stacks, sometimes named after the repository too ("billing-backend-invoice-api-prod")
        stack_prefix = rng.choice([None, "", f"{repo}-"])
        # in the shared per-environment cluster some teams prefix their ECS services with the repository
        ecs_prefix = f"{repo}-" if rng.random() < 0.3 else ""
        guests = rng.sample([t for t in products if t != host], 1 if size < 5 else rng.randint(1, 2))
        owners = [host] * (size - len(guests)) + guests
        rng.shuffle(owners)
        libs = rng.sample(LIBS, rng.randint(1, 3))
        tools = rng.sample(TOOLS, rng.randint(0, 2))
        files: dict[str, str] = {}
        rules: list[tuple[str, list[str]]] = [("*", rng.choice([[team_ref(host)], [team_ref(host), f"@{rng.choice(c.solo(host))}"]]))]
        units: list[Unit] = []
        # some monorepos deploy part of their services with the Serverless Framework, from each folder
        p_sls = rng.choice([0.0, 0.25, 0.4])
        for owner in owners:
            name = pick_name(c, DOMAINS[owner][1], SUFFIXES)
            draw = rng.random()
            kind = ("serverless" if rng.random() < 0.7 else "sam") if draw < p_sls else \
                "ecs" if draw < p_sls + (1 - p_sls) * 0.7 else "lambda"
            sls_service = ""
            if kind in ("serverless", "sam"):
                # the app's own name (serverless.yml's service, the SAM stack's): the folder's, prefixed,
                # camelCased or other words altogether, as apps are renamed and folders are not
                words = camel(name).replace(" ", "")
                sls_service = rng.choice([name, f"{host}-{name}", f"kestrel-{name}", words[0].lower() + words[1:],
                                          f"{name.split('-')[0]}-{rng.choice(['events', 'hooks', 'jobs'])}"])
                if sls_service != name and sls_service in c.used_names:
                    sls_service = name
                c.used_names.add(sls_service)
            # a service being built runs in staging only until its first release
            env_names = ["staging"] if units and rng.random() < 0.12 else ["prod"] + (["staging"] if rng.random() < 0.8 else [])
            # a matrix names each function after its row, so only single-function services deploy that way
            parts = [w for w in ("api", "worker", "scheduler") if not name.endswith(w)]
            functions = ("",) if kind == "ecs" or mode == "matrix" or rng.random() < 0.6 else tuple(rng.sample(parts, 2))
            if kind in ("serverless", "sam"):
                functions = tuple(rng.sample(["handler", "api", "worker", "scheduler"], rng.randint(1, 2)))
            folder = f"{root}/{name}"
            res = deploy_infra(name, kind, owner, env_names, image_repo=image_prefix + name if kind == "ecs" else "",
                               stack_prefix=stack_prefix, functions=functions if kind != "ecs" else (), runtime=runtime,
                               repo=repo, ecs_prefix=ecs_prefix, sls_service=sls_service)
            units.append(Unit(name, folder, kind, image_prefix + name if kind == "ecs" else "",
                              tuple(envs[e] for e in env_names), functions if kind != "ecs" else (),
                              ecs_prefix if kind == "ecs" else "", sls_service, rng.random() < 0.5))
            files[f"{folder}/{source}"] = f"{'#' if lang == 'Python' else '//'} {name}: entry point\n"
            files[f"{folder}/README.md"] = f"# {name}\n\n{camel(name)} ({'container' if kind == 'ecs' else 'AWS Lambda'}).\n"
            if kind == "ecs":
                files[f"{folder}/Dockerfile"] = f"FROM {BASE_IMAGES[lang]}\nCOPY . /app\n"
            if kind == "serverless":
                files[f"{folder}/serverless.yml"] = serverless_yml(sls_service, runtime, functions)
            if kind == "sam":
                files[f"{folder}/template.yaml"] = sam_template(runtime, functions)
                files[f"{folder}/samconfig.toml"] = "version = 0.1\n" + "".join(
                    f"\n[{e}.deploy.parameters]\nstack_name = \"{sls_service}-{e}\"\nregion = \"{REGION}\"\n"
                    "resolve_s3 = true\ncapabilities = \"CAPABILITY_IAM\"\n" for e in env_names)
            if owner != host or rng.random() < 0.45:
                rules.append((f"/{folder}/", path_owners(owner)))
            if rng.random() < 0.3:
                files[f"{folder}/catalog-info.yaml"] = catalog_info(
                    name, rng.choice([f"group:{owner}", owner]), kind_type="service",
                    description=f"{camel(name)} of the {DOMAINS[owner][0]} team", system=repo)
            aliases = [ecs_prefix + name] if kind == "ecs" and ecs_prefix else [sls_service] if sls_service else []
            c.service(name, owner, repo, res, aliases=aliases)
        for lib in libs:
            files[f"{shared_dir}/{lib}/README.md"] = f"# {lib}\n\nShared {lib} code for the services in this repository.\n"
            files[f"{shared_dir}/{lib}/{'package.json' if lang == 'TypeScript' else 'BUILD.md'}"] = (
                json.dumps({"name": f"@{org}/{lib}", "version": "0.0.0", "private": True}) + "\n"
                if lang == "TypeScript" else f"Built with the services that import {lib}.\n")
        rules.append((f"/{shared_dir}/", [team_ref("platform"), team_ref(host)]))
        for t in tools:
            files[f"tools/{t}/README.md"] = f"# {t}\n\nDeveloper tooling; not deployed.\n"
            files[f"tools/{t}/run.sh"] = f"#!/bin/sh\nset -eu\necho running {t}\n"
        if tools:
            rules.append(("/tools/", [team_ref("platform")]))
        if tools and rng.random() < 0.5:
            # a tool's image is built and pushed for CI and laptops, never run as a service
            t = tools[0]
            files[f"tools/{t}/Dockerfile"] = "FROM alpine:3.20\nCOPY run.sh /run.sh\nENTRYPOINT [\"/run.sh\"]\n"
            regions["prod"].ecr.append(f"{repo}/{t}")
            files[".github/workflows/tools.yml"] = wf_tool_image(envs["prod"], f"{repo}/{t}", f"tools/{t}")
        if rng.random() < 0.5:  # database migrations are reviewed by the platform team in every service
            rules.append(("**/migrations/", [team_ref("platform")]))
        files["docs/architecture.md"] = f"# {repo}\n\nHow the {host} services talk to each other.\n"
        rules.append(("/docs/", [team_ref(host)] + [f"@{rng.choice(c.solo(host))}"]))
        rules.append(("/.github/workflows/", [team_ref("platform"), team_ref(host)]))
        files[rng.choice([".github/CODEOWNERS", "CODEOWNERS"])] = codeowners_file(
            rules, comment="Root rule for the host team; each folder rule overrides it")
        files.update(workspace_files(repo, lang, tool, root, units, libs, shared_dir))
        if rng.random() < 0.5:
            files["catalog-info.yaml"] = to_yaml({
                "apiVersion": "backstage.io/v1alpha1", "kind": "System",
                "metadata": {"name": repo, "description": f"{DOMAINS[host][0]} services",
                             "annotations": {"github.com/project-slug": c.full(repo)}},
                "spec": {"owner": f"group:{host}"}})
        files[".github/workflows/ci.yml"] = wf_monorepo_ci(tool)
        shared = [shared_dir]
        if mode == "per-service":
            for u in units:
                if u.kind == "ecs" and len(u.envs) == 1 and rng.random() < 0.5:
                    env = u.envs[0]
                    files[f"{u.folder}/task-definition.json"] = task_definition(
                        u.name, f"{env.account}.dkr.ecr.{REGION}.amazonaws.com/{u.image_repo}:latest")
                    files[f".github/workflows/deploy-{u.name}.yml"] = wf_ecs_action(
                        env.account, REGION, u.image_repo, u.ecs_prefix + u.name, env.cluster, name=f"deploy {u.name}",
                        folder=u.folder)
                else:
                    files[f".github/workflows/deploy-{u.name}.yml"] = wf_per_service(u, shared)
        elif mode == "matrix":
            ecs_actions = rng.random() < 0.5
            if ecs_actions:
                for u in units:
                    if u.kind == "ecs":
                        files[f"{u.folder}/task-definition.json"] = task_definition(
                            u.name, f"{u.envs[0].account}.dkr.ecr.{REGION}.amazonaws.com/{u.image_repo}:latest")
            files[".github/workflows/deploy.yml"] = wf_matrix(units, root, list(envs.values()), image_prefix,
                                                              ecs_actions=ecs_actions)
        else:
            files[".github/workflows/deploy.yml"] = wf_paths_filter(units, shared)
        names = ", ".join(f"`{u.name}`" for u in units)
        what = (f"The {DOMAINS[host][0]} monorepo: {names} under `{root}/`, shared code in `{shared_dir}/`"
                + (", tooling in `tools/`" if tools else "") + ".")
        c.repo(repo, host, description=f"{DOMAINS[host][0]} services (monorepo)", language=lang,
               files={"README.md": readme(camel(repo), what, badges=True, repo=c.full(repo)), **files},
               n_commits=rng.randint(18, 30), share=0.75)
        c.grant(host, repo, "admin")
        for g in guests:
            c.grant(g, repo, "push")
        c.grant("platform", repo, rng.choice(["maintain", "push"]))

    def serverless_yml(service: str, runtime: str, functions: tuple[str, ...]) -> str:
        return to_yaml({"service": service, "frameworkVersion": "3",
                        "provider": {"name": "aws", "runtime": runtime, "region": REGION,
                                     "stage": "${opt:stage, 'dev'}"},
                        "functions": {fn: {"handler": f"handler.{fn}"} for fn in functions}})

    def sam_template(runtime: str, functions: tuple[str, ...]) -> str:
        return to_yaml({"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
                        "Resources": {f"{fn.title()}Function": {"Type": "AWS::Serverless::Function", "Properties": {
                            "Handler": f"handler.{fn}", "Runtime": runtime, "CodeUri": "."}} for fn in functions}})

    def workspace_files(repo: str, lang: str, tool: str, root: str, units: list[Unit], libs: list[str],
                        shared_dir: str) -> dict[str, str]:
        """The build tool's workspace files at the root, naming every member folder."""
        members = [u.folder for u in units] + [f"{shared_dir}/{lib}" for lib in libs]
        if tool == "go":
            return {"go.work": "go 1.22\n\nuse (\n" + "".join(f"\t./{m}\n" for m in members) + ")\n"}
        if tool == "nx":
            return {"package.json": json.dumps({"name": repo, "private": True, "workspaces": [f"{root}/*", f"{shared_dir}/*"]},
                                               indent=2) + "\n",
                    "nx.json": json.dumps({"targetDefaults": {"build": {"dependsOn": ["^build"]}}}, indent=2) + "\n"}
        if tool == "gradle":
            return {"settings.gradle.kts": f"rootProject.name = \"{repo}\"\n"
                    + "".join(f"include(\":{m.replace('/', ':')}\")\n" for m in members)}
        return {"pyproject.toml": f"[project]\nname = \"{repo}\"\nversion = \"0\"\n\n[tool.uv.workspace]\n"
                f"members = [\"{root}/*\", \"{shared_dir}/*\"]\n"}

    # -------------------------------------------------------------------------------- single repositories
    def own(repo: str, team: str, catalog_type: str = "service") -> None:
        c.own(repo, team, p_codeowners=0.85, places=(".github/CODEOWNERS", "CODEOWNERS"),
              mode=rng.choice(["team", "team", "mixed"]), p_perm=0.7, p_catalog=0.2, force=1, catalog_type=catalog_type)

    def single_ecs(team: str) -> None:
        name = pick_name(c, DOMAINS[team][1] if team in DOMAINS else ["gateway", "scheduler", "audit"], SUFFIXES)
        env_names = ["prod"] + (["staging"] if rng.random() < 0.75 else [])
        res = deploy_infra(name, "ecs", team, env_names, image_repo=name, stack_prefix=rng.choice([None, ""]), functions=(),
                           runtime="", repo=name)
        lang = rng.choice(["Go", "Kotlin", "TypeScript", "Python"])
        what = f"{camel(name)}: {rng.choice(['HTTP API', 'queue consumer', 'gRPC service'])} for {name.split('-')[0]} data."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang), "Dockerfile": "FROM gcr.io/distroless/base\nCOPY app /app\n"}
        prod = envs["prod"]
        if rng.random() < 0.5:
            files["task-definition.json"] = task_definition(name, f"{prod.account}.dkr.ecr.{REGION}.amazonaws.com/{name}:latest")
            files[".github/workflows/deploy.yml"] = wf_ecs_action(prod.account, REGION, name, name, prod.cluster)
        else:
            files[".github/workflows/deploy.yml"] = wf_ecs_cli(
                [(f"deploy-{e}", envs[e].account, REGION, f"{envs[e].cluster}/{name}") for e in reversed(env_names)],
                name, (prod.account, REGION))
        c.repo(name, team, description=what, language=lang, files=files)
        own(name, team)
        c.service(name, team, name, res)

    def single_lambda(team: str) -> None:
        name = pick_name(c, DOMAINS[team][1], ["webhook", "exporter", "notifier", "importer", "sync"])
        runtime = rng.choice(["python3.12", "nodejs20.x"])
        res = deploy_infra(name, "lambda", team, ["prod"], image_repo="", stack_prefix=rng.choice([None, ""]), functions=("",),
                           runtime=runtime, repo=name)
        lang = "Python" if runtime.startswith("python") else "TypeScript"
        what = f"{camel(name)}: a Lambda function for {name.split('-')[0]} events."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 ".github/workflows/deploy.yml": wf_lambda_cli(envs["prod"].account, REGION, [f"{name}-prod"], runtime)}
        c.repo(name, team, description=what, language=lang, files=files)
        own(name, team)
        c.service(name, team, name, res)

    def library(team: str) -> None:
        name = c.unique(lambda: rng.choice([f"kestrel-{rng.choice(['go', 'kt', 'py'])}-commons", "freight-proto",
                                            f"{team}-client", "design-tokens", "shipment-schema", "kestrel-eslint-config"]))
        lang = {"go": "Go", "kt": "Kotlin", "py": "Python"}.get(name.split("-")[1], "TypeScript") \
            if name.startswith("kestrel-") and not name.endswith("config") else rng.choice(["TypeScript", "Go"])
        what = f"Shared library: {name.replace('-', ' ')}."
        files = {"README.md": readme(name, what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang), ".github/workflows/release.yml": wf_publish(lang)}
        c.repo(name, team, description=what, language=lang, files=files, topics=["library"])
        own(name, team, catalog_type="library")
        c.service(name, team, name, [])

    def web_app() -> None:
        name = c.unique(lambda: rng.choice(["shipper-portal", "tracking-web", "ops-console", "carrier-portal",
                                            "kestrel-website"]))
        what = f"{name.replace('-', ' ').title()}: the web front end (React)."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript"),
                 ".github/workflows/deploy.yml": wf_static(f"{name}-prod-site", envs["prod"].account, REGION)}
        c.repo(name, "web", description=what, language="TypeScript", files=files, topics=["web", "react"])
        own(name, "web", catalog_type="website")
        c.service(name, "web", name, [])

    # -------------------------------------------------------------------------------- the company
    m = 2 if n < 32 else 3 if n < 50 else 4
    sizes = [max(3, min(8, round(n * 0.45 / m) + rng.randint(-1, 1))) for _ in range(m)]
    modes = rng.sample(["per-service", "matrix", "paths-filter"], 3)
    for i, host in enumerate(rng.sample(products, m)):
        monorepo(host, sizes[i], modes[i % 3])
    plan = split(n - sum(sizes), [("ecs", 0.45), ("lambda", 0.22), ("lib", 0.15), ("web", 0.1), ("platform", 0.08)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)]
        if kind == "ecs":
            single_ecs(team)
        elif kind == "lambda":
            single_lambda(team)
        elif kind == "lib":
            library(rng.choice(products + ["platform", "web"]))
        elif kind == "web":
            web_app()
        else:
            single_ecs("platform")
    archived_and_forks(c, [("freight-monolith", rng.choice(products), "The Rails monolith the monorepos replaced."),
                           ("billing-services-old", "billing", "First try at a billing monorepo.")],
                       [("paths-filter", "TypeScript", "Conditionally run actions based on files modified")])
    return (f"Synthetic company, style monorepo, {len(c.services)} product services: {m} monorepos hosting several "
            "services each (per-path CODEOWNERS, guest services owned by another team, per-service, matrix and "
            "paths-filter deploy workflows, images named <repo>/<service>), shared libs/tools/docs folders, "
            "single-service repositories, libraries and web apps")
