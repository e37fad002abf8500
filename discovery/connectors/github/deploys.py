"""What a repository last deployed, from GitHub: the latest successful deployment per environment (with the
status that made it so) and the latest successful run of each deploy workflow on the default branch.

Asked only of repositories with deploy workflows (``deploy_targets`` found them), few and small requests each:
one page of ``per_page=DEPLOYMENTS_PAGE`` deployments; one status page of one item for the newest deployment
of each environment (and the one before it when that failed); one run of each deploy workflow. Every request
is conditional (the client's ETags), so a later scan of an unchanged repository costs only 304s, which GitHub
does not count against the rate limit.

A repository GitHub will not tell us about (no permission, Actions disabled, an answer we cannot read) costs a
warning, never the job, and keeps what earlier scans found (its deploy facts are marked seen, not re-read); so
does an environment whose newest deployments all failed. Once the REST rate limit runs out, the rest of the job
reads no more deploys. The parsing functions are total: any JSON in, facts or nothing out.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable
from urllib.parse import quote

from discovery import facts
from discovery.connectors.github.deploy_targets import WORKFLOW_PATH
from discovery.connectors.github.errors import GithubFailure

OPERATION_DEPLOYMENTS = "github:ListDeployments"
OPERATION_RUNS = "github:ListWorkflowRuns"
DEPLOYS_UNREADABLE = "deploys_unreadable"
DEPLOYMENTS_PAGE = 10      # newest first: enough for a few environments
MAX_ENVIRONMENTS = 4       # environments whose status is asked, newest deployment first
MAX_TRIES_PER_ENVIRONMENT = 2
MAX_DEPLOY_WORKFLOWS = 3
MAX_TEXT = 200             # cap on any string kept from GitHub's answers
FATAL = frozenset({"bad_credentials", "endpoint_refused"})  # the job cannot go on anyway


def deploy_workflows(batch_facts: Iterable[facts.FactRecord]) -> list[str]:
    """The workflow files a repository's deploy targets were found in (at most MAX_DEPLOY_WORKFLOWS)."""
    paths = {str((f.attributes or {}).get("path") or "") for f in batch_facts if f.kind == facts.GH_DEPLOY_TARGET}
    return sorted(p for p in paths if WORKFLOW_PATH.match(p))[:MAX_DEPLOY_WORKFLOWS]


def deployment_id(org: str, repo: str, environment: str) -> str:
    # quoted: an environment named "prod/eu" must not sit under the one named "prod" (discovery.store.touch)
    return facts.github_id(facts.GH_DEPLOYMENT, org, repo, quote(environment, safe=""))


def run_id(org: str, repo: str, workflow: str) -> str:
    return facts.github_id(facts.GH_WORKFLOW_RUN, org, repo, quote(workflow.rsplit("/", 1)[-1], safe=""))


def _text(value: Any) -> str | None:
    return value[:MAX_TEXT] if isinstance(value, str) and value else None


def _login(user: Any) -> str | None:
    return _text(user.get("login")) if isinstance(user, dict) else None


def _web_url(value: Any) -> str | None:
    """A link people may follow from the console: http(s) only, never one carrying credentials."""
    text = _text(value)
    if not text or not text.lower().startswith(("https://", "http://")) or "@" in text.split("/", 3)[2]:
        return None
    return text


def newest_per_environment(deployments: Any) -> dict[str, list[dict]]:
    """Deployments by environment, newest first (GitHub lists them newest first; kept as given)."""
    out: dict[str, list[dict]] = {}
    for d in deployments if isinstance(deployments, list) else []:
        if not isinstance(d, dict) or not isinstance(d.get("id"), int) or not _text(d.get("environment")):
            continue
        if len(out) >= MAX_ENVIRONMENTS and d["environment"] not in out:
            continue
        tries = out.setdefault(d["environment"][:MAX_TEXT], [])
        if len(tries) < MAX_TRIES_PER_ENVIRONMENT:
            tries.append(d)
    return out


def deployment_fact(org: str, repo: str, deployment: dict, status: dict, repo_url: str | None = None
                    ) -> facts.FactRecord | None:
    """The fact of a repository's latest successful deployment to one environment, or None."""
    env = _text(deployment.get("environment")) if isinstance(deployment, dict) else None
    if not env or not isinstance(status, dict) or status.get("state") != "success":
        return None
    url = _web_url(status.get("log_url")) or _web_url(status.get("target_url")) or \
        _web_url(status.get("environment_url"))
    if url is None and _web_url(repo_url):
        url = f"{repo_url.rstrip('/')}/deployments/{quote(env, safe='')}"
    return facts.FactRecord(
        kind=facts.GH_DEPLOYMENT, external_id=deployment_id(org, repo, env), name=env,
        account=org, operation=OPERATION_DEPLOYMENTS,
        attributes={
            "repo": f"{org}/{repo}", "environment": env, "deployment_id": deployment.get("id"),
            "sha": _text(deployment.get("sha")), "ref": _text(deployment.get("ref")),
            "task": _text(deployment.get("task")), "actor": _login(deployment.get("creator")),
            "created_at": _text(deployment.get("created_at")), "state": "success",
            "deployed_at": _text(status.get("created_at")) or _text(deployment.get("created_at")), "url": url,
        })


def workflow_run_fact(org: str, repo: str, workflow: str, run: Any) -> facts.FactRecord | None:
    """The fact of the latest successful run of one deploy workflow, or None."""
    if not isinstance(run, dict) or not isinstance(run.get("id"), int) or run.get("conclusion") != "success":
        return None
    file_name = workflow.rsplit("/", 1)[-1]
    return facts.FactRecord(
        kind=facts.GH_WORKFLOW_RUN, external_id=run_id(org, repo, workflow),
        name=file_name, account=org, operation=OPERATION_RUNS,
        attributes={
            "repo": f"{org}/{repo}", "workflow": workflow, "workflow_name": _text(run.get("name")),
            "run_id": run["id"], "run_number": run.get("run_number") if isinstance(run.get("run_number"), int)
            else None, "head_sha": _text(run.get("head_sha")), "head_branch": _text(run.get("head_branch")),
            "event": _text(run.get("event")), "status": _text(run.get("status")), "conclusion": "success",
            "actor": _login(run.get("triggering_actor")) or _login(run.get("actor")),
            "created_at": _text(run.get("run_started_at")) or _text(run.get("created_at")),
            "url": _web_url(run.get("html_url")),
        })


def known_deploys(repos: Iterable[tuple], targets: Iterable[tuple]) -> dict[str, tuple]:
    """``GithubScanState.known_deploys`` from stored facts: ``repos`` as (name, default branch, url) of the
    repository facts, ``targets`` as (repo "org/name", path) of the deploy target facts."""
    workflows: dict[str, set[str]] = {}
    for full_name, path in targets:
        if isinstance(full_name, str) and isinstance(path, str) and WORKFLOW_PATH.match(path):
            workflows.setdefault(full_name.rsplit("/", 1)[-1], set()).add(path)
    return {name: (branch or None, url or None, tuple(sorted(workflows[name])[:MAX_DEPLOY_WORKFLOWS]))
            for name, branch, url in repos if name in workflows}


class DeployReader:
    """Reads the deploys of one repository per call; calls may run in threads (``GithubClient`` is thread-safe)."""

    def __init__(self, client: Any, org: str):
        self.client = client
        self.org = org
        self.exhausted = False  # the REST budget ran out: read no more deploys in this job

    def read(self, repo: str, default_branch: str | None, workflows: list[str], repo_url: str | None = None,
             ) -> facts.Batch:
        batch = facts.Batch()
        if self.exhausted or not workflows:
            return batch
        base = f"/repos/{quote(self.org, safe='')}/{quote(repo, safe='')}"
        item = f"{self.org}/{repo}"
        try:
            deployments = self._get(f"{base}/deployments", {"per_page": DEPLOYMENTS_PAGE}, item)
            for env, tries in newest_per_environment(deployments).items():
                for deployment in tries:
                    statuses = self._get(f"{base}/deployments/{deployment['id']}/statuses", {"per_page": 1}, item)
                    status = statuses[0] if isinstance(statuses, list) and statuses else None
                    fact = deployment_fact(self.org, repo, deployment, status, repo_url)
                    if fact is not None:
                        batch.facts.append(fact)
                        break
                else:  # its newest deployments did not succeed: the success an earlier scan saw still stands
                    batch.touched.append(deployment_id(self.org, repo, env))
            for workflow in workflows:
                params = {"status": "success", "per_page": 1, "exclude_pull_requests": "true"}
                if default_branch:
                    params["branch"] = default_branch
                body = self._get(f"{base}/actions/workflows/{quote(workflow.rsplit('/', 1)[-1], safe='')}/runs",
                                 params, item)
                runs = body.get("workflow_runs") if isinstance(body, dict) else None
                fact = workflow_run_fact(self.org, repo, workflow, runs[0] if isinstance(runs, list) and runs
                                         else None)
                if fact is not None:
                    batch.facts.append(fact)
        except GithubFailure as exc:
            if exc.reason_code in FATAL:
                raise
            if exc.reason_code == "rate_limited":
                self.exhausted = True
            batch.touched += [facts.github_id(kind, self.org, repo) for kind in (facts.GH_DEPLOYMENT,
                                                                                facts.GH_WORKFLOW_RUN)]
            batch.warnings.append({"reason_code": DEPLOYS_UNREADABLE, "item": item,
                                   "message": f"deploy history not read ({exc.reason_code}): {exc.message}"[:300]})
        return batch

    def _get(self, path: str, params: dict, item: str) -> Any:
        return self.client.rest(path, params=params, item=item)


def read_all(reader: DeployReader, wanted: list[tuple[str, str | None, list[str], str | None]],
             pool_map: Callable[[Callable, list], Iterable[facts.Batch]] = map) -> facts.Batch:
    """The deploys of many repositories as one batch; ``pool_map`` may fan them out to threads."""
    out = facts.Batch()
    for batch in pool_map(lambda args: reader.read(*args), wanted):
        out.facts.extend(batch.facts)
        out.warnings.extend(batch.warnings)
        out.touched.extend(batch.touched)
    return out
