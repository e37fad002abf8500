"""Find what a repository deploys to, from its GitHub Actions workflows and companion files.

Workflows (``.github/workflows/*.yml|yaml``) and composite actions (``.github/actions/**/action.yml``)
are read as YAML node trees so every target keeps its line. Inside them we recognise:

- actions: ``aws-actions/amazon-ecs-deploy-task-definition`` (service/cluster),
  ``aws-actions/aws-cloudformation-github-deploy`` (name), Lambda deploy actions,
  ``serverless/github-action`` (args), ``docker/build-push-action`` (tags) and any ``image:``/``images:``
  input; ``aws-actions/configure-aws-credentials`` supplies region and account for later steps;
- ``run:`` scripts (continuations, ``&&``/``;``/``|`` chains, ``cd``, assignments, heredocs skipped):
  ``aws ecs update-service``, ``aws lambda update-function-code``, ``aws cloudformation deploy``,
  ``sam deploy|sync`` (with samconfig lookup), ``serverless|sls deploy`` (with serverless.yml lookup),
  ``cdk deploy``, ``docker build|push|tag`` and ``ecs-deploy``.

Companion files (samconfig, serverless.yml, cdk.json, Copilot manifests, task definitions,
templates, Jenkinsfiles, buildspecs) are read where a command points and, when no workflow used
them, on their own. Nothing here raises on bad input, and all work is bounded by input size.

Where each rule lives:

- ``find``: ``find_deploy_targets``, ``wanted_file`` and the merge of repeats;
- ``context``: the scan state (``Scan``, ``Job``, ``Step``, ``Shell``), target kinds, ``Scan.add``;
- ``limits``: the work bounds; ``safe_yaml``: YAML loading with bounds on size, nesting and aliases;
- ``expressions``: ``${{ }}`` and ``$VAR`` expansion; ``shell``: tokenizing commands, redirects, wrappers,
  command substitutions (``$(...)``, backticks: unresolved, never a name);
- ``workflows`` (jobs, steps), ``combinations`` (matrix combinations; input candidates: defaults,
  ``workflow_dispatch`` choices, values passed by calling workflows and to composite actions),
  ``actions`` (``uses:``), ``scripts`` (``run:`` and the tool table), ``fallback`` (malformed workflow YAML);
- one module per tool: ``aws_cli`` (also ``ecs-deploy``), ``sam``, ``serverless``, ``cdk``,
  ``copilot``, ``images`` (docker and ECR image references);
- ``companions`` picks the reader of each companion file: the tool modules above, ``templates``,
  ``taskdef``, ``jenkinsfile``, ``buildspec``; files under test and example folders
  (``context.TEST_DIRS``) and workflow files are never companions.
"""
from .context import (
    CDK_STACK,
    CFN_STACK,
    ECR_IMAGE,
    ECS_SERVICE,
    INVALID_YAML,
    LAMBDA_FUNCTION,
    REG,
    SERVERLESS_SERVICE,
    TARGET_FIELDS,
    TOO_LARGE,
    UNRES,
    UNRESOLVED,
    Env,
)
from .copilot import COPILOT_WORKSPACE
from .find import find_deploy_targets, wanted_file
from .limits import (
    ADD_COST,
    COMMAND_COST,
    MAX_CDK_SELECTORS,
    MAX_EXPANDED,
    MAX_EXPANSION_DEPTH,
    MAX_EXPANSION_TOTAL,
    MAX_LINE,
    MAX_MATRIX_COMBOS,
    MAX_NAME,
    MAX_SCRIPT_WORK,
    MAX_SHOWN,
    MAX_SLS_VALUE,
    MAX_STEP_VISITS,
    MAX_TARGETS,
    MAX_WARNINGS,
)
from .safe_yaml import (
    MAX_FLOW_NESTING,
    MAX_PY_YAML_NODES,
    MAX_YAML_CHARS,
    MAX_YAML_NODES,
    check_nesting,
    flow_depth,
    safe_load_all,
)
from .sam import SAMCONFIG_NAMES
from .serverless import SERVERLESS_CODE, SERVERLESS_NAMES
from .workflows import ACTION_PATH, WORKFLOW_PATH

__all__ = [
    "ACTION_PATH", "ADD_COST", "CDK_STACK", "CFN_STACK", "COMMAND_COST", "COPILOT_WORKSPACE", "ECR_IMAGE",
    "ECS_SERVICE", "INVALID_YAML", "LAMBDA_FUNCTION", "MAX_CDK_SELECTORS", "MAX_EXPANDED",
    "MAX_EXPANSION_DEPTH", "MAX_EXPANSION_TOTAL", "MAX_FLOW_NESTING", "MAX_LINE", "MAX_MATRIX_COMBOS",
    "MAX_NAME", "MAX_PY_YAML_NODES", "MAX_SCRIPT_WORK", "MAX_SHOWN", "MAX_SLS_VALUE", "MAX_STEP_VISITS",
    "MAX_TARGETS", "MAX_WARNINGS", "MAX_YAML_CHARS", "MAX_YAML_NODES", "REG", "SAMCONFIG_NAMES",
    "SERVERLESS_CODE", "SERVERLESS_NAMES", "SERVERLESS_SERVICE", "TARGET_FIELDS", "TOO_LARGE", "UNRES",
    "UNRESOLVED", "WORKFLOW_PATH", "Env", "check_nesting", "find_deploy_targets", "flow_depth", "safe_load_all",
    "wanted_file",
]
