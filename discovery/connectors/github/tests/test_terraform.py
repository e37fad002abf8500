"""Reading Terraform: what .tf files declare (kind, resolved name, folder, module), and never raising."""
from pathlib import Path

import pytest

from discovery import facts
from discovery.connectors.github.queries import FILE_PATHS, TREE_PATHS
from discovery.connectors.github.repo_facts import repo_batch
from discovery.connectors.github.terraform import MAX_TF_BYTES, MAX_TF_FILES, read_terraform

LIVE = Path(__file__).parent / "terraform_files" / "live"


def live_files() -> dict[str, str]:
    return {str(p.relative_to(LIVE)): p.read_text(encoding="utf-8") for p in sorted(LIVE.rglob("*.tf"))}


def declared(files) -> set[tuple]:
    found, _ = read_terraform(files)
    return {(d["resource_kind"], d["name"], d["folder"], d["module"]) for d in found}


def test_a_service_folder_resolves_locals_variable_defaults_and_interpolation():
    found = declared(live_files())
    folder = "services/claims-intake"
    assert {("ecs_service", "claims-intake-api", folder, None), ("sqs_queue", "claims-intake-jobs", folder, None),
            ("rds_instance", "clmintake-pg", folder, None),
            ("lambda_function", "claims-intake-notifier", folder, None)} <= found
    assert not any("claims-intake-task" == name for _, name, _, _ in found)   # aws_iam_role: not tracked


def test_local_modules_are_expanded_with_the_call_arguments_and_remote_ones_keep_their_name():
    found, _ = read_terraform(live_files())
    by_name = {d["name"]: d for d in found}
    engine = by_name["quote-engine"]
    assert (engine["resource_kind"], engine["module"], engine["cluster"]) == ("ecs_service", "quote_engine", "apps-prod")
    assert engine["path"] == "environments/prod.tf"            # where the call is, not the module's file
    assert by_name["quote-engine-dlq"]["module"] == "quote_engine"
    assert (by_name["renewal-tracker"]["resource_kind"], by_name["renewal-tracker"]["module"]) == ("module", "renewal_tracker")
    # the module folder is read through its callers only: no declaration named after an unset variable
    assert not any(d["folder"] == "modules/ecs-service" for d in found)


def test_unresolved_names_are_dropped_with_a_warning_never_kept():
    found, warnings = read_terraform(live_files())
    assert all("${" not in d["name"] and "(" not in d["name"] for d in found)
    messages = " ".join(w["message"] for w in warnings)
    for what in ("aws_sqs_queue.from_state", "aws_lambda_function.generated", "aws_sqs_queue.per_key"):
        assert what in messages
    assert {w["reason_code"] for w in warnings} == {"unresolved_expression"}
    assert "aws_sqs_queue.prefixed" not in messages   # name_prefix: Terraform names it, nothing to warn about


@pytest.mark.parametrize("text", [
    'resource "aws_sqs_queue" "q" {',                      # unclosed
    "resource {{{ = }",
    "\x00\x01 binary",
    'locals { a = "${local.a}" }\nresource "aws_sqs_queue" "q" { name = local.a }',   # a cycle
    "a = " + "[" * 5000 + "]" * 5000,                       # nesting beyond the parser's recursion
    'resource "aws_sqs_queue" "q" { name = ["a", "b"] }',   # not a string
    'resource "aws_sqs_queue" "q" { name = "%{ for x in y }${x}%{ endfor }" }',   # template directive
    'resource "aws_sqs_queue" "q" { name = "a b; rm -rf /" }',                    # not a resource name
    'resource "aws_sqs_queue" "q" { name = "" }',
    'resource "aws_sqs_queue" { name = "half-labelled" }',
])
def test_malformed_or_hostile_hcl_is_a_warning_never_an_exception(text):
    found, warnings = read_terraform({"main.tf": text, "ok/main.tf": 'resource "aws_sqs_queue" "q" { name = "fine-q" }'})
    assert ("sqs_queue", "fine-q") in {(d["resource_kind"], d["name"]) for d in found}   # other files still read
    assert all(d["name"] != "" and "${" not in d["name"] and " " not in d["name"] for d in found)
    assert all(len(w["message"]) < 1000 for w in warnings)


def test_modules_calling_each_other_or_themselves_are_bounded():
    files = {
        "a/main.tf": 'variable "name" { default = "a-svc" }\nmodule "b" {\n source = "../b"\n name = var.name\n}\n'
                     'resource "aws_sqs_queue" "q" { name = var.name }',
        "b/main.tf": 'variable "name" {}\nmodule "a" {\n source = "../a"\n name = var.name\n}\n'
                     'module "me" {\n source = "./"\n name = var.name\n}',
    }
    found, _ = read_terraform(files)
    assert len(found) < 20


def test_work_is_bounded_by_file_count_and_size():
    many = {f"services/s{i}/main.tf": f'resource "aws_sqs_queue" "q" {{ name = "q{i}" }}' for i in range(MAX_TF_FILES + 5)}
    many["services/big/main.tf"] = "# " + "x" * (MAX_TF_BYTES + 1)
    found, warnings = read_terraform(many)
    assert len(found) <= MAX_TF_FILES
    assert "input_too_large" in {w["reason_code"] for w in warnings}


def test_repo_batch_declares_iac_resources_and_no_deploy_targets():
    batch = repo_batch("larkspur", {"name": "terraform-live", "files": {
        "services/claims-intake/main.tf": (LIVE / "services/claims-intake/main.tf").read_text(encoding="utf-8"),
        "environments/broken.tf": "module {",
    }})
    iac = [f for f in batch.facts if f.kind == facts.GH_IAC_RESOURCE]
    assert {f.name for f in iac} == {"claims-intake-api", "claims-intake-jobs", "clmintake-pg", "claims-intake-notifier"}
    assert all(f.attributes["folder"] == "services/claims-intake" and f.attributes["repo"] == "larkspur/terraform-live"
               for f in iac)
    assert not [f for f in batch.facts if f.kind == facts.GH_DEPLOY_TARGET]   # it declares, it does not deploy
    assert {lk.target_id for lk in batch.links if lk.relation == facts.DECLARES} >= {f.external_id for f in iac}
    assert any(w["reason_code"] == "invalid_hcl" and w["item"].endswith("environments/broken.tf") for w in batch.warnings)
    assert all(set(f.attributes) <= facts.ATTRIBUTE_WHITELIST[facts.GH_IAC_RESOURCE] for f in iac)


def test_the_connector_fetches_where_terraform_lives():
    trees = set(TREE_PATHS.values())
    assert {"terraform", "services", "modules", "environments"} <= trees
    assert "main.tf" in FILE_PATHS.values()


def test_module_calls_that_multiply_are_capped():
    calls = "".join(f'module "m{i}" {{\n  source = "../inner"\n  name = "n{i}"\n}}\n' for i in range(300))
    inner = 'variable "name" {}\n' + "".join(
        f'module "x{i}" {{\n  source = "../leaf"\n  name = "${{var.name}}-{i}"\n}}\n' for i in range(300))
    files = {"outer/main.tf": calls, "inner/main.tf": inner,
             "leaf/main.tf": 'variable "name" {}\nresource "aws_sqs_queue" "q" { name = var.name }'}
    found, warnings = read_terraform(files)
    assert len(found) <= 1000
    assert "input_too_large" in {w["reason_code"] for w in warnings}
