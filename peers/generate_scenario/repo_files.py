"""The files in generated repositories other than GitHub Actions workflows (``workflows``): README,
CODEOWNERS, catalog-info.yaml, serverless.yml, SAM templates and samconfig.toml, Copilot manifests,
CDK app files, ECS task definitions, Jenkinsfiles and Terraform modules.

YAML files are built as dicts and written with ``to_yaml``; JSON with ``json.dumps``; samconfig.toml
from a dict by ``toml_text``. Every builder returns the file's text.
"""
from __future__ import annotations

import json
import random
from typing import Any

from .vocab import camel
from .yaml_text import Tag, to_yaml


def readme(title: str, what: str, *, badges: bool, repo: str, sections: str = "") -> str:
    text = f"# {title}\n\n"
    if badges:
        text += (f"[![ci](https://github.com/{repo}/actions/workflows/ci.yml/badge.svg)]"
                 f"(https://github.com/{repo}/actions/workflows/ci.yml)\n"
                 f"![coverage](https://img.shields.io/badge/coverage-{random.Random(repo).randint(55, 95)}%25-green)\n\n")
    text += f"{what}\n\n"
    text += "## Development\n\n```\nmake dev\nmake test\n```\n"
    return text + sections


def codeowners_file(rules: list[tuple[str, list[str]]], *, comment: str | None = None) -> str:
    """CODEOWNERS: one ``pattern owner...`` line per rule, under an optional comment line."""
    text = f"# {comment}\n" if comment else ""
    return text + "".join(f"{pattern} {' '.join(owners)}\n" for pattern, owners in rules)


def catalog_info(name: str, owner: str, *, kind_type: str, description: str, system: str | None = None,
                 slug: str | None = None) -> str:
    """A Backstage ``Component`` entity."""
    metadata: dict[str, Any] = {"name": name, "description": description}
    if slug:
        metadata["annotations"] = {"github.com/project-slug": slug}
    spec = {"type": kind_type, "lifecycle": "production", "owner": owner}
    if system:
        spec["system"] = system
    return to_yaml({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": metadata, "spec": spec})


def task_definition(family: str, image: str) -> str:
    return json.dumps({"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                       "cpu": "512", "memory": "1024",
                       "containerDefinitions": [{"name": "app", "image": image, "essential": True,
                                                 "portMappings": [{"containerPort": 8080}]}]}, indent=2) + "\n"


# --------------------------------------------------------------------------------- Serverless Framework

HTTP_FUNCTIONS = ("api", "create", "get", "list", "webhook", "authorizer")


def serverless_yml(service: str, runtime: str, functions: list[str], *, handler: str, noun: str, http: list[str],
                   api_type: str, queue_fn: str | None, team_tag: str | None) -> str:
    """serverless.yml of a v3 app: ``handler`` names the module (``main`` is replaced by each function's
    name); ``http`` functions get an httpApi (or REST ``http``) event at ``/{noun}[/fn]``, ``cron`` a
    schedule, ``queue_fn`` the SQS queue the app declares (with its DLQ)."""
    provider: dict[str, Any] = {"name": "aws", "runtime": runtime, "region": "${opt:region, 'us-east-1'}",
                                "stage": "${opt:stage, 'dev'}", "memorySize": 512}
    if team_tag:
        provider["tags"] = {"team": team_tag}
    fns: dict[str, dict] = {}
    for fn in functions:
        spec: dict[str, Any] = {"handler": handler.replace("main", fn)}
        if fn in http:
            method = {"create": "post", "webhook": "post"}.get(fn, "get")
            kind = "httpApi" if api_type == "HTTP" else "http"
            spec["events"] = [{kind: {"path": f"/{noun}{'' if fn == 'api' else '/' + fn}", "method": method}}]
        elif fn == "cron":
            spec["events"] = [{"schedule": "rate(1 hour)"}]
        elif fn == queue_fn:
            spec["events"] = [{"sqs": {"arn": Tag("!GetAtt", "JobsQueue.Arn"), "batchSize": 10}}]
        fns[fn] = spec
    doc: dict[str, Any] = {"service": service, "frameworkVersion": "3", "provider": provider, "functions": fns}
    if queue_fn:
        doc["resources"] = {"Resources": {
            "JobsQueue": {"Type": "AWS::SQS::Queue", "Properties": {
                "QueueName": "${self:service}-${sls:stage}-jobs",
                "RedrivePolicy": {"deadLetterTargetArn": Tag("!GetAtt", "JobsDlq.Arn"), "maxReceiveCount": 5}}},
            "JobsDlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "${self:service}-${sls:stage}-jobs-dlq"}},
        }}
    return to_yaml(doc)


def serverless_v2_stub(service: str) -> str:
    """The serverless.yml an abandoned first version still holds."""
    return to_yaml({"service": service, "frameworkVersion": "2", "provider": {"name": "aws", "runtime": "nodejs12.x"}})


# --------------------------------------------------------------------------------- SAM

def sam_template(name: str, runtime: str, logical: list[str], *, explicit: bool, with_queue: bool) -> str:
    """A SAM app with a ``Stage`` parameter: one function per logical id (``{id}Function``) and maybe an
    ``IngestQueue``; ``explicit`` names them (``{name}-{id}-${Stage}``), else CloudFormation generates names."""
    resources: dict[str, Any] = {}
    for lid in logical:
        props: dict[str, Any] = {}
        if explicit:
            props["FunctionName"] = Tag("!Sub", f"{name}-{lid.lower()}-${{Stage}}")
        props.update({"CodeUri": "src/", "Handler": f"app.{lid.lower()}_handler"})
        resources[f"{lid}Function"] = {"Type": "AWS::Serverless::Function", "Properties": props}
    if with_queue:
        resources["IngestQueue"] = {"Type": "AWS::SQS::Queue"}
        if explicit:
            resources["IngestQueue"]["Properties"] = {"QueueName": Tag("!Sub", f"{name}-${{Stage}}-queue")}
    return to_yaml({"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
                    "Description": f"{name} (SAM)", "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
                    "Globals": {"Function": {"Runtime": runtime, "Timeout": 30}}, "Resources": resources})


def sam_functions_template(functions: list[str]) -> str:
    """A minimal SAM template naming its functions; each one's handler is ``app.{last word of its name}``."""
    resources = {camel(fn.split("-")[-1]): {"Type": "AWS::Serverless::Function",
                                            "Properties": {"FunctionName": fn, "Handler": f"app.{fn.split('-')[-1]}"}}
                 for fn in functions}
    return to_yaml({"Transform": "AWS::Serverless-2016-10-31", "Resources": resources})


def toml_text(top: dict[str, Any], tables: dict[str, dict[str, Any]]) -> str:
    """A flat TOML document: ``top`` keys, then one ``[table]`` per entry (strings, numbers and booleans)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v) if isinstance(v, str) else repr(v)

    text = "".join(f"{k} = {value(v)}\n" for k, v in top.items())
    for table, items in tables.items():
        text += f"\n[{table}]\n" + "".join(f"{k} = {value(v)}\n" for k, v in items.items())
    return text


def samconfig(stacks: list[tuple[str, str]], region: str = "us-east-1") -> str:
    """samconfig.toml with one ``[{stage}.deploy.parameters]`` table per (stage, stack name)."""
    return toml_text({"version": 0.1}, {
        f"{stage}.deploy.parameters": {"stack_name": stack, "region": region, "capabilities": "CAPABILITY_IAM",
                                       "parameter_overrides": f"Stage={stage}"}
        for stage, stack in stacks})


# --------------------------------------------------------------------------------- Copilot, CDK

def copilot_workspace(application: str) -> str:
    return to_yaml({"application": application})


def copilot_manifest(service: str, path: str, count: int) -> str:
    """A Load Balanced Web Service behind ``path``."""
    return to_yaml({"name": service, "type": "Load Balanced Web Service",
                    "http": {"path": path, "healthcheck": "/healthz"},
                    "image": {"build": "Dockerfile", "port": 8080}, "cpu": 512, "memory": 1024, "count": count})


def cdk_app_files(name: str, stacks: list[tuple[str, str, str, str]], construct: str) -> dict[str, str]:
    """infra/cdk.json and the app entry file instantiating ``construct`` once per (env, account, region, stack)."""
    app = ("#!/usr/bin/env node\nimport * as cdk from 'aws-cdk-lib';\n"
           f"import {{ {construct} }} from '../lib/{name}-stack';\n\nconst app = new cdk.App();\n")
    for env, acct, region, stack in stacks:
        app += (f"new {construct}(app, '{stack}', {{ env: {{ account: '{acct}', region: '{region}' }}, "
                f"stage: '{env}' }});\n")
    return {"infra/cdk.json": json.dumps({"app": "npx ts-node --prefer-ts-exts bin/app.ts"}) + "\n",
            "infra/bin/app.ts": app}


# --------------------------------------------------------------------------------- legacy tooling

def jenkinsfile(acct: str, cluster: str, service: str, region: str = "us-east-1", image_repo: str | None = None) -> str:
    """A declarative pipeline that builds, pushes to ECR and redeploys an ECS service from master."""
    image = f"{acct}.dkr.ecr.{region}.amazonaws.com/{image_repo or service}:$GIT_COMMIT"
    return ("pipeline {\n  agent any\n  stages {\n    stage('Build') { steps { sh 'make build' } }\n"
            "    stage('Deploy') {\n      when { branch 'master' }\n      steps {\n"
            f"        sh 'docker build -t {image} .'\n"
            f"        sh 'docker push {image}'\n"
            f"        sh 'aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment"
            + ("" if region == "us-east-1" else f" --region {region}") + "'\n"
            "      }\n    }\n  }\n}\n")


def terraform_ecs_service(org: str, service: str, cluster: str) -> str:
    """terraform/main.tf using the org's shared ``ecs-service`` module."""
    return (f"module \"service\" {{\n  source = \"git::https://github.com/{org}/"
            f"terraform-modules//ecs-service?ref=v3.2.0\"\n  name   = \"{service}\"\n"
            f"  cluster = \"{cluster}\"\n}}\n")
