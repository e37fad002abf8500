"""Deploy targets as public repositories' workflows and companion files write them (issue 15 §2):
command substitution, ECR Public, test and example folders, workflows named like configs, dispatch
choices and reusable workflows' inputs, CloudFormation parameters and file names, regions.
Cases: ``real_files/deploy_targets/``."""
import time

import pytest

from discovery.connectors.github.deploy_targets import find_deploy_targets, wanted_file
from discovery.connectors.github.deploy_targets.shell import substitutions
from discovery.connectors.github.tests.real_files import cases, check


@pytest.mark.parametrize("case", cases("deploy_targets"))
def test_deploy_target_facts(case):
    check(case)


@pytest.mark.parametrize("path,wanted", [
    ("template.json", True), ("sam-template.yaml", True), ("api.template.json", True), ("net.cfn.yaml", True),
    ("cloudformation/queue.yml", True), ("cfn/x.json", True), ("infrastructure/db.yaml", True),
    ("legacy/stack.template", True),
    ("tests/fixtures/serverless.yml", False), ("examples/app/template.yaml", False), ("testdata/samconfig.toml", False),
    ("infrastructure/main.tf", False), ("docs/template.md", False),
])
def test_wanted_files(path, wanted):
    assert wanted_file(path) is wanted


def test_substitution_spans():
    line = """a $(b $(c) ")") 'no $(x)' "y $(z)" `w` $(open"""
    assert [line[s:e] for s, e in substitutions(line)] == ['$(b $(c) ")")', "$(z)", "`w`", "$(open"]


@pytest.mark.parametrize("script", [
    "aws cloudformation deploy --stack-name " + "$(" * 20_000,
    "aws cloudformation deploy --stack-name " + "`a" * 20_000,
    "aws cloudformation deploy --stack-name " + "$(x '" * 20_000,
])
def test_hostile_substitutions_are_read_in_bounded_time(script):
    wf = "on: push\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: |\n          " + script + "\n"
    start = time.process_time()
    targets, _ = find_deploy_targets({".github/workflows/d.yml": wf})
    assert time.process_time() - start < 1.0
    assert targets == []


def test_input_candidates_are_capped():
    options = "\n".join(f"          - env{i}" for i in range(200))
    wf = ("on:\n  workflow_dispatch:\n    inputs:\n      a:\n        type: choice\n        options:\n" + options +
          "\n      b:\n        type: choice\n        options:\n" + options.replace("env", "b") +
          "\njobs:\n  d:\n    runs-on: x\n    steps:\n"
          "      - run: aws lambda update-function-code --function-name f-${{ inputs.a }}-${{ inputs.b }}\n")
    start = time.process_time()
    targets, _ = find_deploy_targets({".github/workflows/d.yml": wf})
    assert time.process_time() - start < 2.0
    assert 0 < len(targets) <= 64  # MAX_MATRIX_COMBOS combinations of at most MAX_INPUT_VALUES values each


def _hostile_template(resources: int) -> str:
    params = "Parameters:\n" + "".join(f"  P{i}:\n    Type: String\n    Default: v{i}\n" for i in range(50))
    sub = "-".join(f"${{P{i}}}" for i in range(50))
    nested = "!Join ['-', [" * 6 + "!Ref P1" + "]]" * 6
    body = "".join(f"  F{i}:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: !Sub '{sub}-{i}'\n"
                   f"  G{i}:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: {nested}\n"
                   for i in range(resources))
    return params + "Resources:\n" + body


@pytest.mark.parametrize("files", [
    {"template.yaml": _hostile_template(400)},
    {"Jenkinsfile": "withAWS(region: 'eu-west-1') {\n" * 5_000
                    + "sh 'aws lambda update-function-code --function-name f'\n" * 500},
    {"Jenkinsfile": ("withAWS(region: 'eu-west-1'" + " " * 600 + ") {\n") * 2_000},
])
def test_hostile_companions_are_read_in_bounded_time(files):
    start = time.process_time()
    find_deploy_targets(files)
    assert time.process_time() - start < 2.0


def test_deep_intrinsics_stop_at_the_depth_limit():
    deep = "!Join ['-', [" * 12 + "!Ref P" + "]]" * 12
    text = f"Parameters:\n  P: {{Type: String, Default: x}}\nResources:\n  F:\n    Type: AWS::Lambda::Function\n" \
           f"    Properties:\n      FunctionName: {deep}\n  G:\n    Type: AWS::Lambda::Function\n" \
           f"    Properties:\n      FunctionName: !Join ['-', [!Join ['-', [!Ref P, a]], b]]\n"
    targets, _ = find_deploy_targets({"template.yaml": text})
    assert [t["name"] for t in targets] == ["x-a-b"]


def test_calls_between_workflows_are_bounded():
    callers = "".join(f"  c{i}:\n    strategy: {{matrix: {{e: [a, b, c, d, e, f, g, h]}}}}\n"
                      f"    uses: ./.github/workflows/deploy.yml\n"
                      f"    with: {{stage: 's{i}-${{{{ matrix.e }}}}', region: 'r-${{{{ matrix.e }}}}'}}\n"
                      for i in range(1_000))  # under the YAML node cap
    callee = ("on:\n  workflow_call:\n    inputs:\n      stage: {type: string}\njobs:\n  d:\n    runs-on: x\n"
              "    steps:\n      - run: aws lambda update-function-code --function-name f-${{ inputs.stage }}\n")
    start = time.process_time()
    targets, warnings = find_deploy_targets({".github/workflows/release.yml": "on: push\njobs:\n" + callers,
                                             ".github/workflows/deploy.yml": callee})
    assert time.process_time() - start < 2.0
    assert len(targets) == 16  # MAX_INPUT_VALUES candidates of "stage"
    assert any(w["reason_code"] == "input_too_large" for w in warnings)
