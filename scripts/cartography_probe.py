"""Does a client we did not write accept our peers? Run Cartography's GitHub and AWS fetch functions against them.

    .venv/bin/python scripts/cartography_probe.py [--scenario scenarios/sample-company.yaml]

Starts moto (``peers.moto_server``) and the GitHub emulator on free ports, loads the scenario into them
(``peers.aws_loader``), then runs Cartography's intel modules' ``get_*`` functions (the fetch half of a sync,
never its Neo4j loading) in Cartography's own venv and prints, per call, whether it works (with how many
items it returned) or fails (with the reason): a table, then one JSON line last.

Cartography is not a dependency of Roster: on first use this installs the pinned version from PyPI into
``.run/cartography-venv`` and runs the probe there as a subprocess (this same file, ``--inner``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CARTOGRAPHY_VERSION = "0.143.0"
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".run" / "cartography-venv"
TOKEN = "roster-probe-token"
EXTERNAL_ID = "roster-probe-external-id"


# -- outer: peers, scenario, venv ------------------------------------------------------------------
def cartography_python() -> Path:
    """The venv's python, with Cartography ``CARTOGRAPHY_VERSION`` installed (created on first use)."""
    python = VENV / "bin" / "python"
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('cartography'))"]
    if python.exists() and subprocess.run(check, capture_output=True, text=True).stdout.strip() == CARTOGRAPHY_VERSION:
        return python
    print(f"installing cartography=={CARTOGRAPHY_VERSION} into {VENV.relative_to(ROOT)} (first use; a few minutes)",
          file=sys.stderr, flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"cartography=={CARTOGRAPHY_VERSION}"], check=True)
    return python


def start_peer(args: list[str], log_name: str) -> tuple[subprocess.Popen[str], str]:
    """``python -m <args> --port 0``; returns the process and the URL it prints (first line holding http://)."""
    log = open(ROOT / ".run" / "log" / f"cartography-probe-{log_name}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", *args, "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=log, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line and proc.poll() is not None:
            break
        if "http://" in line:
            return proc, "http://" + line.split("http://", 1)[1].split()[0]
    proc.kill()
    raise RuntimeError(f"{args[0]} did not start; see .run/log/cartography-probe-{log_name}.log")


def stop_peer(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def outer(scenario_path: Path) -> int:
    sys.path.insert(0, str(ROOT))
    from peers.aws_loader import load_aws
    from peers.scenario import load_scenario

    (ROOT / ".run" / "log").mkdir(parents=True, exist_ok=True)
    python = cartography_python()
    scenario = load_scenario(scenario_path)
    procs = []
    try:
        moto, moto_url = start_peer(["peers.moto_server"], "moto")
        procs.append(moto)
        github, github_url = start_peer(["peers.github_emulator", "--scenario", str(scenario_path), "--token", TOKEN],
                                        "github")
        procs.append(github)
        report = load_aws(scenario, moto_url, external_id=EXTERNAL_ID)
        account = scenario["aws"]["accounts"][0]
        org = scenario["github"]["orgs"][0]
        workflow_repo = next((r for r in org["repos"] if any(p.startswith(".github/workflows/") for p in r["files"])),
                             org["repos"][0])
        config = {
            "github_api_url": f"{github_url}/api/graphql", "token": TOKEN, "org": org["login"],
            "repo": workflow_repo["name"],
            "workflow": next((p for p in workflow_repo["files"] if p.startswith(".github/workflows/")), None),
            "aws_endpoint": moto_url, "role_arn": report.role_arn(account["id"]), "external_id": EXTERNAL_ID,
            "region": account["regions"][0]["name"],
        }
        inner_run = subprocess.run([str(python), str(Path(__file__).resolve()), "--inner"], input=json.dumps(config),
                                   capture_output=True, text=True, cwd=ROOT, timeout=1800)
    finally:
        for proc in procs:
            stop_peer(proc)
    lines = [line for line in inner_run.stdout.splitlines() if line.startswith("{")]
    if inner_run.returncode or not lines:
        print(inner_run.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"the probe failed in Cartography's venv (exit {inner_run.returncode})")
    results = json.loads(lines[-1])["calls"]
    width = max(len(r["call"]) for r in results)
    print(f"Cartography {CARTOGRAPHY_VERSION} fetch functions against Roster's peers ({scenario_path.name})\n")
    print(f"{'call':<{width}}  {'result':<6}  {'items':>5}  {'secs':>5}  reason")
    for r in results:
        items = "" if r["items"] is None else r["items"]
        print(f"{r['call']:<{width}}  {'works' if r['ok'] else 'FAILS':<6}  {items:>5}  {r['seconds']:>5.2f}  "
              f"{r['reason']}")
    works = sum(r["ok"] for r in results)
    print(f"\n{works}/{len(results)} calls work")
    print(json.dumps({"probe": "cartography", "cartography": CARTOGRAPHY_VERSION, "scenario": scenario_path.name,
                      "works": works, "fails": len(results) - works, "calls": results}))
    return 0 if works == len(results) else 1


# -- inner: runs in Cartography's venv --------------------------------------------------------------
def inner() -> int:
    import logging
    from datetime import datetime, timezone

    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    cfg = json.loads(sys.stdin.read())
    os.environ["AWS_ENDPOINT_URL"] = cfg["aws_endpoint"]  # every boto3 client Cartography makes goes to moto
    import boto3

    results: list[dict[str, Any]] = []

    def call(name: str, fn: Any, *args: Any, reason_if_empty: str = "") -> Any:
        started = time.monotonic()
        try:
            value = fn(*args)
        except Exception as exc:  # the reason is the point of the probe
            results.append({"call": name, "ok": False, "items": None, "seconds": round(time.monotonic() - started, 2),
                            "reason": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"})
            return None
        items = len(value) if isinstance(value, (list, dict, tuple)) else None
        if isinstance(value, tuple) and value and isinstance(value[0], (list, dict)):
            items = len(value[0])
        if hasattr(value, "nodes"):
            items = len(value.nodes)
        results.append({"call": name, "ok": True, "items": items, "seconds": round(time.monotonic() - started, 2),
                        "reason": reason_if_empty if items == 0 else ""})
        return value

    # GitHub: cartography.intel.github.*, the GraphQL URL; REST is derived from it (<base>/api/v3)
    from cartography.intel.github import actions, commits, organizations, repos, teams, users

    token, api_url, org = cfg["token"], cfg["github_api_url"], cfg["org"]
    call("github.users.get_users", users.get_users, token, api_url, org)
    call("github.users.get_enterprise_owners", users.get_enterprise_owners, token, api_url, org)
    call("github.users.get_organization", users.get_organization, token, api_url, org)
    call("github.organizations.get", organizations.get, token, api_url, org)
    repo_list = call("github.repos.get", repos.get, token, api_url, org) or []
    call("github.repos.get_repo_privileged_details_by_url", repos.get_repo_privileged_details_by_url, token, api_url,
         org)
    call("github.repos.get_repo_security_and_analysis_by_url", repos.get_repo_security_and_analysis_by_url, token,
         api_url, org)
    team_data = call("github.teams.get_teams", teams.get_teams, org, api_url, token)
    if team_data:
        nodes = team_data[0].nodes
        call("github.teams._get_team_repos_for_multiple_teams", teams._get_team_repos_for_multiple_teams, nodes, org,
             api_url, token)
        call("github.teams._get_team_users_for_multiple_teams", teams._get_team_users_for_multiple_teams, nodes, org,
             api_url, token)
    call("github.commits.get_repo_commits", commits.get_repo_commits, token, api_url, org, cfg["repo"],
         datetime(2000, 1, 1, tzinfo=timezone.utc))
    call("github.actions.get_repo_workflows", actions.get_repo_workflows, token, api_url, org, cfg["repo"])
    if cfg["workflow"]:
        call("github.actions.get_workflow_content", actions.get_workflow_content, token, api_url, org, cfg["repo"],
             cfg["workflow"])
    call("github.actions.get_org_secrets", actions.get_org_secrets, token, api_url, org)
    call("github.actions.get_repo_environments", actions.get_repo_environments, token, api_url, org, cfg["repo"])

    # AWS: cartography.intel.aws.*, with the credentials Roster's scanner gets (RosterDiscovery + ExternalId)
    from cartography.intel.aws import (apigateway, apigatewayv2, cloudformation, cloudwatch, ecr, ecs,
                                       lambda_function, rds, sqs)

    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="probe", aws_secret_access_key="probe")
    creds = sts.assume_role(RoleArn=cfg["role_arn"], RoleSessionName="cartography-probe",
                            ExternalId=cfg["external_id"])["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    region = cfg["region"]
    functions = call("aws.lambda.get_lambda_data", lambda_function.get_lambda_data, session, region) or []
    call("aws.lambda.get_lambda_permissions", lambda_function.get_lambda_permissions, functions, session, region)
    call("aws.lambda.get_lambda_image_uris", lambda_function.get_lambda_image_uris, session, functions, region,
         reason_if_empty="zip-packaged functions have no image")
    if functions:
        client = session.client("lambda", region_name=region)
        call("aws.lambda.get_function_aliases", lambda_function.get_function_aliases, functions[0], client,
             reason_if_empty="the scenario declares no aliases")
        call("aws.lambda.get_event_source_mappings (all functions)",
             lambda fs: [m for f in fs for m in lambda_function.get_event_source_mappings(f, client)], functions)
    cluster_arns = call("aws.ecs.get_ecs_cluster_arns", ecs.get_ecs_cluster_arns, session, region) or []
    call("aws.ecs.get_ecs_clusters", ecs.get_ecs_clusters, session, region, cluster_arns)
    if cluster_arns:
        cluster = cluster_arns[0]
        call("aws.ecs.get_ecs_container_instances", ecs.get_ecs_container_instances, cluster, session, region)
        call("aws.ecs.get_ecs_services", ecs.get_ecs_services, cluster, session, region)
        tasks = call("aws.ecs.get_ecs_tasks", ecs.get_ecs_tasks, cluster, session, region) or []
        call("aws.ecs.get_ecs_task_definitions", ecs.get_ecs_task_definitions, session, region, tasks)
    rest_apis = call("aws.apigateway.get_apigateway_rest_apis", apigateway.get_apigateway_rest_apis, session,
                     region) or []
    call("aws.apigateway.get_rest_api_deployments", apigateway.get_rest_api_deployments, session,
         apigateway.get_rest_api_ids(rest_apis), region)
    call("aws.apigateway.get_rest_api_details", apigateway.get_rest_api_details, session, rest_apis, region)
    if rest_apis:
        client = session.client("apigateway", region_name=region)
        api = next((a for a in rest_apis if client.get_stages(restApiId=a["id"])["item"]), rest_apis[0])
        stages = call("aws.apigateway.get_rest_api_stages", apigateway.get_rest_api_stages, api, client) or []
        call("aws.apigateway.get_rest_api_client_certificate", apigateway.get_rest_api_client_certificate, stages,
             client)
        call("aws.apigateway.get_rest_api_resources_methods_integrations",
             apigateway.get_rest_api_resources_methods_integrations, api, client)
        call("aws.apigateway.get_rest_api_policy", apigateway.get_rest_api_policy, api, client)
    call("aws.apigatewayv2.get_apigatewayv2_apis", apigatewayv2.get_apigatewayv2_apis, session, region)
    repositories = call("aws.ecr.get_ecr_repositories", ecr.get_ecr_repositories, session, region) or []
    if repositories:
        call("aws.ecr.get_ecr_repository_images", ecr.get_ecr_repository_images, session, region,
             repositories[0]["repositoryName"])
    call("aws.rds.get_rds_instance_data", rds.get_rds_instance_data, session, region)
    call("aws.rds.get_rds_cluster_data", rds.get_rds_cluster_data, session, region,
         reason_if_empty="the scenario declares no Aurora clusters")
    call("aws.rds.get_rds_snapshot_data", rds.get_rds_snapshot_data, session, region,
         reason_if_empty="the scenario declares no snapshots")
    call("aws.rds.get_rds_event_subscription_data", rds.get_rds_event_subscription_data, session, region,
         reason_if_empty="the scenario declares no event subscriptions")
    queue_urls = call("aws.sqs.get_sqs_queue_list", sqs.get_sqs_queue_list, session, region) or []
    call("aws.sqs.get_sqs_queue_attributes", sqs.get_sqs_queue_attributes, session, region, queue_urls)
    call("aws.cloudformation.get_cloudformation_stacks", cloudformation.get_cloudformation_stacks, session, region)
    call("aws.cloudwatch.get_cloudwatch_metric_alarms", cloudwatch.get_cloudwatch_metric_alarms, session, region)
    print(json.dumps({"calls": results}, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "sample-company.yaml")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return inner() if args.inner else outer(args.scenario)


if __name__ == "__main__":
    raise SystemExit(main())
