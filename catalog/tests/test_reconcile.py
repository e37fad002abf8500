"""Reconcile rules, one messy case at a time, on small companies run through the real fact builders."""
from functools import lru_cache

import pytest
import yaml

from peers.accuracy import default_scenarios
from catalog.reconcile import reconcile
from peers.simulate import facts_from_scenario
from ownership.signals import infer_drafts
from peers.scenario import load_scenario, parse_scenario

PROD, STAGING = "111111111111", "222222222222"
SAMPLES = {p.name: p for p in default_scenarios()}


@lru_cache(maxsize=None)
def scenario_at(path):
    """Scenario files are big YAML: read each once per test session."""
    return load_scenario(path)


def company(prod=None, staging=None, repos=(), teams=(), members=(), org="acme"):
    """A roster-scenario/1 company: ``prod``/``staging`` are one us-east-1 region's contents."""
    accounts = [{"id": acct, "name": name, "regions": [{"name": "us-east-1", **region}]}
                for acct, name, region in ((PROD, "prod", prod), (STAGING, "staging", staging)) if region]
    data = {"format": "roster-scenario/1", "name": "test-co", "aws": {"accounts": accounts},
            "github": {"orgs": [{"login": org, "members": list(members), "teams": list(teams), "repos": list(repos)}]}}
    return parse_scenario(yaml.safe_dump(data, sort_keys=False))


def run(scenario, **kwargs):
    facts, links = facts_from_scenario(scenario, include_archived=kwargs.pop("include_archived", False))
    return reconcile(facts, links, **kwargs)


def by_name(result):
    return {d.name: d for d in result.services}


def kinds(draft):
    return sorted((r.kind, r.name) for r in draft.resources)


def repo(name, **extra):
    return {"name": name, "files": {"README.md": f"# {name}\n\nDoes {name} things.\n"}, **extra}


def ecs_deploy(service, cluster="prod"):
    return ("name: deploy\non: {push: {branches: [main]}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1\n        with:\n"
            f"          task-definition: td.json\n          service: {service}\n          cluster: {cluster}\n")


# --- what a service is -------------------------------------------------------------------------------
def test_a_stack_is_one_service_and_its_database_and_queue_are_resources_not_services():
    sc = company(prod={
        "stacks": [{"name": "ledger-prod", "tags": {"team": "payments"},
                    "resources": ["ecs:prod/ledger", "rds:ledger-db", "sqs:ledger-events"]}],
        "ecs_clusters": [{"name": "prod", "services": [{"name": "ledger", "image": f"{PROD}.dkr.ecr.us-east-1.amazonaws.com/ledger:1"}]}],
        "rds_instances": [{"id": "ledger-db"}], "sqs_queues": [{"name": "ledger-events"}], "ecr_repositories": ["ledger"],
        "alarms": [{"name": "ledger-5xx", "state": "ALARM", "target": "ecs:prod/ledger"}]})
    result = run(sc)
    assert [d.name for d in result.services] == ["ledger"]
    ledger = result.services[0]
    owner = infer_drafts(result)[ledger.key]  # what the ownership step infers from reconcile's evidence
    assert kinds(ledger) == [("cloudformation_stack", "ledger-prod"), ("cloudwatch_alarm", "ledger-5xx"),
                             ("ecr_repository", "ledger"), ("ecs_service", "ledger"), ("rds_instance", "ledger-db"),
                             ("sqs_queue", "ledger-events")]
    assert ledger.health == "degraded"
    assert owner["owner"] == "payments" and owner["status"] == "owned"
    assert {e["rule"] for e in ledger.evidence} >= {"cloudformation_stack", "alarm_target", "ecs_image"}


def test_infrastructure_without_a_repository_is_still_a_service():
    sc = company(prod={"lambdas": [{"name": "cert-rotator", "tags": {"team": "sre", "service": "cert-rotator"}}]},
                 teams=[{"slug": "sre", "members": []}])
    result = run(sc)
    (svc,) = result.services
    assert (svc.name, svc.repo, infer_drafts(result)[svc.key]["owner"], svc.entry_type) == (
        "cert-rotator", None, "sre", "service")
    assert svc.resources[0].rule == "tagged_resource_group" and svc.resources[0].confidence == 0.80


def test_prod_and_staging_accounts_are_one_service_with_environments():
    sc = company(
        prod={"stacks": [{"name": "PaymentApiProd", "resources": ["ecs:prod/payment-api"]}],
              "ecs_clusters": [{"name": "prod", "services": [{"name": "payment-api"}]}]},
        staging={"stacks": [{"name": "payment-api-staging", "resources": ["ecs:staging/payment-api"]}],
                 "ecs_clusters": [{"name": "staging", "services": [{"name": "payment-api"}]}]},
        repos=[repo("payment-api")])
    (svc,) = run(sc).services
    assert svc.name == "payment-api" and svc.repo == "acme/payment-api"
    assert svc.environments == ["prod", "staging"] and svc.accounts == [PROD, STAGING]
    assert "PaymentApiProd" in svc.aliases


def test_serverless_service_stage_function_names_and_stage_prefixed_api_are_one_service():
    region = lambda stage: {  # noqa: E731
        "stacks": [{"name": f"orders-{stage}", "resources": [f"lambda:orders-{stage}-create", f"lambda:orders-{stage}-list",
                                                               f"api:{stage}-orders", f"sqs:orders-{stage}-jobs"]}],
        "lambdas": [{"name": f"orders-{stage}-create"}, {"name": f"orders-{stage}-list", "sqs_trigger": f"orders-{stage}-jobs"}],
        "apis": [{"name": f"{stage}-orders", "type": "HTTP", "integrations": [f"orders-{stage}-create"]}],
        "sqs_queues": [{"name": f"orders-{stage}-jobs"}]}
    sls = {"serverless.yml": "service: orders\nprovider:\n  name: aws\nresources:\n  Resources:\n    Q:\n      Properties:\n"
                             "        Arn: !GetAtt Jobs.Arn\n",
           ".github/workflows/deploy.yml": "name: deploy\non: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
                                           "      - run: npx serverless deploy --stage prod\n"}
    sc = company(prod=region("prod"), staging=region("dev"), repos=[repo("orders-service", files=sls)])
    (svc,) = run(sc).services
    assert svc.name == "orders" and svc.environments == ["dev", "prod"]
    assert svc.repo == "acme/orders-service" and svc.repo_rule == "deploy_workflow" and svc.repo_confidence == 0.90
    assert len(svc.resources) == 2 * 5


@pytest.mark.parametrize("stack, expected", [
    ("ImportSchedulerProd", "import-scheduler"), ("BillingServiceStack-prod-eu-west-1", "billing-service"),
    ("prod-underwriting-scheduler-eu-west-1", "underwriting-scheduler"), ("svc-partner-processor-staging", "partner-processor"),
    ("StackSet-guardduty-forwarder-3df4b012-e6e2-e11c-2268-023a0c3d4ef6", "guardduty-forwarder")])
def test_sam_cdk_and_stackset_stack_names_give_the_service_name(stack, expected):
    sc = company(prod={"stacks": [{"name": stack, "resources": ["lambda:fn"]}], "lambdas": [{"name": "fn"}]})
    assert [d.name for d in run(sc).services] == [expected]


def test_name_drift_links_the_repository_and_keeps_one_entry():
    sc = company(
        prod={"stacks": [{"name": "pushmanager-prod", "tags": {"service": "push-manager"},
                          "resources": ["lambda:pushmanager-sync", "lambda:pushmanager-reader"]}],
              "lambdas": [{"name": "pushmanager-sync"}, {"name": "pushmanager-reader"}],
              "ecs_clusters": [{"name": "prod", "services": [{"name": "identitys-processor"}]}]},
        staging={"lambdas": [{"name": "pushmanager-cleanup"}]},
        repos=[repo("push_manager"), repo("identity-processor")])
    result = by_name(run(sc))
    assert set(result) == {"push-manager", "identitys-processor"}
    assert result["push-manager"].repo == "acme/push_manager" and result["push-manager"].environments == ["prod"]
    assert ("lambda_function", "pushmanager-cleanup") in kinds(result["push-manager"])
    assert result["identitys-processor"].repo == "acme/identity-processor"


def test_abbreviated_names_in_different_stages_are_one_service():
    sc = company(prod={"stacks": [{"name": "ClmWorkerProd", "tags": {"team": "claims"}, "resources": ["ecs:prod/clm-worker"]}],
                       "ecs_clusters": [{"name": "prod", "services": [{"name": "clm-worker"}]}]},
                 staging={"stacks": [{"name": "claimsworker-staging", "tags": {"team": "claims"},
                                      "resources": ["ecs:staging/claimsworker"]}],
                          "ecs_clusters": [{"name": "staging", "services": [{"name": "claimsworker"}]}]})
    (svc,) = run(sc).services
    assert svc.environments == ["prod", "staging"]
    assert any(e["rule"] == "same_service_across_stages" for e in svc.evidence)


def test_similar_names_of_different_services_stay_apart():
    sc = company(prod={"ecs_clusters": [{"name": "prod", "services": [
        {"name": "search-hub"}, {"name": "risk-consumer"}, {"name": "risk-worker"}, {"name": "sms-api"}, {"name": "sso-api"}]}]},
        repos=[repo("search-hub"), repo("search-service"), repo("risk-consumer"), repo("risk-worker")])
    result = by_name(run(sc))
    assert set(result) == {"search-hub", "search-service", "risk-consumer", "risk-worker", "sms-api", "sso-api"}
    assert result["search-hub"].repo == "acme/search-hub"
    assert result["search-service"].entry_type == "component" and not result["search-service"].resources
    assert result["risk-worker"].repo == "acme/risk-worker" and result["risk-consumer"].repo == "acme/risk-consumer"


def test_fuzzy_match_only_pairs_leftovers_one_to_one():
    sc = company(prod={"ecs_clusters": [{"name": "prod", "services": [{"name": "invoice-renderer"}]}]},
                 repos=[repo("invoices-rendrer")])
    (svc,) = run(sc).services
    assert svc.repo == "acme/invoices-rendrer" and svc.repo_rule == "name_match"


def test_a_company_prefix_and_a_service_suffix_do_not_hide_the_name():
    sc = company(prod={"stacks": [{"name": "acme-tax-app-prod", "resources": ["ecs:prod/tax_app"]}],
                       "ecs_clusters": [{"name": "prod", "services": [{"name": "tax_app"}, {"name": "payment-gateway"},
                                                                      {"name": "tax-service"}]}],
                       "apis": [{"name": "tax-api", "integrations": ["tax-api"]}], "lambdas": [{"name": "tax-api"}]},
                 repos=[repo("payment-gateway-service")])
    result = by_name(run(sc))
    assert set(result) == {"tax-app", "payment-gateway", "tax-service", "tax-api"}
    assert result["payment-gateway"].repo == "acme/payment-gateway-service"


def test_resources_tagged_with_their_stack_belong_to_it_even_when_the_listing_missed_them():
    sc = company(prod={"stacks": [{"name": "billing-prod", "resources": ["lambda:billing-handler"]}],
                       "lambdas": [{"name": "billing-handler"}],
                       "apis": [{"name": "billing-http", "type": "HTTP",
                                 "tags": {"aws:cloudformation:stack-name": "billing-prod", "team": "finance"}}]})
    result = run(sc)
    (svc,) = result.services
    assert ("apigateway_http_api", "billing-http") in kinds(svc) and infer_drafts(result)[svc.key]["owner"] == "finance"


def test_a_stack_holding_only_data_joins_the_service_of_its_name_and_never_stands_alone():
    sc = company(prod={"stacks": [{"name": "orders-data-prod", "resources": ["rds:orders-db"]},
                                  {"name": "network-prod", "resources": ["sqs:dead-letters"]}],
                       "ecs_clusters": [{"name": "prod", "services": [{"name": "orders-data"}]}],
                       "rds_instances": [{"id": "orders-db"}], "sqs_queues": [{"name": "dead-letters"}]})
    result = run(sc)
    assert [d.name for d in result.services] == ["orders-data"]
    assert ("rds_instance", "orders-db") in kinds(result.services[0])
    assert {e["name"]: e["reason"] for e in result.excluded} == {"network-prod": "stack_without_compute",
                                                                 "dead-letters": "unattached"}


def test_a_data_stack_a_repository_deploys_is_a_service_of_its_own():
    """The platform team's shared database and queue, deployed from its code-named repository, are its
    service: not debris, and never resources of a product service in the same cluster."""
    deploy = ("on: {push: {branches: [main]}}\njobs:\n  d:\n    runs-on: x\n    steps:\n"
              "      - run: aws cloudformation deploy --stack-name platform-core-prod --template-file t.yml\n")
    sc = company(prod={"stacks": [{"name": "platform-core-prod", "tags": {"team": "platform"},
                                   "resources": ["rds:core-pg", "sqs:domain-events"]}],
                       "ecs_clusters": [{"name": "shared-prod", "services": [{"name": "checkout-api"}]}],
                       "rds_instances": [{"id": "core-pg"}], "sqs_queues": [{"name": "domain-events"}]},
                 repos=[repo("bedrock", files={".github/workflows/deploy.yml": deploy, "CODEOWNERS": "* @acme/platform\n"}),
                        repo("checkout-api")],
                 teams=[{"slug": "platform", "members": []}])
    result = run(sc)
    services = by_name(result)
    assert set(services) == {"platform-core", "checkout-api"}
    core = services["platform-core"]
    assert core.repo == "acme/bedrock" and infer_drafts(result)[core.key]["owner"] == "platform"
    assert kinds(core) == [("cloudformation_stack", "platform-core-prod"), ("rds_instance", "core-pg"),
                           ("sqs_queue", "domain-events")]
    assert kinds(services["checkout-api"]) == [("ecs_service", "checkout-api")]


def test_a_shared_queue_tagged_for_its_service_stays_there_when_another_service_consumes_it():
    sc = company(prod={"stacks": [{"name": "platform-core-prod", "resources": ["ecs:shared/platform-core"]},
                                  {"name": "email-hooks-prod", "resources": ["lambda:email-hooks-consumer"]}],
                       "ecs_clusters": [{"name": "shared", "services": [{"name": "platform-core"}]}],
                       "lambdas": [{"name": "email-hooks-consumer", "sqs_trigger": "order-events"}],
                       "sqs_queues": [{"name": "order-events", "tags": {"service": "platform-core"}}]})
    services = by_name(run(sc))
    assert ("sqs_queue", "order-events") in kinds(services["platform-core"])
    assert ("sqs_queue", "order-events") not in kinds(services["email-hooks"])


def test_a_stage_left_without_the_repository_another_stage_took_is_merged_into_it():
    sc = company(prod={"stacks": [{"name": "EnrlSync-prod", "tags": {"github_repo": "acme/enrollment_sync"},
                                   "resources": ["lambda:enrl-sync-reader"]}], "lambdas": [{"name": "enrl-sync-reader"}]},
                 staging={"stacks": [{"name": "enrollment-sync-svc-staging", "tags": {"team": "team-phoenix"},
                                      "resources": ["lambda:enrollment-sync-svc-webhook"]}],
                          "lambdas": [{"name": "enrollment-sync-svc-webhook"}]},
                 repos=[repo("enrollment_sync")])
    (svc,) = run(sc).services
    assert svc.repo == "acme/enrollment_sync" and svc.environments == ["prod", "staging"]


# --- linking repositories ----------------------------------------------------------------------------
def test_repository_link_rules_and_their_confidences():
    img = f"{PROD}.dkr.ecr.us-east-1.amazonaws.com"
    sc = company(prod={
        "ecs_clusters": [{"name": "prod", "services": [
            {"name": "alpha", "tags": {"github_repo": "acme/alpha-code"}},
            {"name": "beta"}, {"name": "gamma", "image": f"{img}/gamma-app:3"}, {"name": "delta"}]}],
        "lambdas": [{"name": "webhook-relay-handler"}, {"name": "webhook-relay-reader"}]},
        repos=[repo("alpha-code"), repo("beta-deployer", files={".github/workflows/deploy.yml": ecs_deploy("beta")}),
               repo("gamma-app"), repo("delta"), repo("webhook-relay-svc")])
    result = by_name(run(sc))
    got = {n: (d.repo, d.repo_rule, d.repo_confidence) for n, d in result.items() if d.entry_type == "service"}
    assert got == {"alpha": ("acme/alpha-code", "explicit_tag", 0.95),
                   "beta": ("acme/beta-deployer", "deploy_workflow", 0.90),
                   "gamma": ("acme/gamma-app", "ecr_image", 0.85),
                   "delta": ("acme/delta", "name_match", 0.75),
                   "webhook-relay": ("acme/webhook-relay-svc", "name_match", 0.75)}


def test_lambda_name_starting_with_a_repository_name():
    sc = company(prod={"lambdas": [{"name": "payments-webhook-handler"}]}, repos=[repo("payments")])
    (svc,) = run(sc).services
    assert svc.name == "payments-webhook-handler"
    assert (svc.repo, svc.repo_rule, svc.repo_confidence) == ("acme/payments", "lambda_name", 0.70)


def test_lone_lambda_keeps_its_name_and_siblings_group_by_prefix():
    sc = company(prod={"lambdas": [{"name": "supplier-sftp-sync"}, {"name": "media-worker-reader"},
                                   {"name": "media-worker-writer"}]})
    assert set(by_name(run(sc))) == {"supplier-sftp-sync", "media-worker"}


# --- repositories without infrastructure ------------------------------------------------------------
def test_archived_forked_and_infrastructure_module_repositories_never_become_entries():
    sc = company(repos=[repo("old-api", archived=True), repo("rails", fork=True),
                        repo("terraform-modules", topics=["terraform"], language="HCL"), repo("store-web")])
    result = run(sc, include_archived=True)
    assert [d.name for d in result.services] == ["store-web"]
    reasons = {e["name"]: e["reason"] for e in result.excluded if e["kind"] == "github_repository"}
    assert reasons == {"old-api": "archived", "rails": "fork", "terraform-modules": "infrastructure_module"}


@pytest.mark.parametrize("name, topics, expected", [
    ("checkout-web", [], "website"), ("design-docs", [], "docs"), ("ui-kit", ["lib"], "library"),
    ("deploy-cli", [], "tool"), ("billing-engine", [], "service")])
def test_repository_only_entries_are_components_with_a_type(name, topics, expected):
    (svc,) = run(company(repos=[repo(name, topics=topics)])).services
    assert (svc.entry_type, svc.component_type, svc.repo) == ("component", expected, f"acme/{name}")
    assert svc.description == f"Does {name} things."


def test_catalog_info_names_lifecycle_and_type_are_used():
    info = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: risk-indexer\n  description: Indexes risk.\n"
            "spec:\n  type: website\n  lifecycle: experimental\n  owner: group:risk\n  system: risk-platform\n")
    sc = company(repos=[repo("risk-indexer-svc", files={"catalog-info.yaml": info})], teams=[{"slug": "risk"}])
    result = run(sc)
    (svc,) = result.services
    assert (svc.name, svc.component_type, svc.lifecycle, svc.system, infer_drafts(result)[svc.key]["owner"]) == (
        "risk-indexer", "website", "experimental", "risk-platform", "risk")
    assert svc.description == "Indexes risk."


# --- properties of the whole result ----------------------------------------------------------------------
def test_every_resource_is_claimed_once_and_output_is_deterministic():
    sc = scenario_at(SAMPLES["sample-messy.yaml"])
    facts, links = facts_from_scenario(sc)
    first, second = reconcile(facts, links), reconcile(list(reversed(facts)), list(reversed(links)))
    ids = [r.external_id for d in first.services for r in d.resources]
    assert len(ids) == len(set(ids))
    assert [(d.key, d.fingerprint) for d in first.services] == [(d.key, d.fingerprint) for d in second.services]


def test_fingerprint_changes_only_for_the_service_whose_facts_changed():
    def build(state):
        return company(prod={"ecs_clusters": [{"name": "prod", "services": [{"name": "alpha"}, {"name": "beta"}]}],
                             "alarms": [{"name": "alpha-5xx", "state": state, "target": "ecs:prod/alpha"}]})
    before = {d.name: d.fingerprint for d in run(build("OK")).services}
    after = {d.name: d.fingerprint for d in run(build("ALARM")).services}
    assert before["beta"] == after["beta"] and before["alpha"] != after["alpha"]


def test_sample_company_reconciles_into_its_truths_services():
    """(How fast is bench/catalog.py's business, not a test's.)"""
    sc = scenario_at(SAMPLES["sample-company.yaml"])
    facts, links = facts_from_scenario(sc)
    result = reconcile(facts, links)
    assert len(facts) > 1000 and len(result.services) == len(sc["truth"]["services"])


