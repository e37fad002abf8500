"""AWS Copilot: ``copilot [svc|job] deploy`` and the workspace's service manifests.

A deploy of service S to environment E of application A (``copilot/.workspace``) is the stack
``{A}-{E}-{S}`` and the image repository ``{A}/{S}``. A manifest no workflow deployed yields its
image repository and a stack per environment it overrides (the only environments it names)."""
from __future__ import annotations

import re

from .context import CFN_STACK, ECR_IMAGE, INVALID_YAML, UNRESOLVED, Scan, Step
from .lines import line_of
from .safe_yaml import load_tolerant
from .shell import opt, opts_of

COPILOT_WORKSPACE = "copilot/.workspace"
COPILOT_MANIFEST = re.compile(r"^copilot/([^/]+)/manifest\.ya?ml$")
_COPILOT_FLAGS = {"--force", "--detach", "--no-rollback", "--allow-downgrade"}


def copilot(scan: Scan, args: list[str], path: str, line: int, step: Step, cwd: str) -> None:
    """``copilot [svc|job] deploy --name S --env E``: stack {app}-{env}-{svc}, image repo {app}/{svc}."""
    if args[:1] in (["svc"], ["job"]):
        args = args[1:]
    opts, pos = opts_of(args, _COPILOT_FLAGS)
    if pos[:1] != ["deploy"]:
        return
    app = opt(opts, "--app", "-a") or copilot_app(scan)
    name = opt(opts, "--name", "-n")
    manifests = _manifests(scan)
    if name is None and len(manifests) == 1:
        name = next(iter(manifests))  # copilot picks the workspace's only service itself
    env = opt(opts, "--env", "-e")
    if not name or not app or not env:
        missing = "--name" if not name else "an application in copilot/.workspace" if not app else "--env"
        scan.warn(UNRESOLVED, path, line, f"copilot deploy without {missing}; stack name unknown")
        if not (name and app):
            return
    if name in manifests:
        scan.used.add(manifests[name])
    scan.add(ECR_IMAGE, f"{app}/{name}", path, line, "copilot", step=step)
    if env:
        scan.add(CFN_STACK, f"{app}-{env}-{name}", path, line, "copilot", step=step, stage=env)


def _manifests(scan: Scan) -> dict[str, str]:
    """Service name -> manifest path, for the whole workspace (once per scan)."""
    memo = scan.memo("copilot")
    if "manifests" not in memo:
        memo["manifests"] = {m.group(1): m.group(0) for m in map(COPILOT_MANIFEST.match, sorted(scan.files)) if m}
    return memo["manifests"]


def copilot_app(scan: Scan) -> str | None:
    """The application named in ``copilot/.workspace`` (once per scan)."""
    memo = scan.memo("copilot")
    if "app" not in memo:
        m = re.search(r"^application\s*:\s*['\"]?([\w-]+)", scan.files.get(COPILOT_WORKSPACE) or "", re.M)
        memo["app"] = m.group(1) if m else None
    return memo["app"]


def scan_copilot_manifest(scan: Scan, path: str, text: str) -> None:
    """A Copilot service not deployed by a workflow: its image repository, and a stack per
    environment the manifest overrides (the only environments it names)."""
    app = copilot_app(scan)
    try:
        doc = load_tolerant(text)
    except Exception as exc:
        scan.warn(INVALID_YAML, path, 1, f"unreadable Copilot manifest: {exc}")
        return
    name = doc.get("name") if isinstance(doc, dict) else None
    if not app or not isinstance(name, str):
        return
    line = line_of(text, r"^name\s*:")
    scan.add(ECR_IMAGE, f"{app}/{name}", path, line, "copilot")
    envs = doc.get("environments")
    for env in envs if isinstance(envs, dict) else {}:
        scan.add(CFN_STACK, f"{app}-{env}-{name}", path, line, "copilot", stage=str(env))
