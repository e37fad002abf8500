"""Run one GitHub job of a discovery: ``github_teams`` (org, members, teams) or ``github_repos``.

Repositories come in GraphQL pages of up to 50 with their files and recent commits in the same query;
those with deploy workflows then get their last deploys over REST (``deploys.py``, a few conditional
requests each, a few repositories at a time). An incremental run (the same selection succeeded before) lists
repositories cheaply first and only fetches those whose pushedAt changed; the rest are marked as seen without
being read again, but their deploys are asked again (a deploy needs no push) when ``known_deploys`` names them.

Plain code: what it needs from earlier runs comes in a ``GithubScanState`` that the executor reads from the
database and the cache (``discovery.scan_state``), and what is worth keeping goes back through ``learned()``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator

from discovery import endpoints
from discovery.connectors.github import queries
from discovery.connectors.github.auth import resolve_token
from discovery.connectors.github.client import GITHUB_COUNTS, BadGateway, EtagStore, GithubClient, refused
from discovery.connectors.github.deploys import DeployReader, deploy_workflows, read_all
from discovery.connectors.github.errors import GithubFailure
from discovery.connectors.github.repo_facts import repo_batch, team_batch
from discovery import facts as k
from discovery.facts import Batch, github_id

PERMISSIONS = {"ADMIN": "admin", "MAINTAIN": "maintain", "WRITE": "push", "TRIAGE": "triage", "READ": "pull"}
MAX_PAGE = 50
MIN_PAGE = 5
DEPLOY_READERS = 4  # repositories whose deploys are read at once (the client allows 8 requests in flight)


@dataclass(frozen=True)
class GithubScanState:
    """Everything one GitHub job needs: the connection's config and secret, and what earlier runs left."""

    config: dict
    secret: dict
    scanner: str                                   # "github_teams" or "github_repos"
    selected_repos: frozenset[str] = frozenset()   # the run's selection (name or owner/name); empty: all
    # github_teams: teams were read in full recently enough to trust them without asking again.
    teams_read_recently: bool = False
    # github_repos: pushedAt per repository name as of the last successful run of this selection, when a
    # recent enough full read backs it; None: read every repository.
    known_pushed_at: dict[str, str] | None = None
    # Conditional requests: request key -> (etag, body, next link), as learned by earlier jobs.
    etags: dict[str, tuple] = field(default_factory=dict)
    # github_repos, incremental: repositories an earlier scan found deploy workflows in, by name ->
    # (default branch, web URL, workflow paths); their deploys are read even when nothing was pushed.
    known_deploys: dict[str, tuple] = field(default_factory=dict)


class GithubJobScanner:
    def __init__(self, state: GithubScanState):
        self.state = state
        self.config = state.config
        self.org = self.config["org"]
        try:
            # Checked again here, not only in the API: config written through the admin or a shell must not
            # send the token (or the App JWT, in resolve_token) anywhere the operator did not allow.
            base_url = endpoints.github_api_base(self.config)
        except endpoints.EndpointRefused as exc:
            raise refused(exc, self.org) from None
        self.etags = EtagStore(state.etags)
        self.client = GithubClient(base_url, resolve_token(self.config, state.secret), etag_cache=self.etags)
        self.deploys = DeployReader(self.client, self.org)
        self.skipped_unchanged = 0
        self.skipped_excluded = 0
        self.mode = "full"

    def stats(self) -> dict:
        stats = self.client.stats.as_dict()
        return {"retries": stats["retries"], "throttled": stats["throttled"], "wait_seconds": stats["wait_seconds"],
                "extra": {"requests": stats["api_calls"], **{name: stats.get(name, 0) for name in GITHUB_COUNTS},
                          "repos_unchanged": self.skipped_unchanged, "repos_excluded": self.skipped_excluded,
                          "mode": self.mode}}

    def learned(self) -> dict:
        """What the executor keeps for the next job of this connection: the ETags learned in this one."""
        return {"etags": dict(self.etags.learned)}

    def batches(self) -> Iterator[Batch]:
        try:
            if self.state.scanner == "github_teams":
                yield from self._teams()
            else:
                yield from self._repos()
        except GithubFailure as exc:
            exc.stats = self.stats()
            raise

    # --- teams ---------------------------------------------------------------
    def _teams(self) -> Iterator[Batch]:
        if self.state.teams_read_recently:
            self.mode = "incremental"
            yield Batch(touched=[github_id(k.GH_ORG, self.org), github_id(k.GH_TEAM, self.org), "github:user"])
            return
        # The org itself over REST, conditionally: a 304 costs nothing and proves the org is visible.
        self.client.rest(f"/orgs/{self.org}", item=self.org)
        members = [m for page in self._pages(queries.MEMBERS, "membersWithRole") for m in page]
        teams = []
        for page in self._pages(queries.TEAMS, "teams", first=MAX_PAGE):
            for node in page:
                teams.append({
                    "slug": node["slug"], "name": node.get("name"), "description": node.get("description") or "",
                    "parent": (node.get("parentTeam") or {}).get("slug"),
                    "members": [m["login"] for m in self._team_members(node)],
                    "repos": {e["node"]["name"]: PERMISSIONS.get(e.get("permission"), "pull")
                              for e in self._team_repos(node)},
                })
        before = self.client.stats.as_dict()["api_calls"]
        batch = team_batch(self.org, teams, [{"login": m["login"], "name": m.get("name"), "email": m.get("email")}
                                             for m in members])
        batch.api_calls = before
        yield batch

    def _pages(self, query: str, connection_name: str, first: int | None = None) -> Iterator[list]:
        """Pages of an org connection; with ``first``, the page halves whenever GitHub answers 502."""
        cursor = None
        while True:
            sizing = {"first": first} if first else {}
            try:
                data = self.client.query(query, {"org": self.org, "cursor": cursor, **sizing}, item=self.org)
            except BadGateway:
                if not first or first <= MIN_PAGE:
                    raise GithubFailure("unexpected_response", "GitHub answered 502 even for small pages", self.org)
                first = max(MIN_PAGE, first // 2)
                self.client.stats.add(page_halvings=1)
                continue
            org = data.get("organization")
            if org is None:
                raise GithubFailure("org_not_found", f"organization {self.org} not found", self.org)
            conn = org[connection_name]
            yield conn.get("nodes") or []
            if not conn["pageInfo"]["hasNextPage"]:
                return
            cursor = conn["pageInfo"]["endCursor"]

    def _nested(self, node: dict, field: str, query: str, key: str) -> list:
        conn = node.get(field) or {}
        items = list(conn.get(key) or [])
        info = conn.get("pageInfo") or {}
        while info.get("hasNextPage"):
            data = self.client.query(query, {"org": self.org, "slug": node["slug"], "cursor": info["endCursor"]})
            conn = data["organization"]["team"][field]
            items.extend(conn.get(key) or [])
            info = conn["pageInfo"]
        return items

    def _team_members(self, node):
        return self._nested(node, "members", queries.TEAM_MEMBERS_PAGE, "nodes")

    def _team_repos(self, node):
        return self._nested(node, "repositories", queries.TEAM_REPOS_PAGE, "edges")

    # --- repositories ----------------------------------------------------------
    def _wanted(self, node: dict) -> bool:
        if node.get("isArchived") and not self.config.get("include_archived"):
            return False
        if node.get("isFork") and not self.config.get("include_forks"):
            return False
        only = self.state.selected_repos
        return not only or node["name"] in only or node.get("nameWithOwner") in only

    def _repos(self) -> Iterator[Batch]:
        known = self.state.known_pushed_at
        if known is None:
            yield from self._full_scan()
        else:
            self.mode = "incremental"
            yield from self._incremental_scan(known)

    def _full_scan(self) -> Iterator[Batch]:
        cursor, first = None, MAX_PAGE
        while True:
            calls = self.client.stats.api_calls
            try:
                data = self.client.query(queries.REPOS_FULL, {"org": self.org, "first": first, "cursor": cursor},
                                         item=self.org)
            except BadGateway:
                if first <= MIN_PAGE:
                    raise GithubFailure("unexpected_response", "GitHub answered 502 even for small pages", self.org)
                first = max(MIN_PAGE, first // 2)  # GitHub times out on expensive pages: ask for less
                self.client.stats.add(page_halvings=1)
                continue
            org = data.get("organization")
            if org is None:
                raise GithubFailure("org_not_found", f"organization {self.org} not found", self.org)
            conn = org["repositories"]
            yield self._batch_for(conn.get("nodes") or [], self.client.stats.api_calls - calls)
            if not conn["pageInfo"]["hasNextPage"]:
                return
            cursor = conn["pageInfo"]["endCursor"]

    def _incremental_scan(self, known: dict[str, str]) -> Iterator[Batch]:
        """Read repositories newest push first and stop at the previous run's watermark: a push moves a
        repository to the front, so everything after the watermark is unchanged."""
        watermark = max((p for p in known.values() if p), default="")
        changed, seen = [], set()
        cursor = None
        while True:
            data = self.client.query(queries.REPOS_LIST, {"org": self.org, "cursor": cursor}, item=self.org)
            org = data.get("organization")
            if org is None:
                raise GithubFailure("org_not_found", f"organization {self.org} not found", self.org)
            conn = org["repositories"]
            reached = False
            for node in conn.get("nodes") or []:
                pushed = node.get("pushedAt") or ""
                if pushed and pushed <= watermark and node["name"] in known:
                    reached = True
                    break
                seen.add(node["name"])
                if not self._wanted(node):
                    self.skipped_excluded += 1
                elif known.get(node["name"]) != pushed:
                    changed.append(node["id"])
            if reached or not conn["pageInfo"]["hasNextPage"]:
                break
            cursor = conn["pageInfo"]["endCursor"]
        unchanged = [name for name in known if name not in seen]
        self.skipped_unchanged = len(unchanged)
        touched = [prefix for name in unchanged for prefix in _repo_prefixes(self.org, name)]
        yield Batch(touched=touched, api_calls=self.client.stats.api_calls)
        redeployable = [(name, *self.state.known_deploys[name]) for name in unchanged
                        if name in self.state.known_deploys]
        if redeployable:
            calls = self.client.stats.api_calls
            batch = self._read_deploys([(name, branch, list(paths), url) for name, branch, url, paths in redeployable])
            batch.api_calls = self.client.stats.api_calls - calls
            yield batch
        step = MAX_PAGE
        i = 0
        while i < len(changed):
            calls = self.client.stats.api_calls
            try:
                data = self.client.query(queries.REPOS_BY_ID, {"ids": changed[i:i + step]}, item=self.org)
            except BadGateway:
                if step <= MIN_PAGE:
                    raise GithubFailure("unexpected_response", "GitHub answered 502 even for small pages", self.org)
                step = max(MIN_PAGE, step // 2)
                self.client.stats.add(page_halvings=1)
                continue
            yield self._batch_for([n for n in data.get("nodes") or [] if n], self.client.stats.api_calls - calls)
            i += step

    def _batch_for(self, nodes: list[dict], api_calls: int) -> Batch:
        batch = Batch(api_calls=api_calls)
        deploy_sources = []
        for node in nodes:
            if not self._wanted(node):
                self.skipped_excluded += 1
                continue
            repo = repo_input(node)
            repo_facts = repo_batch(self.org, repo)
            batch.facts.extend(repo_facts.facts)
            batch.links.extend(repo_facts.links)
            batch.warnings.extend(repo_facts.warnings)
            workflows = deploy_workflows(repo_facts.facts)
            if workflows:
                deploy_sources.append((repo["name"], repo["default_branch"] or None, workflows, repo["url"] or None))
        if deploy_sources:
            calls = self.client.stats.api_calls
            deploys = self._read_deploys(deploy_sources)
            batch.facts.extend(deploys.facts)
            batch.warnings.extend(deploys.warnings)
            batch.touched.extend(deploys.touched)
            batch.api_calls += self.client.stats.api_calls - calls
        return batch

    def _read_deploys(self, sources: list[tuple]) -> Batch:
        with ThreadPoolExecutor(DEPLOY_READERS, thread_name_prefix="github-deploys") as pool:
            return read_all(self.deploys, sources, pool.map)


def _repo_prefixes(org: str, name: str) -> list[str]:
    return [github_id(kind, org, name) for kind in k.REPO_KINDS]


def _tree_files(entries: list[dict]) -> Iterator[dict]:
    """Blob entries of a tree, one sub-folder level down too."""
    for entry in entries:
        obj = entry.get("object") or {}
        if "entries" in obj:
            yield from _tree_files(obj.get("entries") or [])
        elif "byteSize" in obj or "text" in obj:
            yield entry


def _blob(obj: dict | None):
    """Blob text, or bytes for binary content (GitHub gives no text for binary blobs)."""
    if not obj:
        return None
    if obj.get("isBinary") or obj.get("text") is None:
        return b"\x00binary"
    return obj["text"]


def repo_input(node: dict) -> dict:
    """The GraphQL repository node in the shape repo_facts.repo_batch expects."""
    files, truncated = {}, []
    for alias, path in queries.FILE_PATHS.items():
        value = _blob(node.get(alias))
        if value is not None:
            files[path] = value
            if (node.get(alias) or {}).get("isTruncated"):
                truncated.append(path)
    for alias in queries.TREE_PATHS:
        for entry in _tree_files((node.get(alias) or {}).get("entries") or []):
            obj = entry["object"]
            files[entry["path"]] = _blob(obj)
            if obj.get("isTruncated"):
                truncated.append(entry["path"])
    branch = node.get("defaultBranchRef") or {}
    history = ((branch.get("target") or {}).get("history") or {}).get("nodes") or []
    return {
        "name": node["name"],
        "description": node.get("description") or "",
        "url": node.get("url") or "",
        "primary_language": (node.get("primaryLanguage") or {}).get("name"),
        "languages": {e["node"]["name"]: e["size"] for e in ((node.get("languages") or {}).get("edges") or [])},
        "topics": [n["topic"]["name"] for n in ((node.get("repositoryTopics") or {}).get("nodes") or [])],
        "archived": bool(node.get("isArchived")),
        "fork": bool(node.get("isFork")),
        "default_branch": branch.get("name") or "",
        "pushed_at": node.get("pushedAt"),
        "files": files,
        "truncated_files": truncated,
        "commits": [
            {"login": ((c.get("author") or {}).get("user") or {}).get("login"),
             "email": (c.get("author") or {}).get("email"), "date": c.get("committedDate")}
            for c in history
        ],
    }

