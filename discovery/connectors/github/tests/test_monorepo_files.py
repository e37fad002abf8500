"""A monorepo's service folders: what the connector fetches of them (services/<svc>/, apps/<svc>/, not a
workspace's packages/), and the folder each companion's deploy target is read from."""
from discovery import facts
from discovery.connectors.github.deploy_targets import find_deploy_targets
from discovery.connectors.github.job import repo_input
from discovery.connectors.github.queries import TREE_PATHS
from discovery.connectors.github.repo_facts import repo_batch
from peers.simulate import fetched_files

SLS = "service: {name}\nprovider:\n  name: aws\n  region: eu-central-1\n  stage: ${{opt:stage, 'dev'}}\n" \
      "functions:\n  handler:\n    handler: handler.main\n"


def _blob(text):
    return {"text": text, "byteSize": len(text), "isBinary": False, "isTruncated": False}


def test_the_connector_fetches_service_folders_of_services_and_apps_not_packages():
    assert {"services", "apps"} <= set(TREE_PATHS.values())
    assert "packages" not in TREE_PATHS.values()  # a workspace's libraries deploy nothing
    files = {"apps/survey-sync/serverless.yml": SLS.format(name="survey-sync"),
             "apps/survey-sync/catalog-info.yaml": "kind: Component\nmetadata: {name: survey-sync}\n",
             "services/dock-api/task-definition.json": "{}", "packages/money/package.json": "{}",
             "apps/survey-sync/src/deep/handler.ts": "//"}
    assert set(fetched_files(files)) == {"apps/survey-sync/serverless.yml", "apps/survey-sync/catalog-info.yaml",
                                         "services/dock-api/task-definition.json"}


def test_a_fetched_apps_tree_becomes_the_folders_files():
    node = {"name": "care-monorepo", "apps": {"entries": [{"name": "survey-sync", "path": "apps/survey-sync", "object": {
        "entries": [{"name": "serverless.yml", "path": "apps/survey-sync/serverless.yml",
                     "object": _blob(SLS.format(name="survey-sync"))}]}}]}}
    assert "apps/survey-sync/serverless.yml" in repo_input(node)["files"]


def test_a_serverless_app_deployed_from_its_folder_names_that_folder():
    wf = ("on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - run: cd services/claim-consumer && npx serverless deploy --stage prod\n"
          "      - run: npx sls deploy --stage prod\n        working-directory: apps/survey-sync\n")
    files = {".github/workflows/deploy.yml": wf,
             "services/claim-consumer/serverless.yml": SLS.format(name="kestrel-claims"),
             "apps/survey-sync/serverless.yml": SLS.format(name="surveySync"),
             "serverless.yml": SLS.format(name="root-app")}
    targets, _ = find_deploy_targets(files)
    folders = {(t["target_kind"], t["name"]): t["folder"] for t in targets}
    assert folders[("cloudformation_stack", "kestrel-claims-prod")] == "services/claim-consumer"
    assert folders[("lambda_function", "surveySync-prod-handler")] == "apps/survey-sync"
    assert folders[("serverless_service", "root-app")] is None  # the root is the repository's, no folder


def test_sam_stacks_name_their_templates_folder():
    wf = ("on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - run: sam deploy --template-file services/ledger/template.yaml --stack-name ledger-prod\n"
          "      - run: sam deploy --stack-name root-prod\n")
    targets, _ = find_deploy_targets({".github/workflows/deploy.yml": wf,
                                      "apps/tariff/samconfig.toml": '[default.deploy.parameters]\nstack_name = "tariff"\n'})
    folders = {t["name"]: t["folder"] for t in targets}
    assert folders == {"ledger-prod": "services/ledger", "root-prod": None, "tariff": "apps/tariff"}


def test_the_folder_is_a_stored_deploy_target_attribute():
    batch = repo_batch("kestrel", {"name": "care", "files": {"apps/survey-sync/serverless.yml": SLS.format(name="x")}})
    target = next(f for f in batch.facts if f.kind == facts.GH_DEPLOY_TARGET)
    assert target.attributes["folder"] == "apps/survey-sync"
    assert set(target.attributes) <= facts.ATTRIBUTE_WHITELIST[facts.GH_DEPLOY_TARGET]


def test_companion_files_read_on_their_own_are_capped():
    from discovery.connectors.github.deploy_targets.limits import MAX_COMPANIONS
    files = {f"services/s{i:04d}/serverless.yml": f"service: s{i:04d}\n" for i in range(MAX_COMPANIONS + 3)}
    targets, warnings = find_deploy_targets(files)
    assert len(targets) == MAX_COMPANIONS
    assert any(w["reason_code"] == "input_too_large" and "companion files" in w["message"] for w in warnings)


def test_catalog_info_files_are_capped_per_repository():
    from discovery.connectors.github.repo_facts import MAX_CATALOG_FILES
    files = {f"services/s{i:04d}/catalog-info.yaml": f"kind: Component\nmetadata: {{name: s{i:04d}}}\n"
             for i in range(MAX_CATALOG_FILES + 5)}
    batch = repo_batch("kestrel", {"name": "big", "files": files})
    assert len([f for f in batch.facts if f.kind == facts.GH_CATALOG_ENTITY]) == MAX_CATALOG_FILES
    assert any(w["reason_code"] == "input_too_large" for w in batch.warnings)
