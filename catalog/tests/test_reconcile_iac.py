"""Terraform-made companies: what an infrastructure repository declares together is one service, the
folder's CODEOWNERS owner is evidence for it, and the infrastructure repository stays out of the catalog."""
from catalog.reconcile.iac import set_of
from catalog.reconcile.types import FactView
from catalog.tests.test_reconcile import by_name, company, kinds, repo, run
from ownership.signals import infer_drafts

SERVICE_TF = """locals {
  service = "claims-intake"
}

variable "db_identifier" {
  default = "clmintake-pg"
}

resource "aws_ecs_service" "api" {
  name    = "${local.service}-api"
  cluster = "shared-prod"
}

resource "aws_ecs_service" "worker" {
  name    = "${local.service}-worker"
  cluster = "shared-prod"
}

resource "aws_db_instance" "main" {
  identifier = var.db_identifier
}

resource "aws_sqs_queue" "jobs" {
  name = "intake-jobs"
}
"""
ENV_TF = """module "quote_engine" {
  source = "../modules/ecs-service"
  name   = "quote-engine"
}
"""
MODULE_TF = """variable "name" {}

resource "aws_ecs_service" "this" {
  name    = var.name
  cluster = "shared-prod"
}

resource "aws_sqs_queue" "events" {
  name = "${var.name}-evts"
}
"""
TEAMS = [{"slug": "claims", "name": "Claims", "members": ["ana"]}, {"slug": "quotes", "name": "Quotes", "members": ["bo"]},
         {"slug": "platform", "name": "Cloud Platform", "members": ["cy"]}]
MEMBERS = [{"login": "ana", "email": "ana@acme.test"}, {"login": "bo", "email": "bo@acme.test"},
           {"login": "cy", "email": "cy@acme.test"}]


def aws(tags=None):
    svc = lambda name: {"name": name, "tags": dict(tags or {})}  # noqa: E731
    return {"ecs_clusters": [{"name": "shared-prod", "services": [svc("claims-intake-api"), svc("claims-intake-worker"),
                                                                 svc("quote-engine")]}],
            "rds_instances": [{"id": "clmintake-pg"}], "sqs_queues": [{"name": "intake-jobs"}, {"name": "quote-engine-evts"}]}


def live_repo(codeowners=True):
    files = {"services/claims-intake/main.tf": SERVICE_TF, "environments/prod.tf": ENV_TF,
             "modules/ecs-service/main.tf": MODULE_TF}
    if codeowners:
        files["CODEOWNERS"] = "* @acme/platform\n/services/claims-intake/ @acme/claims\n"
    return repo("terraform-live", files=files, topics=["terraform"], language="HCL")


def test_resources_one_folder_declares_are_one_service_named_for_the_folder():
    result = run(company(prod=aws(), repos=[live_repo()], teams=TEAMS, members=MEMBERS))
    services = by_name(result)
    intake = services["claims-intake"]
    assert kinds(intake) == [("ecs_service", "claims-intake-api"), ("ecs_service", "claims-intake-worker"),
                             ("rds_instance", "clmintake-pg"), ("sqs_queue", "intake-jobs")]
    assert {r.rule for r in intake.resources if r.kind != "ecs_service"} == {"iac_declaration"}
    assert any(e["rule"] == "iac_declaration" and "services/claims-intake" in e["detail"] for e in intake.evidence)
    # a module call in an environment file is one service too (the module expanded with its arguments)
    assert kinds(services["quote-engine"]) == [("ecs_service", "quote-engine"), ("sqs_queue", "quote-engine-evts")]
    # the infrastructure repository declares, it is not the services' repository nor a catalog entry
    assert intake.repo is None and services["quote-engine"].repo is None
    assert "terraform-live" not in services
    assert any(e["name"] == "terraform-live" and e["reason"] == "infrastructure_module" for e in result.excluded)


def test_without_the_declarations_the_folder_falls_apart():
    """The same AWS resources without the Terraform: nothing ties the worker, the database or the queue
    to claims-intake-api (this is what the rule fixes)."""
    result = run(company(prod=aws(), repos=[repo("terraform-live", topics=["terraform"])], teams=TEAMS, members=MEMBERS))
    assert "claims-intake" not in by_name(result)
    assert not any(("rds_instance", "clmintake-pg") in kinds(d) for d in result.services)


def test_the_folder_owner_in_codeowners_is_owner_evidence_like_a_path_rule():
    result = run(company(prod=aws(), repos=[live_repo()], teams=TEAMS, members=MEMBERS))
    intake = by_name(result)["claims-intake"]
    inferred = infer_drafts(result)[intake.key]
    assert inferred["owner"] == "claims" and inferred["source"] == "codeowners"
    rules = intake.owner_evidence["signals"]["iac_codeowners"]
    assert [(r["pattern"], r["owners"], r["folder"]) for r in rules] == [
        ("/services/claims-intake/", ["@acme/claims"], "services/claims-intake")]
    assert any(e["rule"] == "iac_codeowners" and "@acme/claims" in e["detail"] for e in intake.evidence)
    # the catch-all rule names whoever runs the infrastructure repository, not the service's team
    quote = by_name(result)["quote-engine"]
    assert "iac_codeowners" not in quote.owner_evidence["signals"]
    assert infer_drafts(result)[quote.key]["owner"] is None


def test_owner_tags_in_any_spelling_resolve_to_the_team():
    for value in ("claims", "team-claims", "Claims Team", "ana@acme.test"):
        result = run(company(prod=aws({"owner_team": value}), repos=[live_repo(codeowners=False)],
                             teams=TEAMS, members=MEMBERS))
        intake = by_name(result)["claims-intake"]
        assert infer_drafts(result)[intake.key]["owner"] == "claims", value


def test_the_repository_that_deploys_the_service_is_linked_and_keeps_the_folder_name():
    deploy = ("name: deploy\non: {push: {branches: [main]}}\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
              "      - run: aws ecs update-service --cluster shared-prod --service claims-intake-api --force-new-deployment\n")
    app = repo("intake-app", files={".github/workflows/deploy.yml": deploy})
    result = run(company(prod=aws(), repos=[live_repo(), app], teams=TEAMS, members=MEMBERS))
    intake = by_name(result)["claims-intake"]
    assert intake.repo == "acme/intake-app" and intake.repo_rule == "deploy_workflow"
    assert ("ecs_service", "claims-intake-worker") in kinds(intake)


def fact(folder, module=None, path=None):
    return FactView(1, "iac_resource", "x", "n", "acme", "", {"folder": folder, "module": module,
                                                               "path": path or f"{folder}/main.tf"}, {})


def test_layout_and_environment_folders_are_not_one_service():
    assert set_of(fact("services/claims-intake"), "r") == (("r", "services/claims-intake", ""), "claims-intake")
    assert set_of(fact("environments/prod"), "r") is None                       # an environment: many services
    assert set_of(fact("environments"), "r") is None
    assert set_of(fact("", module="billing", path="main.tf"), "r") == (("r", "main.tf", "billing"), None)
    assert set_of(fact("terraform", module="service"), "r") == (("r", "terraform/main.tf", "service"), None)


def test_the_last_rule_that_matches_the_folder_decides_as_on_github():
    def owner_for(codeowners):
        live = live_repo(codeowners=False)
        live["files"]["CODEOWNERS"] = codeowners
        result = run(company(prod=aws(), repos=[live], teams=TEAMS, members=MEMBERS))
        intake = by_name(result)["claims-intake"]
        return [r["owners"] for r in intake.owner_evidence["signals"].get("iac_codeowners", [])]

    assert owner_for("/services/ @acme/quotes\n/services/claims-*/ @acme/claims\n*.md @acme/platform\n") == [["@acme/claims"]]
    assert owner_for("/services/claims-intake/ @acme/claims\n/services/ @acme/quotes\n") == [["@acme/quotes"]]
    assert owner_for("/services/claims-intake/ @acme/claims\n*.tf @acme/platform\n") == [["@acme/platform"]]
    assert owner_for("/services/claims-intake/ @acme/claims\n* @acme/platform\n") == []   # a catch-all says nothing


def test_a_repository_laid_out_by_resource_type_groups_nothing():
    by_type = repo("terraform-live", topics=["terraform"], files={
        "ecs/main.tf": 'resource "aws_ecs_service" "a" {\n  name = "claims-intake-api"\n}\n'
                       'resource "aws_ecs_service" "b" {\n  name = "quote-engine"\n}\n',
        "rds/main.tf": 'resource "aws_db_instance" "a" {\n  identifier = "clmintake-pg"\n}\n'})
    result = run(company(prod=aws(), repos=[by_type], teams=TEAMS, members=MEMBERS))
    assert not [d for d in result.services if {"claims-intake-api", "quote-engine"} <= {r.name for r in d.resources}]


def test_what_two_repositories_deploy_stays_two_services_even_in_one_folder():
    def deploy(service):
        return ("name: deploy\non: {push: {branches: [main]}}\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
                f"      - run: aws ecs update-service --cluster shared-prod --service {service}\n")
    apps = [repo("intake-api", files={".github/workflows/deploy.yml": deploy("claims-intake-api")}),
            repo("intake-worker", files={".github/workflows/deploy.yml": deploy("claims-intake-worker")})]
    result = run(company(prod=aws(), repos=[live_repo(), *apps], teams=TEAMS, members=MEMBERS))
    repos = {d.repo for d in result.services if any(r.name.startswith("claims-intake-") for r in d.resources)}
    assert repos == {"acme/intake-api", "acme/intake-worker"}


def test_a_lone_folder_outside_a_services_folder_groups_but_does_not_name():
    lone = repo("ops-terraform", topics=["terraform"], files={"terraform/claims/main.tf": SERVICE_TF})
    result = run(company(prod=aws(), repos=[lone], teams=TEAMS, members=MEMBERS))
    (intake,) = [d for d in result.services if ("rds_instance", "clmintake-pg") in kinds(d)]
    assert intake.name != "claims" and ("ecs_service", "claims-intake-worker") in kinds(intake)
