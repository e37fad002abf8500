"""The deploy workflows of a monorepo, in the three shapes teams use: one workflow per service filtered
by ``on.push.paths``, one workflow whose job runs over a ``strategy.matrix`` of services, and one
workflow whose ``changes`` job (dorny/paths-filter) gates a job per service through its outputs.

A ``Unit`` is what a service deploys: its folder, its image repository (ECS) or function prefix (Lambda)
and the environments it runs in. A Serverless Framework service (kind ``serverless``) deploys from its
folder's serverless.yml, whose ``service:`` may differ from the folder's name: the job ``cd``s into the
folder or sets ``working-directory``. A SAM app (kind ``sam``) deploys its folder's template.yaml, by
``--template-file`` and ``--stack-name`` or by its samconfig.toml's config env. Every builder returns the file's text.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .workflows import SHA, RUNNER, aws_creds, checkout, deploy_workflow, ecr_login, ecr_uri, job, run
from .yaml_text import Flow, to_yaml


class Env(NamedTuple):
    name: str      # prod | staging
    account: str
    region: str
    cluster: str


class Unit(NamedTuple):
    name: str            # the service (its folder's name, its ECS service, its functions' prefix)
    folder: str          # services/<name> or apps/<name>
    kind: str            # ecs | lambda | serverless | sam
    image_repo: str      # ECR repository (ecs) or "" (lambda)
    envs: tuple[Env, ...]
    functions: tuple[str, ...] = ()  # lambda: the function name suffixes; "" for <name>-<env>
    ecs_prefix: str = ""             # ecs: what precedes the name in the ECS service's ("<repo>-" in a shared cluster)
    sls_service: str = ""            # serverless: serverless.yml's ``service:``, sam: the app; the stack is <it>-<env>
    cd: bool = False                 # serverless: ``cd <folder> && ...``, sam: ``--template-file``, not ``working-directory``


def sls_deploy(folder: str, stage: str, cd: bool) -> dict:
    """``serverless deploy`` run in the service's folder, by ``cd`` or by ``working-directory``."""
    if cd:
        return run(f"cd {folder} && npm ci && npx serverless deploy --stage {stage}")
    return run(f"npm ci\nnpx sls deploy --stage {stage}\n", working_directory=folder)


def function_names(unit: Unit, env: str) -> list[str]:
    return [f"{unit.name}-{fn}-{env}" if fn else f"{unit.name}-{env}" for fn in unit.functions]


def _build_image(unit_folder: str, image: str) -> dict:
    return run(f"docker build -t {image} -f {unit_folder}/Dockerfile .\ndocker push {image}\n")


def sam_deploy(folder: str, app: str, stage: str, by_template: bool) -> dict:
    """``sam deploy`` of the folder's template: named on the command line, or by the folder's samconfig env."""
    if by_template:
        return run(f"sam build --template-file {folder}/template.yaml\n"
                   f"sam deploy --template-file {folder}/template.yaml --stack-name {app}-{stage} --resolve-s3 "
                   "--capabilities CAPABILITY_IAM --no-confirm-changeset --no-fail-on-empty-changeset\n")
    return run(f"sam build\nsam deploy --config-env {stage} --no-confirm-changeset --no-fail-on-empty-changeset\n",
               working_directory=folder)


def _ecs_steps(unit: Unit, env: Env, first: bool) -> list[dict]:
    image = f"{ecr_uri(env.account, env.region, unit.image_repo)}:{SHA}"
    steps = [checkout(), aws_creds(env.account, env.region), ecr_login(), _build_image(unit.folder, image)] \
        if first else [aws_creds(env.account, env.region)]
    steps.append(run(f"aws ecs update-service --cluster {env.cluster} --service {unit.ecs_prefix}{unit.name} "
                     "--force-new-deployment"))
    return steps


def _lambda_steps(unit: Unit, env: Env) -> list[dict]:
    steps = [checkout(), aws_creds(env.account, env.region),
             run("make package", working_directory=unit.folder)]
    steps += [run(f"aws lambda update-function-code --function-name {fn} --zip-file fileb://{unit.folder}/dist/lambda.zip")
              for fn in function_names(unit, env.name)]
    return steps


def _unit_jobs(unit: Unit, prefix: str = "") -> dict[str, dict]:
    """staging first, prod after it; an ECS image is built once, by the first job."""
    jobs: dict[str, dict] = {}
    prev = None
    for i, env in enumerate(sorted(unit.envs, key=lambda e: e.name != "staging")):
        steps = _ecs_steps(unit, env, i == 0) if unit.kind == "ecs" else \
            [checkout(), aws_creds(env.account, env.region), sls_deploy(unit.folder, env.name, unit.cd)] \
            if unit.kind == "serverless" else \
            [checkout(), aws_creds(env.account, env.region), sam_deploy(unit.folder, unit.sls_service, env.name, unit.cd)] \
            if unit.kind == "sam" else _lambda_steps(unit, env)
        name = f"{prefix}{env.name}"
        jobs[name] = job(steps, needs=prev, environment=env.name)
        prev = name
    return jobs


def wf_per_service(unit: Unit, shared: list[str]) -> str:
    """One workflow for one service, run when its folder (or a shared library it builds with) changes."""
    return deploy_workflow(_unit_jobs(unit), name=f"deploy {unit.name}",
                           paths=[f"{unit.folder}/**", *[f"{s}/**" for s in shared]])


def wf_matrix(units: list[Unit], root: str, envs: list[Env], image_prefix: str, *, ecs_actions: bool = False) -> str:
    """One workflow: per environment, a job over a matrix of the ECS services and one over the functions.
    ``image_prefix``: the ECR namespace (``<repo>/``) or "" when images are named after the service;
    ``ecs_actions``: deploy with the ECS actions and each folder's task definition, not the CLI."""
    jobs: dict[str, dict] = {}
    ecs = sorted(u.name for u in units if u.kind == "ecs")
    ecs_prefix = next((u.ecs_prefix for u in units if u.kind == "ecs"), "")
    lam = sorted(u.name for u in units if u.kind == "lambda")
    prev: list[str] = []
    for env in sorted(envs, key=lambda e: e.name != "staging"):
        here = {u.name for u in units if env in u.envs}
        current = []
        if [s for s in ecs if s in here]:
            image = f"{ecr_uri(env.account, env.region, image_prefix + '${{ matrix.service }}')}:{SHA}"
            body: dict[str, Any] = {"runs-on": RUNNER}
            if prev:
                body["needs"] = Flow(prev)
            body["environment"] = env.name
            body["strategy"] = {"fail-fast": False, "matrix": {"service": Flow([s for s in ecs if s in here])}}
            body["steps"] = [checkout(), aws_creds(env.account, env.region), ecr_login(),
                             run(f"docker build -t {image} -f {root}/${{{{ matrix.service }}}}/Dockerfile .\n"
                                 f"docker push {image}\n"),
                             run(f"aws ecs update-service --cluster {env.cluster} --service {ecs_prefix}${{{{ matrix.service }}}} "
                                 "--force-new-deployment")]
            if ecs_actions:
                body["steps"][-1:] = [
                    {"id": "render", "uses": "aws-actions/amazon-ecs-render-task-definition@v1",
                     "with": {"task-definition": f"{root}/${{{{ matrix.service }}}}/task-definition.json",
                              "container-name": "app", "image": image}},
                    {"uses": "aws-actions/amazon-ecs-deploy-task-definition@v1",
                     "with": {"task-definition": "${{ steps.render.outputs.task-definition }}",
                              "service": ecs_prefix + "${{ matrix.service }}", "cluster": env.cluster,
                              "wait-for-service-stability": True}}]
            jobs[f"services-{env.name}"] = body
            current.append(f"services-{env.name}")
        if [s for s in lam if s in here]:
            body = {"runs-on": RUNNER}
            if prev:
                body["needs"] = Flow(prev)
            body["environment"] = env.name
            body["strategy"] = {"matrix": {"service": Flow([s for s in lam if s in here])}}
            body["steps"] = [checkout(), aws_creds(env.account, env.region),
                             run("make package", working_directory=f"{root}/${{{{ matrix.service }}}}"),
                             run(f"aws lambda update-function-code --function-name ${{{{ matrix.service }}}}-{env.name} "
                                 f"--zip-file fileb://{root}/${{{{ matrix.service }}}}/dist/lambda.zip")]
            jobs[f"functions-{env.name}"] = body
            current.append(f"functions-{env.name}")
        sls = sorted(u.folder.rsplit("/", 1)[1] for u in units if u.kind == "serverless" and u.name in here)
        if sls:  # a matrix over the Serverless folders, each deployed from its own folder
            body = {"runs-on": RUNNER}
            if prev:
                body["needs"] = Flow(prev)
            body["environment"] = env.name
            body["strategy"] = {"matrix": {"folder": Flow(sls)}}
            body["steps"] = [checkout(), aws_creds(env.account, env.region),
                             sls_deploy(f"{root}/${{{{ matrix.folder }}}}", env.name, False)]
            jobs[f"serverless-{env.name}"] = body
            current.append(f"serverless-{env.name}")
        sam = sorted(u.folder.rsplit("/", 1)[1] for u in units if u.kind == "sam" and u.name in here)
        if sam:  # SAM folders: each folder's samconfig names its stack per environment
            body = {"runs-on": RUNNER}
            if prev:
                body["needs"] = Flow(prev)
            body["environment"] = env.name
            body["strategy"] = {"matrix": {"folder": Flow(sam)}}
            body["steps"] = [checkout(), aws_creds(env.account, env.region),
                             sam_deploy(f"{root}/${{{{ matrix.folder }}}}", "", env.name, False)]
            jobs[f"sam-{env.name}"] = body
            current.append(f"sam-{env.name}")
        prev = current
    return deploy_workflow(jobs, name="deploy services", paths=[f"{root}/**"])


def wf_paths_filter(units: list[Unit], shared: list[str]) -> str:
    """A ``changes`` job tells which service folders changed; each service's jobs run only if its did."""
    filters = "".join(f"{u.name}:\n  - '{u.folder}/**'\n" + "".join(f"  - '{s}/**'\n" for s in shared)
                      for u in units)
    changes = {"runs-on": RUNNER,
               "outputs": {u.name: f"${{{{ steps.filter.outputs.{u.name} }}}}" for u in units},
               "steps": [checkout(), {"id": "filter", "uses": "dorny/paths-filter@v3", "with": {"filters": filters}}]}
    jobs: dict[str, dict] = {"changes": changes}
    for u in units:
        for name, body in _unit_jobs(u, prefix=f"{u.name}-").items():
            gated: dict[str, Any] = {"if": f"needs.changes.outputs.{u.name} == 'true'"}
            needs = ["changes"] + ([body["needs"]] if body.get("needs") else [])
            jobs[name] = {"needs": Flow(needs), **gated, **{k: v for k, v in body.items() if k != "needs"}}
    return deploy_workflow(jobs, name="deploy")


def wf_monorepo_ci(tool: str) -> str:
    """CI over the whole workspace (the build tool knows what changed)."""
    command = {"nx": "npx nx affected -t lint test build", "turbo": "npx turbo run test --filter=...[origin/main]",
               "go": "go work sync && go test ./...", "gradle": "./gradlew build", "uv": "uv sync && uv run pytest -q"}[tool]
    return to_yaml({"name": "ci", "on": {"pull_request": None, "push": {"branches": Flow(["main"])}},
                    "jobs": {"test": job([checkout(), run(command)])}})


def wf_tool_image(env: Env, image_repo: str, folder: str) -> str:
    """Builds and pushes a tool's image (used by CI and developers; nothing runs it as a service)."""
    image = f"{ecr_uri(env.account, env.region, image_repo)}:{SHA}"
    steps = [checkout(), aws_creds(env.account, env.region), ecr_login(),
             run(f"docker build -t {image} {folder}\ndocker push {image}\n")]
    return deploy_workflow({"image": job(steps)}, name="tool images", paths=[f"{folder}/**"])
