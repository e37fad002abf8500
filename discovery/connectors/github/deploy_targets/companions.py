"""Companion files: the files beside the workflows that name what a repository deploys.

They are read where a command points (samconfig for ``sam deploy`` without a stack name,
serverless.yml for ``serverless deploy``, ``cdk.json`` and its app entry file for ``cdk deploy``,
the Copilot workspace for ``copilot deploy``) and, when no workflow used them, on their own (here):
``samconfig.toml|yaml`` stack names, ``serverless.yml`` services (stack ``{service}-{stage}`` and
functions when the stage is known), the stacks a CDK app file declares (``new XStack(app, 'Id',
{env: {account, region}})``), Copilot manifests, ECS task definition JSON images, SAM/CloudFormation
templates' function/service names, and the shell steps of a ``Jenkinsfile`` (``sh '...'``)
and CodeBuild ``buildspec.yml`` commands.

Files under test and example folders (``tests/``, ``testdata/``, ``examples/``, ``fixtures/`` ...) are
not companions: they describe what a test deploys, not the repository. Workflow and action files are
never companions either, whatever their name (a workflow called ``serverless.yml`` is a workflow).
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection

from .buildspec import BUILDSPEC, scan_buildspec
from .cdk import scan_cdk_json
from .context import Scan, is_test_path
from .limits import MAX_COMPANIONS
from .copilot import COPILOT_MANIFEST, scan_copilot_manifest
from .jenkinsfile import JENKINSFILE, scan_jenkinsfile
from .sam import SAMCONFIG_NAMES, scan_samconfig
from .serverless import SERVERLESS_NAMES, scan_serverless_config
from .taskdef import TASKDEF_NAME, scan_taskdef
from .templates import (
    BARE_TEMPLATE_NAME,
    TEMPLATE_NAME,
    in_template_folder,
    scan_template,
    scan_template_if_aws,
)
from .workflows import ACTION_PATH, WORKFLOW_PATH

Reader = Callable[[Scan, str, str], None]


def reader_for(path: str, taskdefs: Collection[str] = ()) -> Reader | None:
    """What reads a companion file of this path; ``taskdefs``: files the ECS deploy action named
    as task definitions, whatever their names (the first rule that matches wins)."""
    if is_test_path(path) or WORKFLOW_PATH.match(path) or ACTION_PATH.match(path):
        return None  # test data and examples deploy nothing; a workflow named serverless.yml is a workflow
    base = posixpath.basename(path)
    if base in SAMCONFIG_NAMES:
        return scan_samconfig
    if base in SERVERLESS_NAMES:
        return scan_serverless_config
    if TASKDEF_NAME.search(base) or path in taskdefs:
        return scan_taskdef
    if TEMPLATE_NAME.match(base):
        return scan_template
    if base == "cdk.json":
        return scan_cdk_json
    if COPILOT_MANIFEST.match(path):
        return scan_copilot_manifest
    if JENKINSFILE.match(base):
        return scan_jenkinsfile
    if BUILDSPEC.match(base):
        return scan_buildspec
    if BARE_TEMPLATE_NAME.match(base) or in_template_folder(path):
        return scan_template_if_aws
    return None


def scan_companions(scan: Scan) -> None:
    """Read each companion file no workflow command already read, in path order, at most MAX_COMPANIONS
    (a repository of thousands of service folders is read in part, with a warning)."""
    read = 0
    for path in sorted(scan.files):
        if path in scan.used:  # grows as we go: a cdk.json marks its app file used
            continue
        reader = reader_for(path, scan.taskdefs)
        if reader is not None:
            if read == MAX_COMPANIONS:
                scan.too_large(path, 1, f"more than {MAX_COMPANIONS} companion files; this one and the rest "
                                        "were not read")
                return
            read += 1
            reader(scan, path, scan.files[path])
