"""Lambdas of a monorepo: functions deployed by different jobs or matrix rows are different services,
functions one job deploys step by step are one."""
from catalog.tests.test_reconcile import PROD, by_name, company, repo, run


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
