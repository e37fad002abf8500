"""GitHub Actions workflows, built as dicts and written with ``to_yaml``: CI, the deploy workflows each
kind of service uses (ECS action or CLI, Lambda CLI, SAM, Serverless Framework, CDK, Copilot, static
sites), library releases and GitHub Pages.

Every builder returns the file's text. ``ENV_ORDER``: pipelines promote dev -> staging -> prod.
"""
from __future__ import annotations

from typing import Any

from .yaml_text import Flow, FlowMap, to_yaml

SHA = "${{ github.sha }}"
ENV_ORDER = {"dev": 0, "staging": 1, "prod": 2}
RUNNER = "ubuntu-latest"

CI_SETUP: dict[str, tuple[str, dict[str, Any], str]] = {  # language -> (setup action, its inputs, test command)
    "Python": ("actions/setup-python@v5", {"python-version": "3.12"}, "pip install -r requirements.txt && pytest -q"),
    "Go": ("actions/setup-go@v5", {"go-version": "1.22"}, "go test ./..."),
    "Kotlin": ("actions/setup-java@v4", {"distribution": "temurin"}, "./gradlew test"),
    "Java": ("actions/setup-java@v4", {"distribution": "temurin"}, "./gradlew test"),
    "Ruby": ("ruby/setup-ruby@v1", {"bundler-cache": True}, "bundle exec rspec"),
    "C#": ("actions/setup-dotnet@v4", {"dotnet-version": "8.0.x"}, "dotnet test"),
    "PHP": ("shivammathur/setup-php@v2", {"php-version": "8.3"}, "composer install && vendor/bin/phpunit"),
}
NODE_SETUP = ("actions/setup-node@v4", {"node-version": 20}, "npm ci && npm test")
PUBLISH = {"TypeScript": "npm ci && npm run build && npm publish", "Go": "goreleaser release --clean",
           "Python": "python -m build && twine upload dist/*", "Kotlin": "./gradlew publish",
           "Java": "./gradlew publish", "Ruby": "gem build *.gemspec && gem push *.gem"}


# ------------------------------------------------------------------------------------------ steps and jobs

def checkout() -> dict:
    return {"uses": "actions/checkout@v4"}


def setup_node() -> dict:
    return {"uses": "actions/setup-node@v4", "with": {"node-version": 20}}


def aws_creds(acct: str, region: str, role: str = "github-deploy") -> dict:
    return {"uses": "aws-actions/configure-aws-credentials@v4",
            "with": {"role-to-assume": f"arn:aws:iam::{acct}:role/{role}", "aws-region": region}}


def ecr_login() -> dict:
    return {"uses": "aws-actions/amazon-ecr-login@v2"}


def run(command: str, **options: str) -> dict:
    """A ``run:`` step; ``options`` with dashes spelled as underscores (``working_directory``)."""
    return {"run": command, **{k.replace("_", "-"): v for k, v in options.items()}}


def job(steps: list[dict], *, needs: str | None = None, environment: str | None = None) -> dict:
    out: dict[str, Any] = {"runs-on": RUNNER}
    if needs:
        out["needs"] = needs
    if environment:
        out["environment"] = environment
    out["steps"] = steps
    return out


def ecr_uri(acct: str, region: str, repo: str) -> str:
    return f"{acct}.dkr.ecr.{region}.amazonaws.com/{repo}"


def deploy_workflow(jobs: dict[str, dict], *, name: str = "deploy", paths: list[str] | None = None) -> str:
    """On pushes to main (only under ``paths`` when given) and by hand, with an OIDC token for AWS."""
    push: dict[str, Any] = {"branches": Flow(["main"])}
    if paths:
        push["paths"] = Flow(paths)
    return to_yaml({"name": name, "on": {"push": push, "workflow_dispatch": None},
                    "permissions": {"id-token": "write", "contents": "read"}, "jobs": jobs})


def _job_name(env: str, region: str) -> str:
    return f"deploy-{env}" + ("" if region == "us-east-1" else f"-{region}")


# ------------------------------------------------------------------------------------------ workflows

def ci_workflow(lang: str | None) -> str:
    action, inputs, command = CI_SETUP.get(lang or "", NODE_SETUP)
    return to_yaml({"name": "ci", "on": {"pull_request": None, "push": {"branches": Flow(["main"])}},
                    "jobs": {"test": job([checkout(), {"uses": action, "with": dict(inputs)}, run(command)])}})


def wf_ecs_action(acct: str, region: str, image_repo: str, service: str, cluster: str, *, name: str = "deploy",
                  folder: str | None = None) -> str:
    """Build, render the task definition, deploy with the ECS actions. ``folder``: the service's folder in a
    monorepo (build context, task definition, and the only paths that trigger the workflow)."""
    image = f"{ecr_uri(acct, region, image_repo)}:{SHA}"
    context = folder or "."
    steps = [checkout(), aws_creds(acct, region), ecr_login(),
             run(f"docker build -t {image} {context} && docker push {image}"),
             {"id": "render", "uses": "aws-actions/amazon-ecs-render-task-definition@v1",
              "with": {"task-definition": f"{folder}/task-definition.json" if folder else "task-definition.json",
                       "container-name": "app", "image": image}},
             {"uses": "aws-actions/amazon-ecs-deploy-task-definition@v1",
              "with": {"task-definition": "${{ steps.render.outputs.task-definition }}", "service": service,
                       "cluster": cluster, "wait-for-service-stability": True}}]
    return deploy_workflow({"deploy": job(steps)}, name=name, paths=[f"{folder}/**"] if folder else None)


def wf_ecs_cli(targets: list[tuple[str, str, str, str]], image_repo: str, ecr: tuple[str, str]) -> str:
    """targets: (job, account, region, "cluster/service"); ecr: (account, region) that holds the image."""
    image = f"{ecr_uri(ecr[0], ecr[1], image_repo)}:{SHA}"
    jobs = {"image": job([checkout(), aws_creds(ecr[0], ecr[1]), ecr_login(),
                          run(f"docker build -t {image} .\ndocker push {image}\n")])}
    for name, acct, region, target in targets:
        cluster, service = target.split("/")
        jobs[name] = {"needs": "image", **job([
            aws_creds(acct, region),
            run(f"aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment"),
        ], environment=name.replace("deploy-", ""))}
    return deploy_workflow(jobs)


def wf_lambda_cli(acct: str, region: str, functions: list[str], runtime: str) -> str:
    build = "npm ci && npm run build && cd dist && zip -r ../function.zip ." if runtime.startswith("node") \
        else "pip install -r requirements.txt -t build/ && cp -r src/* build/ && cd build && zip -r ../function.zip ."
    steps = [checkout(), aws_creds(acct, region), run(build)]
    steps += [run(f"aws lambda update-function-code --function-name {fn} --zip-file fileb://function.zip")
              for fn in functions]
    return deploy_workflow({"deploy": job(steps)})


def wf_sam(targets: list[tuple[str, str, str, str]]) -> str:
    """targets: (job, account, region, stack name)."""
    return deploy_workflow({name: job([
        checkout(), {"uses": "aws-actions/setup-sam@v2"}, aws_creds(acct, region), run("sam build --use-container"),
        run(f"sam deploy --stack-name {stack} --region {region} --no-confirm-changeset "
            "--no-fail-on-empty-changeset --capabilities CAPABILITY_IAM --resolve-s3"),
    ]) for name, acct, region, stack in targets})


def wf_serverless(targets: list[tuple[str, str, str]]) -> str:
    """targets: (stage, account, region); dev deploys on every push, prod after it."""
    jobs: dict[str, dict] = {}
    prev = None
    for stage, acct, region in sorted(targets, key=lambda t: ENV_ORDER[t[0]]):
        name = _job_name(stage, region)
        command = f"npx serverless deploy --stage {stage}" + ("" if region == "us-east-1" else f" --region {region}")
        jobs[name] = job([checkout(), setup_node(), run("npm ci"), aws_creds(acct, region), run(command)],
                         needs=prev, environment=stage)
        prev = name
    return deploy_workflow(jobs)


def wf_cdk(targets: list[tuple[str, str, str, str]], image: tuple[str, str, str] | None, matrix: bool = False) -> str:
    """targets: (env, account, region, stack); image: (ecr account, region, repo) built before deploying.

    ``matrix`` writes one job over a matrix, so the stack names only appear in the matrix rows.
    """
    jobs: dict[str, dict] = {}
    needs = None
    if image:
        uri = f"{ecr_uri(*image)}:{SHA}"
        jobs["image"] = job([checkout(), aws_creds(image[0], image[1], "ecr-push"), ecr_login(),
                             run(f"docker build -t {uri} . && docker push {uri}")])
        needs = "image"
    ordered = sorted(targets, key=lambda t: ENV_ORDER[t[0]])
    if matrix:
        rows = [FlowMap(env=e, account=a, region=r, stack=st) for e, a, r, st in ordered]
        deploy: dict[str, Any] = {"runs-on": RUNNER}
        if needs:
            deploy["needs"] = needs
        deploy["strategy"] = {"max-parallel": 1, "matrix": {"include": rows}}
        deploy["environment"] = "${{ matrix.env }}"
        deploy["steps"] = [
            checkout(), run("npm ci", working_directory="infra"),
            {"uses": "aws-actions/configure-aws-credentials@v4",
             "with": {"role-to-assume": "arn:aws:iam::${{ matrix.account }}:role/github-deploy",
                      "aws-region": "${{ matrix.region }}"}},
            run("npx cdk deploy ${{ matrix.stack }} --require-approval never", working_directory="infra"),
        ]
        jobs["deploy"] = deploy
        return deploy_workflow(jobs)
    for env, acct, region, stack in ordered:
        name = _job_name(env, region)
        jobs[name] = job([checkout(), setup_node(), run("npm ci", working_directory="infra"), aws_creds(acct, region),
                          run(f"npx cdk deploy {stack} --require-approval never", working_directory="infra")],
                         needs=needs, environment=env)
        needs = name
    return deploy_workflow(jobs)


def wf_cloudformation(targets: list[tuple[str, str, str, str]], template: str) -> str:
    """targets: (job, account, region, stack name), each deployed from ``template`` with the AWS CLI."""
    jobs: dict[str, dict] = {}
    prev = None
    for name, acct, region, stack in targets:
        jobs[name] = job([checkout(), aws_creds(acct, region), run("make package"),
                          run(f"aws cloudformation deploy --stack-name {stack} --template-file {template} "
                              f"--region {region} --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset")],
                         needs=prev, environment=name.replace("deploy-", ""))
        prev = name
    return deploy_workflow(jobs)


def wf_copilot(acct: str, region: str, service: str) -> str:
    return deploy_workflow({"deploy": job([
        checkout(), aws_creds(acct, region),
        run("curl -Lo copilot https://github.com/aws/copilot-cli/releases/latest/download/copilot-linux "
            "&& chmod +x copilot"),
        run(f"./copilot svc deploy --name {service} --env prod"),
    ])})


def wf_static(bucket: str, acct: str, region: str = "us-east-1") -> str:
    return deploy_workflow({"deploy": job([
        checkout(), setup_node(), run("npm ci && npm run build"), aws_creds(acct, region),
        run(f"aws s3 sync ./dist s3://{bucket} --delete"),
        run("aws cloudfront create-invalidation --distribution-id ${{ vars.CF_DISTRIBUTION }} --paths '/*'"),
    ])})


def wf_publish(lang: str) -> str:
    return to_yaml({"name": "release", "on": {"push": {"tags": Flow(["v*"])}},
                    "jobs": {"publish": job([checkout(), run(PUBLISH.get(lang, "make release"))])}})


def wf_pages() -> str:
    return to_yaml({"name": "pages", "on": {"push": {"branches": Flow(["main"])}},
                    "jobs": {"build": job([checkout(), {"uses": "actions/deploy-pages@v4"}])}})
