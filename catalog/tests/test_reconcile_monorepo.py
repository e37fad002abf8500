"""Lambdas of a monorepo: functions deployed by different jobs or matrix rows are different services,
functions one job deploys step by step are one; services side by side in one repository stay apart, and
what speaks for the repository as a whole (a System, a lone Component) speaks for none of them."""
from catalog.tests.test_reconcile import PROD, STAGING, by_name, company, ecs_deploy, repo, run
from ownership.signals import infer_drafts


def lambdas(*names):
    return {"lambdas": [{"name": n} for n in names]}


MATRIX = """\
name: deploy services
on: {push: {branches: [main], paths: ['services/**']}}
jobs:
  functions-prod:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [claim-worker, claim-consumer]
    steps:
      - uses: actions/checkout@v4
      - run: aws lambda update-function-code --function-name ${{ matrix.service }}-prod --zip-file fileb://services/${{ matrix.service }}/dist/lambda.zip
"""

ONE_JOB = """\
name: deploy
on: {push: {branches: [main]}}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: aws lambda update-function-code --function-name orders-create-prod --zip-file fileb://function.zip
      - run: aws lambda update-function-code --function-name orders-list-prod --zip-file fileb://function.zip
"""


def test_lambdas_deployed_by_rows_of_a_matrix_are_separate_services():
    sc = company(prod=lambdas("claim-worker-prod", "claim-consumer-prod"),
                 repos=[repo("claims-services", files={"README.md": "# claims\n",
                                                       ".github/workflows/deploy.yml": MATRIX})])
    services = by_name(run(sc))
    assert {"claim-worker", "claim-consumer"} <= set(services), sorted(services)
    assert services["claim-worker"].repo == services["claim-consumer"].repo == "acme/claims-services"


def test_lambdas_deployed_by_different_jobs_are_separate_services():
    jobs = "".join(f"""\
  {svc}:
    runs-on: ubuntu-latest
    steps:
      - run: aws lambda update-function-code --function-name {svc}-prod --zip-file fileb://{svc}.zip
""" for svc in ("claim-worker", "claim-consumer"))
    wf = "name: deploy\non: {push: {branches: [main]}}\njobs:\n" + jobs
    sc = company(prod=lambdas("claim-worker-prod", "claim-consumer-prod"),
                 repos=[repo("claims-services", files={"README.md": "# claims\n", ".github/workflows/deploy.yml": wf})])
    assert {"claim-worker", "claim-consumer"} <= set(by_name(run(sc)))


def test_lambdas_one_job_deploys_step_by_step_stay_one_service():
    sc = company(prod=lambdas("orders-create-prod", "orders-list-prod"),
                 repos=[repo("shop-functions", files={"README.md": "# shop\n", ".github/workflows/deploy.yml": ONE_JOB})])
    services = by_name(run(sc))
    orders = next(d for d in services.values() if any(r.name == "orders-create-prod" for r in d.resources))
    assert sorted(r.name for r in orders.resources if r.kind == "lambda_function") == ["orders-create-prod",
                                                                                      "orders-list-prod"]
    assert PROD in orders.accounts


# --- a monorepo whose per-service stacks carry the repository's name --------------------------------
ECS_MATRIX = """\
name: deploy services
on: {push: {branches: [main]}}
jobs:
  services-prod:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [claim-service, claim-consumer, claim-processor]
    steps:
      - run: aws ecs update-service --cluster prod --service ${{ matrix.service }} --force-new-deployment
"""
SYSTEM = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: claims-backend
spec:
  owner: group:claims
"""


def claims_monorepo():
    services = ("claim-service", "claim-consumer", "claim-processor")
    prod = {"ecs_clusters": [{"name": "prod", "services": [
                {"name": s, "image": f"{PROD}.dkr.ecr.us-east-1.amazonaws.com/claims-backend/{s}:1"} for s in services]}],
            "stacks": [{"name": f"claims-backend-{s}-prod", "resources": [f"ecs:prod/{s}"]} for s in services]}
    files = {"README.md": "# claims-backend\n", ".github/workflows/deploy.yml": ECS_MATRIX, "catalog-info.yaml": SYSTEM,
             "CODEOWNERS": "* @acme/claims\n/services/claim-consumer/ @acme/billing\n"}
    files.update({f"services/{s}/Dockerfile": "FROM scratch\n" for s in services})
    members = [{"login": login} for login in ("ann", "bob", "cy", "dee")]
    teams = [{"slug": "claims", "members": ["ann", "bob"], "repos": {"claims-backend": "admin"}},
             {"slug": "billing", "members": ["cy", "dee"], "repos": {"claims-backend": "push"}}]
    commits = [{"author": a, "date": f"2026-10-0{i + 1}T10:00:00Z", "message": "change"}
               for i, a in enumerate(["ann", "bob", "ann", "cy"])]
    return company(prod=prod, repos=[repo("claims-backend", files=files, commits=commits)], teams=teams, members=members)


def test_services_of_a_monorepo_whose_names_begin_alike_stay_apart_and_drop_the_repository_prefix():
    services = by_name(run(claims_monorepo()))
    assert {"claim-service", "claim-consumer", "claim-processor"} <= set(services), sorted(services)
    assert [r.name for r in services["claim-service"].resources if r.kind == "ecs_service"] == ["claim-service"]


def test_a_system_owns_a_monorepo_as_a_whole_and_speaks_for_none_of_its_services():
    result = run(claims_monorepo())
    consumer = by_name(result)["claim-consumer"]
    assert consumer.owner_evidence["signals"]["catalog_info"] == []
    assert infer_drafts(result)[consumer.key]["owner"] == "billing"


def test_a_monorepo_service_running_in_staging_only_is_a_new_service_not_another_stage_of_a_neighbour():
    def cluster(acct, name, services):
        return {"ecs_clusters": [{"name": name, "services": [
            {"name": s, "image": f"{acct}.dkr.ecr.us-east-1.amazonaws.com/{s}:1"} for s in services]}]}
    wf = ECS_MATRIX.replace("[claim-service, claim-consumer, claim-processor]", "[claim-service, claim-consumer, dispute-engine]")
    wf += wf.split("jobs:\n", 1)[1].replace("services-prod", "services-staging").replace("--cluster prod", "--cluster staging")
    sc = company(prod=cluster(PROD, "prod", ["claim-service", "claim-consumer"]),
                 staging=cluster(STAGING, "staging", ["claim-service", "dispute-engine"]),  # claim-consumer: prod only
                 repos=[repo("claims-backend", files={"README.md": "# claims\n", ".github/workflows/deploy.yml": wf})])
    services = by_name(run(sc))
    assert {"claim-service", "claim-consumer", "dispute-engine"} <= set(services), sorted(services)
    assert [(r.name, r.account) for r in services["dispute-engine"].resources if r.kind == "ecs_service"] == \
        [("dispute-engine", STAGING)]


def test_a_lambda_deployed_from_a_monorepo_is_not_absorbed_by_another_repositorys_shorter_name():
    lambda_wf = ONE_JOB.replace("orders-create-prod", "credit-note-consumer-prod").replace(
        "      - run: aws lambda update-function-code --function-name orders-list-prod --zip-file fileb://function.zip\n", "")
    sc = company(prod={**lambdas("credit-note-consumer-prod"), "ecs_clusters": [{"name": "prod", "services": [
                     {"name": "credit-note-service", "image": f"{PROD}.dkr.ecr.us-east-1.amazonaws.com/credit-note-service:1"}]}]},
                 repos=[repo("credit-note-service", files={"README.md": "# credit notes\n",
                                                           ".github/workflows/deploy.yml": ecs_deploy("credit-note-service")}),
                        repo("billing-platform", files={"README.md": "# billing\n", ".github/workflows/deploy.yml": lambda_wf})])
    services = by_name(run(sc))
    owner = next(d for d in services.values() if any(r.name == "credit-note-consumer-prod" for r in d.resources))
    assert owner.name == "credit-note-consumer" and owner.repo == "acme/billing-platform"
    assert services["credit-note-service"].repo == "acme/credit-note-service"


# --- a Serverless Framework app in its own folder, named unlike the folder ---------------------------
SLS_WORKFLOW = """\
name: deploy survey-engine
on: {push: {branches: [main], paths: ['services/survey-engine/**']}}
jobs:
  prod:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cd services/survey-engine && npm ci && npx serverless deploy --stage prod
"""
SLS_CONFIG = "service: care-feedback\nprovider:\n  name: aws\n  region: us-east-1\nfunctions:\n  api:\n    handler: h.api\n"
FOLDER_CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: survey-engine
spec:
  type: service
  owner: group:customer
"""


def serverless_monorepo(prod=None, **extra_files):
    prod = prod or {**lambdas("care-feedback-prod-api"),
                    "stacks": [{"name": "care-feedback-prod", "resources": ["lambda:care-feedback-prod-api"]}]}
    files = {"README.md": "# linehaul-services\n", ".github/workflows/deploy-survey-engine.yml": SLS_WORKFLOW,
             "services/survey-engine/serverless.yml": SLS_CONFIG,
             "CODEOWNERS": "* @acme/linehaul\n/services/survey-engine/ @acme/customer\n", **extra_files}
    members = [{"login": login} for login in ("ann", "bob", "cy", "dee")]
    teams = [{"slug": "linehaul", "members": ["ann", "bob"], "repos": {"linehaul-services": "admin"}},
             {"slug": "customer", "members": ["cy", "dee"], "repos": {"linehaul-services": "push"}}]
    commits = [{"author": a, "date": f"2026-10-0{i + 1}T10:00:00Z", "message": "change"}
               for i, a in enumerate(["ann", "bob", "ann", "cy"])]
    return company(prod=prod, repos=[repo("linehaul-services", files=files, commits=commits)], teams=teams, members=members)


def test_the_folder_a_serverless_app_deploys_from_owns_it_whatever_its_service_name():
    result = run(serverless_monorepo())
    draft = next(d for d in result.services if any(r.name == "care-feedback-prod" for r in d.resources))
    assert draft.repo == "acme/linehaul-services"
    assert infer_drafts(result)[draft.key]["owner"] == "customer"  # the folder's rule, not the root's


def test_a_catalog_info_in_the_folder_speaks_for_the_service_it_deploys():
    result = run(serverless_monorepo(**{"services/survey-engine/catalog-info.yaml": FOLDER_CATALOG,
                                        "services/route-planner/catalog-info.yaml":
                                            FOLDER_CATALOG.replace("survey-engine", "route-planner").replace(
                                                "customer", "linehaul"),
                                        "CODEOWNERS": "* @acme/linehaul\n"}))
    draft = next(d for d in result.services if any(r.name == "care-feedback-prod" for r in d.resources))
    assert draft.owner_evidence["signals"]["catalog_info"] == ["group:default/customer"]
    assert draft.name == "survey-engine"  # what the team calls it in its catalog, not the framework's name


def test_a_folder_whose_companion_deploys_several_services_is_none_of_theirs():
    config = ("service: shared-fns\nprovider:\n  name: aws\n  region: us-east-1\nfunctions:\n"
              "  orders:\n    name: orders-api-prod\n    handler: h.orders\n"
              "  billing:\n    name: billing-sync-prod\n    handler: h.billing\n")
    result = run(serverless_monorepo(lambdas("orders-api-prod", "billing-sync-prod"),
                                     **{"services/survey-engine/serverless.yml": config}))
    owners = infer_drafts(result)
    for name in ("orders-api-prod", "billing-sync-prod"):
        draft = next(d for d in result.services if any(r.name == name for r in d.resources))
        assert draft.repo == "acme/linehaul-services"
        assert owners[draft.key]["owner"] == "linehaul", name  # the folder's rule speaks for neither alone
