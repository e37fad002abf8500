"""Finding a repository's deploy targets: workflows first, then companion files, then repeats merged."""
from __future__ import annotations

from .companions import reader_for, scan_companions
from .context import INVALID_YAML, Scan
from .copilot import COPILOT_WORKSPACE
from .workflows import ACTION_PATH, WORKFLOW_PATH, scan_workflow

_MERGED_FIELDS = ("cluster", "stage", "account", "region")


def wanted_file(path: str) -> bool:
    """Whether ``find_deploy_targets`` reads a file of this path (for the connector to fetch).

    A CDK app's entry file is named inside ``cdk.json`` (its ``app`` command), so it can only be
    asked for once ``cdk.json`` has been read."""
    return bool(WORKFLOW_PATH.match(path) or ACTION_PATH.match(path) or reader_for(path) is not None
                or path == COPILOT_WORKSPACE)


def find_deploy_targets(files: dict[str, str | None], *, repo: str | None = None) -> tuple[list[dict], list[dict]]:
    """Deploy targets declared by a repository's files.

    ``files``: path -> text (None for unreadable files, skipped). ``repo``: "org/name", used for
    ``github.repository`` expressions. Returns (targets, warnings): each target has TARGET_FIELDS;
    each warning is {"reason_code", "path", "line", "message"}. Never raises."""
    scan = Scan(files or {}, repo)
    for path in sorted(scan.files):
        if WORKFLOW_PATH.match(path) or ACTION_PATH.match(path):
            try:
                scan_workflow(scan, path, scan.files[path])
            except RecursionError:
                scan.warn(INVALID_YAML, path, 1, "workflow nests too deeply to read")
    try:
        scan_companions(scan)
    except RecursionError:
        scan.warn(INVALID_YAML, "", 1, "a companion file nests too deeply to read")
    return merge(scan.targets), scan.warnings


def merge(targets: list[dict]) -> list[dict]:
    """Drop repeats: a target equal to an earlier one, or one that only adds what the earlier lacked."""
    merged: list[dict] = []
    by_name: dict[tuple[str, str], list[dict]] = {}  # only same kind and name can merge: no all-pairs pass
    for target in targets:
        same = by_name.setdefault((target["target_kind"], target["name"]), [])
        for seen in same:
            if all(seen[f] is None or target[f] is None or seen[f] == target[f] for f in _MERGED_FIELDS):
                for f in _MERGED_FIELDS:
                    seen[f] = seen[f] or target[f]
                break
        else:
            merged.append(dict(target))
            same.append(merged[-1])
    return merged
