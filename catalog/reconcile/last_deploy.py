"""Each entry's last deploy: when, by whom, which commit or image, where, and the evidence it comes from.

GitHub's evidence wins when there is any, because it says who deployed which commit: the latest successful
deployment of the repository to each environment (``github_deployment``) and the latest successful run of
each of its deploy workflows (``github_actions``). Without it, the AWS resources speak: an ECS service's
running deployment (``ecs``: when it started, the task definition revision and the image tag) or a Lambda
function's last modification (``lambda``). Within the chosen side the newest wins; a tie goes to the order of
``SOURCES``. In a repository with several deploy workflows, only the runs of the workflows whose deploy
targets name one of the entry's resources count, when any does.

Pure and deterministic: a record is plain data (``FIELDS``, every key always present) and the same facts give
the same record, so it can live in the draft's fingerprint.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable

from catalog.reconcile import classify
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.types import FactView
from discovery.facts import (
    CFN_STACK, ECS_SERVICE, GH_DEPLOY_TARGET, GH_DEPLOYMENT, GH_WORKFLOW_RUN, LAMBDA_FUNCTION,
)

SOURCES = ("github_deployment", "github_actions", "ecs", "lambda")
GITHUB_SOURCES = frozenset(SOURCES[:2])
FIELDS = ("at", "by", "sha", "ref", "image_tag", "environment", "source", "url", "revision", "resource")
# What identifies a deploy: a change in any of these is a new last deploy (a discovery event).
IDENTITY = ("source", "at", "sha", "image_tag", "revision", "environment")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _iso(value: Any) -> str | None:
    parsed = parse_time(value)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def image_tag(image: Any) -> str | None:
    """``.../payment-gateway:1.4.2`` -> ``1.4.2``; a digest reference -> its digest; no tag -> ``latest``."""
    if not isinstance(image, str) or not image:
        return None
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return last.split("@", 1)[1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def revision(task_definition: Any) -> str | None:
    """``arn:...:task-definition/payment-gateway:3`` -> ``payment-gateway:3``."""
    text = _str(task_definition)
    return text.rsplit("task-definition/", 1)[-1] if text else None


def record(source: str, **values: Any) -> dict[str, Any]:
    out = dict.fromkeys(FIELDS)
    out.update({k: v for k, v in values.items() if k in out})
    out["source"] = source
    out["at"] = _iso(out["at"])
    return out


def newest(records: Iterable[dict | None]) -> dict | None:
    """The newest record; GitHub's before the resources' when there are both; ties in the order of SOURCES.
    A record that says nothing (no time, commit, image or revision) is no last deploy."""
    records = [r for r in records if r and any(r.get(f) for f in ("at", "sha", "image_tag", "revision"))]
    if not records:
        return None
    github = [r for r in records if r.get("source") in GITHUB_SOURCES]
    pool = github or records
    epoch = datetime.min.replace(tzinfo=timezone.utc)

    def key(r: dict) -> tuple:
        source = r.get("source")
        rank = SOURCES.index(source) if source in SOURCES else len(SOURCES)
        return (-(parse_time(r.get("at")) or epoch).timestamp(), rank,
                tuple(str(r.get(f) or "") for f in FIELDS))
    return min(pool, key=key)


def changed(old: dict | None, new: dict | None) -> bool:
    """Whether the last deploy is another one (not merely described differently)."""
    pick = (lambda r: tuple((r or {}).get(f) for f in IDENTITY))
    return pick(old) != pick(new)


class LastDeploys:
    """Finds the last deploy of an entry from the facts of one reconcile."""

    def __init__(self, ix: ResourceIndex):
        self.deployments: dict[str, list[FactView]] = defaultdict(list)
        self.runs: dict[str, list[FactView]] = defaultdict(list)
        self.targets: dict[str, list[FactView]] = defaultdict(list)
        for kind, into in ((GH_DEPLOYMENT, self.deployments), (GH_WORKFLOW_RUN, self.runs),
                           (GH_DEPLOY_TARGET, self.targets)):
            for fact in ix.by_kind.get(kind, ()):
                repo = _str((fact.attributes or {}).get("repo"))
                if repo:
                    into[repo.lower()].append(fact)

    def for_entry(self, repo: FactView | None, members: Iterable[FactView]) -> dict | None:
        members = list(members)
        github: list[dict] = []
        if repo is not None:
            full_name = str((repo.attributes or {}).get("full_name") or f"{repo.account}/{repo.name}").lower()
            github = [self._deployment(f) for f in self.deployments.get(full_name, ())]
            github += [self._run(f) for f in self._runs_of(full_name, members)]
        aws = [self._ecs(f) for f in members if f.kind == ECS_SERVICE]
        aws += [self._lambda(f) for f in members if f.kind == LAMBDA_FUNCTION]
        return newest(github + aws)

    def _runs_of(self, full_name: str, members: list[FactView]) -> list[FactView]:
        runs = self.runs.get(full_name, [])
        names = {m.name.lower() for m in members if m.kind in (CFN_STACK, ECS_SERVICE, LAMBDA_FUNCTION)}
        mine = {str((t.attributes or {}).get("path") or "") for t in self.targets.get(full_name, ())
                if t.name.lower() in names}
        narrowed = [r for r in runs if (r.attributes or {}).get("workflow") in mine]
        return narrowed or runs

    @staticmethod
    def _deployment(fact: FactView) -> dict:
        a = fact.attributes or {}
        return record("github_deployment", at=a.get("deployed_at") or a.get("created_at"), by=_str(a.get("actor")),
                      sha=_str(a.get("sha")), ref=_str(a.get("ref")), environment=_str(a.get("environment")),
                      url=_str(a.get("url")))

    @staticmethod
    def _run(fact: FactView) -> dict:
        a = fact.attributes or {}
        return record("github_actions", at=a.get("created_at"), by=_str(a.get("actor")), sha=_str(a.get("head_sha")),
                      ref=_str(a.get("head_branch")), url=_str(a.get("url")))

    @staticmethod
    def _ecs(fact: FactView) -> dict:
        a = fact.attributes or {}
        images = a.get("images") if isinstance(a.get("images"), list) else []
        return record("ecs", at=a.get("deployed_at"), image_tag=image_tag(images[0]) if images else None,
                      revision=revision(a.get("task_definition")), environment=classify.env_of_fact(fact),
                      resource=fact.external_id)

    @staticmethod
    def _lambda(fact: FactView) -> dict:
        a = fact.attributes or {}
        return record("lambda", at=a.get("last_modified"), environment=classify.env_of_fact(fact),
                      resource=fact.external_id)
