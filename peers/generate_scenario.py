"""Generate realistic ``roster-scenario/1`` companies (format: the shared FORMAT.md) with a correct truth.

Each style is a different kind of company, so discovery can't overfit to the bundled samples:

- ``serverless``: Serverless Framework and SAM apps, prod and dev stages in one account, Copilot containers.
- ``multi-account``: CDK apps deployed to dev / staging / prod (two regions) accounts, images in a shared ECR.
- ``users``: CODEOWNERS naming people and e-mails, nested teams, a monorepo, ownership only in commits/permissions.
- ``drift``: infra names drift from repo names, stale / conflicting / oddly spelled tags, github_repo tags.
- ``legacy``: archived and forked repos, Terraform-made infra without stacks, cron lambdas without repos.

The truth is built alongside the data: every owner it names is supported by signals in the data (tags,
CODEOWNERS, team permissions, catalog-info, commit authors), and by at least two of them when a
stale signal disagrees. ``python -m peers.generate_scenario --style S --name N --services K --seed X -o FILE``.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
from collections import Counter, namedtuple
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import yaml

FORMAT = "roster-scenario/1"
NOW = datetime(2026, 10, 20, 16, 0, tzinfo=timezone.utc)
SHA = "${{ github.sha }}"

Res = namedtuple("Res", "ref truth")  # ref: in-region ref for stacks/alarms; truth: kind:account/region/name

FIRST = ("ada alan alice amir ana ben bea carl chen dana dev eli emma eva finn gia hana ian ida ivan jade jon "
         "kai kim lea leo lin liv mae max mei mia nia noa olga omar pia raj ren rita sam sara tao tara tom uma "
         "ugo vera wen will xena yan yuri zoe zara bo cyd dom fay gus hal ike jas kip lou").split()
LAST = ("ng khan fox diaz novak kim muller berg costa eze wang li silva smith garcia kaur patel ito sato rossi "
        "dubois nagy horvat ali okafor mensah lund holm ortiz reyes park cho singh weber braun").split()
MESSAGES = (
    "fix: handle empty payload", "feat: add pagination", "chore(deps): bump aws-sdk", "refactor: split handler",
    "docs: update README", "test: cover retry path", "perf: cache lookups", "ci: pin action versions",
    "fix: retry on throttling", "feat: emit metrics", "chore: tidy logging", "fix: timezone bug",
    "build: upgrade runtime", "feat: add healthcheck", "fix: null check in mapper", "feat: new endpoint",
    "chore: bump base image", "test: flaky integration test", "fix: idempotency key", "refactor: config loading",
)
LANG_EXTRA = {"Python": "Shell", "TypeScript": "JavaScript", "JavaScript": "HTML", "Go": "Makefile",
              "Java": "Dockerfile", "Kotlin": "Java", "Ruby": "HTML", "C#": "PowerShell", "PHP": "Blade"}
RUNTIME_LANG = {"python": "Python", "nodejs": "TypeScript", "java": "Kotlin", "go": "Go", "provided": "Go",
                "ruby": "Ruby", "dotnet": "C#"}


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-_]", name) if p)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------- AWS side

class Region:
    """One account+region: resources are declared here and referenced by stacks and alarms."""

    def __init__(self, acct: str, name: str):
        self.acct, self.name = acct, name
        self.stacks: list[dict] = []
        self.clusters: dict[str, list[dict]] = {}
        self.lambdas: list[dict] = []
        self.apis: list[dict] = []
        self.dbs: list[dict] = []
        self.queues: list[dict] = []
        self.ecr: list[str] = []
        self.alarms: list[dict] = []

    def truth(self, kind: str, name: str) -> str:
        return f"{kind}:{self.acct}/{self.name}/{name}"

    def stack(self, name: str, tags: dict, refs: list[Res]) -> str:
        self.stacks.append({"name": name, "tags": dict(tags), "resources": [r.ref for r in refs]})
        return self.truth("stack", name)

    def ecs(self, cluster: str, name: str, image: str, tags: dict | None = None, desired: int = 1) -> Res:
        self.clusters.setdefault(cluster, []).append(
            {"name": name, "image": image, "desired_count": desired, "tags": dict(tags or {})})
        return Res(f"ecs:{cluster}/{name}", self.truth("ecs", name))

    def function(self, name: str, runtime: str, handler: str, tags: dict | None = None,
                 trigger: str | None = None) -> Res:
        fn = {"name": name, "runtime": runtime, "handler": handler, "tags": dict(tags or {})}
        if trigger:
            fn["sqs_trigger"] = trigger
        self.lambdas.append(fn)
        return Res(f"lambda:{name}", self.truth("lambda", name))

    def api(self, name: str, kind: str, integrations: list[str], tags: dict | None = None) -> Res:
        self.apis.append({"name": name, "type": kind, "tags": dict(tags or {}), "integrations": list(integrations)})
        return Res(f"api:{name}", self.truth("api", name))

    def db(self, ident: str, engine: str = "postgres", tags: dict | None = None) -> Res:
        self.dbs.append({"id": ident, "engine": engine, "tags": dict(tags or {})})
        return Res(f"rds:{ident}", self.truth("rds", ident))

    def queue(self, name: str, tags: dict | None = None) -> Res:
        self.queues.append({"name": name, "tags": dict(tags or {})})
        return Res(f"sqs:{name}", self.truth("sqs", name))

    def alarm(self, name: str, target: Res, state: str = "OK") -> None:
        self.alarms.append({"name": name, "state": state, "target": target.ref})

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name}
        parts = {
            "stacks": self.stacks,
            "ecs_clusters": [{"name": c, "services": s} for c, s in self.clusters.items()],
            "lambdas": self.lambdas, "apis": self.apis, "rds_instances": self.dbs, "sqs_queues": self.queues,
            "ecr_repositories": self.ecr, "alarms": self.alarms,
        }
        out.update({k: v for k, v in parts.items() if v})
        return out


# ------------------------------------------------------------------------------------------ file templates

def readme(title: str, what: str, *, badges: bool, repo: str, sections: str = "") -> str:
    text = f"# {title}\n\n"
    if badges:
        text += (f"[![ci](https://github.com/{repo}/actions/workflows/ci.yml/badge.svg)]"
                 f"(https://github.com/{repo}/actions/workflows/ci.yml)\n"
                 f"![coverage](https://img.shields.io/badge/coverage-{random.Random(repo).randint(55, 95)}%25-green)\n\n")
    text += f"{what}\n\n"
    text += "## Development\n\n```\nmake dev\nmake test\n```\n"
    return text + sections


def ci_workflow(lang: str | None) -> str:
    setup = {
        "Python": ("actions/setup-python@v5", "python-version: '3.12'", "pip install -r requirements.txt && pytest -q"),
        "Go": ("actions/setup-go@v5", "go-version: '1.22'", "go test ./..."),
        "Kotlin": ("actions/setup-java@v4", "distribution: temurin", "./gradlew test"),
        "Java": ("actions/setup-java@v4", "distribution: temurin", "./gradlew test"),
        "Ruby": ("ruby/setup-ruby@v1", "bundler-cache: true", "bundle exec rspec"),
        "C#": ("actions/setup-dotnet@v4", "dotnet-version: '8.0.x'", "dotnet test"),
        "PHP": ("shivammathur/setup-php@v2", "php-version: '8.3'", "composer install && vendor/bin/phpunit"),
    }
    action, with_, cmd = setup.get(lang or "", ("actions/setup-node@v4", "node-version: 20", "npm ci && npm test"))
    return ("name: ci\non:\n  pull_request:\n  push:\n    branches: [main]\njobs:\n  test:\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
            f"      - uses: {action}\n        with:\n          {with_}\n      - run: {cmd}\n")


def _aws_creds(acct: str, region: str, role: str = "github-deploy") -> str:
    return ("      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
            f"          role-to-assume: arn:aws:iam::{acct}:role/{role}\n          aws-region: {region}\n")


def _deploy_head() -> str:
    return ("name: deploy\non:\n  push:\n    branches: [main]\n  workflow_dispatch:\n"
            "permissions:\n  id-token: write\n  contents: read\njobs:\n")


def wf_ecs_action(acct: str, region: str, image_repo: str, service: str, cluster: str) -> str:
    uri = f"{acct}.dkr.ecr.{region}.amazonaws.com/{image_repo}"
    return _deploy_head() + (
        "  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        + _aws_creds(acct, region) +
        "      - uses: aws-actions/amazon-ecr-login@v2\n"
        f"      - run: docker build -t {uri}:{SHA} . && docker push {uri}:{SHA}\n"
        "      - id: render\n        uses: aws-actions/amazon-ecs-render-task-definition@v1\n        with:\n"
        "          task-definition: task-definition.json\n          container-name: app\n"
        f"          image: {uri}:{SHA}\n"
        "      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1\n        with:\n"
        "          task-definition: ${{ steps.render.outputs.task-definition }}\n"
        f"          service: {service}\n          cluster: {cluster}\n          wait-for-service-stability: true\n")


def wf_ecs_cli(targets: list[tuple[str, str, str, str]], image_repo: str, ecr: tuple[str, str]) -> str:
    """targets: (job, account, region, "cluster/service"); ecr: (account, region) that holds the image."""
    uri = f"{ecr[0]}.dkr.ecr.{ecr[1]}.amazonaws.com/{image_repo}"
    text = _deploy_head() + (
        "  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        + _aws_creds(ecr[0], ecr[1]) +
        "      - uses: aws-actions/amazon-ecr-login@v2\n"
        f"      - run: |\n          docker build -t {uri}:{SHA} .\n          docker push {uri}:{SHA}\n")
    for job, acct, region, target in targets:
        cluster, service = target.split("/")
        text += (f"  {job}:\n    needs: image\n    runs-on: ubuntu-latest\n    environment: {job.replace('deploy-', '')}\n"
                 "    steps:\n" + _aws_creds(acct, region) +
                 f"      - run: aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment\n")
    return text


def wf_lambda_cli(acct: str, region: str, functions: list[str], runtime: str) -> str:
    build = "npm ci && npm run build && cd dist && zip -r ../function.zip ." if runtime.startswith("node") \
        else "pip install -r requirements.txt -t build/ && cp -r src/* build/ && cd build && zip -r ../function.zip ."
    text = _deploy_head() + ("  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                             + _aws_creds(acct, region) + f"      - run: {build}\n")
    for fn in functions:
        text += f"      - run: aws lambda update-function-code --function-name {fn} --zip-file fileb://function.zip\n"
    return text


def wf_sam(targets: list[tuple[str, str, str, str]]) -> str:
    """targets: (job, account, region, stack name)."""
    text = _deploy_head()
    for job, acct, region, stack in targets:
        text += (f"  {job}:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                 "      - uses: aws-actions/setup-sam@v2\n" + _aws_creds(acct, region) +
                 "      - run: sam build --use-container\n"
                 f"      - run: sam deploy --stack-name {stack} --region {region} --no-confirm-changeset "
                 "--no-fail-on-empty-changeset --capabilities CAPABILITY_IAM --resolve-s3\n")
    return text


ENV_ORDER = {"dev": 0, "staging": 1, "prod": 2}  # pipelines promote dev -> staging -> prod


def wf_serverless(targets: list[tuple[str, str, str]]) -> str:
    """targets: (stage, account, region); dev deploys on every push, prod after it."""
    text = _deploy_head()
    prev = None
    for stage, acct, region in sorted(targets, key=lambda t: ENV_ORDER[t[0]]):
        job = f"deploy-{stage}" + ("" if region == "us-east-1" else f"-{region}")
        text += f"  {job}:\n    runs-on: ubuntu-latest\n"
        if prev:
            text += f"    needs: {prev}\n"
        text += (f"    environment: {stage}\n    steps:\n      - uses: actions/checkout@v4\n"
                 "      - uses: actions/setup-node@v4\n        with:\n          node-version: 20\n"
                 "      - run: npm ci\n" + _aws_creds(acct, region) +
                 f"      - run: npx serverless deploy --stage {stage}" +
                 ("" if region == "us-east-1" else f" --region {region}") + "\n")
        prev = job
    return text


def wf_cdk(targets: list[tuple[str, str, str, str]], image: tuple[str, str, str] | None, matrix: bool = False) -> str:
    """targets: (env, account, region, stack); image: (ecr account, region, repo) built before deploying.

    ``matrix`` writes one job over a matrix, so the stack names only appear in the matrix rows.
    """
    text = _deploy_head()
    needs = None
    if image:
        uri = f"{image[0]}.dkr.ecr.{image[1]}.amazonaws.com/{image[2]}"
        text += ("  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                 + _aws_creds(image[0], image[1], "ecr-push") +
                 "      - uses: aws-actions/amazon-ecr-login@v2\n"
                 f"      - run: docker build -t {uri}:{SHA} . && docker push {uri}:{SHA}\n")
        needs = "image"
    if matrix:
        rows = "".join(f"          - {{env: {e}, account: '{a}', region: {r}, stack: {st}}}\n"
                       for e, a, r, st in sorted(targets, key=lambda t: ENV_ORDER[t[0]]))
        return text + ("  deploy:\n    runs-on: ubuntu-latest\n" + (f"    needs: {needs}\n" if needs else "") +
                       "    strategy:\n      max-parallel: 1\n      matrix:\n        include:\n" + rows +
                       "    environment: ${{ matrix.env }}\n    steps:\n      - uses: actions/checkout@v4\n"
                       "      - run: npm ci\n        working-directory: infra\n"
                       "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
                       "          role-to-assume: arn:aws:iam::${{ matrix.account }}:role/github-deploy\n"
                       "          aws-region: ${{ matrix.region }}\n"
                       "      - run: npx cdk deploy ${{ matrix.stack }} --require-approval never\n"
                       "        working-directory: infra\n")
    for env, acct, region, stack in sorted(targets, key=lambda t: ENV_ORDER[t[0]]):
        job = f"deploy-{env}" + ("" if region == "us-east-1" else f"-{region}")
        text += f"  {job}:\n    runs-on: ubuntu-latest\n"
        if needs:
            text += f"    needs: {needs}\n"
        text += (f"    environment: {env}\n    steps:\n      - uses: actions/checkout@v4\n"
                 "      - uses: actions/setup-node@v4\n        with:\n          node-version: 20\n"
                 "      - run: npm ci\n        working-directory: infra\n" + _aws_creds(acct, region) +
                 f"      - run: npx cdk deploy {stack} --require-approval never\n        working-directory: infra\n")
        needs = job
    return text


def wf_static(bucket: str, acct: str, region: str = "us-east-1") -> str:
    return _deploy_head() + (
        "  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-node@v4\n        with:\n          node-version: 20\n"
        "      - run: npm ci && npm run build\n" + _aws_creds(acct, region) +
        f"      - run: aws s3 sync ./dist s3://{bucket} --delete\n"
        "      - run: aws cloudfront create-invalidation --distribution-id ${{ vars.CF_DISTRIBUTION }} --paths '/*'\n")


def wf_publish(lang: str) -> str:
    cmd = {"TypeScript": "npm ci && npm run build && npm publish", "Go": "goreleaser release --clean",
           "Python": "python -m build && twine upload dist/*", "Kotlin": "./gradlew publish",
           "Java": "./gradlew publish", "Ruby": "gem build *.gemspec && gem push *.gem"}.get(lang, "make release")
    return ("name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  publish:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n      - uses: actions/checkout@v4\n      - run: {cmd}\n")


def catalog_info(name: str, owner: str, *, kind_type: str, description: str, system: str | None = None,
                 slug: str | None = None) -> str:
    text = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
            f"  name: {name}\n  description: {json.dumps(description)}\n")
    if slug:
        text += f"  annotations:\n    github.com/project-slug: {slug}\n"
    text += f"spec:\n  type: {kind_type}\n  lifecycle: production\n  owner: {owner}\n"
    if system:
        text += f"  system: {system}\n"
    return text


def task_definition(family: str, image: str) -> str:
    return json.dumps({"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                       "cpu": "512", "memory": "1024",
                       "containerDefinitions": [{"name": "app", "image": image, "essential": True,
                                                 "portMappings": [{"containerPort": 8080}]}]}, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------- company

class Company:
    """Accumulates one scenario: AWS regions, the GitHub org and the truth, all from one seeded RNG."""

    def __init__(self, style: str, name: str, seed: int, org: str, org_name: str, domain: str):
        self.rng = random.Random(f"{style}|{name}|{seed}")
        self.name, self.org_login, self.domain = name, org, domain
        self.org_name = org_name
        self.accounts: dict[str, str] = {}            # account name -> id
        self.regions: dict[tuple[str, str], Region] = {}
        self.members: dict[str, dict] = {}
        self.teams: dict[str, dict] = {}
        self.teams_of: dict[str, set[str]] = {}
        self.repos: dict[str, dict] = {}
        self.services: list[dict] = []
        self.excluded: list[str] = []
        self.used_names: set[str] = set()
        self.commit_range = (6, 16)

    # -- AWS
    def account(self, name: str) -> str:
        if name not in self.accounts:
            while True:
                acct = str(self.rng.randint(100000000000, 999999999999))
                if acct not in self.accounts.values():
                    break
            self.accounts[name] = acct
        return self.accounts[name]

    def region(self, account: str, region: str) -> Region:
        key = (account, region)
        if key not in self.regions:
            self.regions[key] = Region(self.account(account), region)
        return self.regions[key]

    # -- GitHub people and teams
    def person(self, email_style: str = "login") -> str:
        rng = self.rng
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            login = rng.choice([f"{first}{last}", f"{first}-{last}", f"{first}-{last}{rng.randint(1, 99)}",
                                f"{first[0]}{last}", f"{first}{last[0]}{rng.randint(1, 9)}"])
            if login not in self.members:
                break
        email = f"{login}@{self.domain}"
        if email_style == "name":
            email = f"{first}.{last}@{self.domain}"
            if any(m["email"] == email for m in self.members.values()):
                email = f"{first}.{last}{len(self.members)}@{self.domain}"
        self.members[login] = {"login": login, "name": f"{first.title()} {last.title()}", "email": email}
        self.teams_of[login] = set()
        return login

    def team(self, slug: str, name: str, size: int, *, parent: str | None = None, description: str | None = None,
             email_style: str = "login") -> dict:
        members = [self.person(email_style) for _ in range(size)]
        team = {"slug": slug, "name": name, "description": description if description is not None
                else f"The {name} team", "parent": parent, "members": members, "repos": {}}
        self.teams[slug] = team
        for m in members:
            self.teams_of[m].add(slug)
        return team

    def join(self, login: str, slug: str) -> None:
        self.teams[slug]["members"].append(login)
        self.teams_of[login].add(slug)

    def cross_members(self, slugs: list[str], count: int) -> None:
        """A few people belong to two teams (a guild, a secondment); never the only solo member of a team."""
        for _ in range(count):
            src, dst = self.rng.sample(slugs, 2)
            solo = [m for m in self.teams[src]["members"] if self.teams_of[m] == {src}]
            if len(solo) > 2:
                self.join(self.rng.choice(solo), dst)

    def solo(self, slug: str) -> list[str]:
        members = self.teams[slug]["members"]
        only = [m for m in members if self.teams_of[m] == {slug}]
        return only if len(only) >= 2 else members

    def grant(self, slug: str, repo: str, perm: str) -> None:
        self.teams[slug]["repos"][repo] = perm

    # -- repositories
    def commits(self, team: str | None, n: int, newest: datetime, *, share: float = 0.8,
                history: str | None = None) -> list[dict]:
        """Newest first. ``team`` writes most commits; ``history`` (a previous owner) wrote the oldest ones."""
        rng = self.rng
        everyone = sorted(self.members)
        for attempt in range(200):
            out, when = [], newest
            for i in range(n):
                if history and i >= n * 0.6:
                    author = rng.choice(self.solo(history))
                elif team and rng.random() < (share if attempt < 20 else 1.0):
                    author = rng.choice(self.solo(team))
                else:
                    author = rng.choice(everyone)
                out.append({"author": author, "date": iso(when), "message": rng.choice(MESSAGES)})
                when -= timedelta(hours=rng.randint(4, 96))
            if team is None or self.top_committer_team(out) == team:
                return out
        raise RuntimeError(f"cannot make {team} the main committer")

    def top_committer_team(self, commits: list[dict]) -> str | None:
        counts: Counter = Counter()
        for c in commits:
            for t in self.teams_of.get(c["author"], ()):
                counts[t] += 1
        best = counts.most_common(2)
        if not best or (len(best) == 2 and best[0][1] == best[1][1]):
            return None
        return best[0][0]

    def repo(self, name: str, team: str | None, *, description: str, language: str | None, files: dict[str, str],
             topics: list[str] | None = None, archived: bool = False, fork: bool = False, n_commits: int | None = None,
             newest: datetime | None = None, history: str | None = None, share: float = 0.8,
             branch: str = "main") -> dict:
        rng = self.rng
        newest = newest or NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 20))
        n = n_commits if n_commits is not None else rng.randint(*self.commit_range)
        size = rng.randint(20, 400) * 1000
        languages = {language: size, LANG_EXTRA.get(language, "Shell"): rng.randint(300, 4000)} if language else {}
        repo = {"name": name, "description": description, "language": language, "languages": languages,
                "topics": topics or [], "archived": archived, "fork": fork, "default_branch": branch,
                "pushed_at": iso(newest), "files": dict(files),
                "commits": self.commits(team, n, newest, share=share, history=history)}
        self.repos[name] = repo
        return repo

    def full(self, repo: str) -> str:
        return f"{self.org_login}/{repo}"

    def codeowners(self, team: str, mode: str, *, header: bool = True, extra: str = "",
                   departed: bool = False) -> str:
        """The catch-all rule for ``team``: the team itself, some of its people, or their e-mails."""
        rng = self.rng
        people = rng.sample(self.solo(team), min(2, len(self.solo(team))))
        if mode == "team":
            owners = [f"@{self.org_login}/{team}"]
        elif mode == "users":
            owners = [f"@{p}" for p in people]
        elif mode == "emails":
            owners = [self.members[p]["email"] for p in people]
        else:  # mixed
            owners = [f"@{people[0]}", self.members[people[-1]]["email"]]
        if departed:
            owners.append(f"@{rng.choice(FIRST)}-{rng.choice(LAST)}-old")
        text = "# Code owners for this repository\n" if header else ""
        return text + f"* {' '.join(owners)}\n" + extra

    def own(self, repo: str, team: str, *, p_codeowners: float, places: tuple[str, ...] = ("CODEOWNERS",),
            mode: str = "team", p_perm: float = 0.7, p_catalog: float = 0.15, force: int = 0,
            catalog_name: str | None = None, catalog_type: str = "service", extra_rules: str = "",
            departed: bool = False) -> int:
        """Add ownership signals to ``repo`` for ``team``; returns how many (commits count as one).

        ``force`` asks for at least that many explicit signals (CODEOWNERS unless ``p_codeowners`` is 0,
        then a team permission, then catalog-info) so a conflicting stale signal elsewhere is outvoted.
        """
        rng = self.rng
        files = self.repos[repo]["files"]
        want_co = p_codeowners > 0 and (rng.random() < p_codeowners or force >= 1)
        want_perm = rng.random() < p_perm or force >= 1 + (p_codeowners > 0)
        want_cat = rng.random() < p_catalog or force >= 2 + (p_codeowners > 0)
        if want_co:
            files[rng.choice(places)] = self.codeowners(team, mode, extra=extra_rules, departed=departed)
        if want_perm:
            self.grant(team, repo, rng.choice(["admin", "maintain", "maintain"]))
        if want_cat:
            owner = rng.choice([f"group:{team}", team, f"group:default/{team}"])
            files["catalog-info.yaml"] = catalog_info(
                catalog_name or repo, owner, kind_type=catalog_type, description=self.repos[repo]["description"],
                slug=self.full(repo))
        # noise: a neighbour with push, platform with triage
        others = [t for t in self.teams if t != team and self.teams[t]["members"]]
        if rng.random() < 0.3 and others:
            self.grant(rng.choice(others), repo, rng.choice(["push", "triage", "pull"]))
        return 1 + want_co + want_perm + want_cat

    def service(self, name: str, owner: str | None, repo: str | None, resources: list[str],
                aliases: list[str] | tuple = ()) -> None:
        seen = {name}
        clean = []
        for a in aliases:
            if a and a not in seen:
                seen.add(a)
                clean.append(a)
        self.services.append({"name": name, "aliases": clean, "owner": owner,
                              "repo": self.full(repo) if repo else None, "resources": list(resources)})

    def exclude(self, repo: str) -> None:
        self.excluded.append(self.full(repo))

    def unique(self, candidates: Callable[[], str]) -> str:
        for attempt in range(500):
            name = candidates() + ("" if attempt < 200 else f"-v{self.rng.randint(2, 9)}")  # big companies redo things
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("name space exhausted; use fewer services")

    def fresh(self, candidates: list[str]) -> str:
        """One of ``candidates`` (in random order) that no other resource uses yet."""
        for name in self.rng.sample(candidates, len(candidates)):
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        return self.fresh([f"{n}-{self.rng.randint(2, 9)}" for n in candidates])

    def document(self, description: str) -> dict:
        accounts = []
        for acct_name, acct_id in self.accounts.items():
            regions = [r.to_dict() for (a, _), r in self.regions.items() if a == acct_name]
            accounts.append({"id": acct_id, "name": acct_name, "regions": regions})
        org = {"login": self.org_login, "name": self.org_name, "members": list(self.members.values()),
               "teams": list(self.teams.values()), "repos": list(self.repos.values())}
        return {"format": FORMAT, "name": self.name, "description": description,
                "aws": {"accounts": accounts}, "github": {"orgs": [org]},
                "truth": {"services": self.services, "excluded_repos": self.excluded}}


# ---------------------------------------------------------------------------------------------- helpers

def split(n: int, weights: list[tuple[str, float]], rng: random.Random) -> list[str]:
    """``n`` kinds in the given proportions (largest remainder), shuffled."""
    raw = [(k, w * n) for k, w in weights]
    counts = {k: int(v) for k, v in raw}
    for k, _ in sorted(raw, key=lambda kv: kv[1] - int(kv[1]), reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    out = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(out)
    return out


def pick_name(c: Company, nouns: list[str], suffixes: list[str]) -> str:
    return c.unique(lambda: f"{c.rng.choice(nouns)}-{c.rng.choice(suffixes)}")


def rand_id(rng: random.Random, n: int = 12, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def language_for(runtime: str) -> str:
    return next(v for k, v in RUNTIME_LANG.items() if runtime.startswith(k))


def archived_and_forks(c: Company, archived: list[tuple[str, str, str]], forks: list[tuple[str, str, str]]) -> None:
    """Excluded repos: (name, team, description) archived; (name, language, description) forks of upstream."""
    rng = c.rng
    for name, team, desc in archived:
        old = NOW - timedelta(days=rng.randint(300, 1400))
        files = {"README.md": readme(camel(name), f"**Deprecated.** {desc}", badges=False, repo=c.full(name))}
        if rng.random() < 0.6:
            files["CODEOWNERS"] = f"* @{c.org_login}/{team}\n"
        c.repo(name, team, description=f"[ARCHIVED] {desc}", language=rng.choice(["Python", "TypeScript", "Go"]),
               files=files, archived=True, newest=old, n_commits=rng.randint(3, 8))
        c.exclude(name)
    for name, lang, desc in forks:
        c.repo(name, None, description=desc, language=lang,
               files={"README.md": readme(name, desc, badges=True, repo=f"upstream/{name}")},
               fork=True, newest=NOW - timedelta(days=rng.randint(60, 700)), n_commits=rng.randint(2, 5))
        c.exclude(name)


# ======================================================================================= style: serverless

def serverless_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "orders": (["order", "basket", "checkout", "refund", "invoice", "receipt", "tip"], "Orders"),
        "growth": (["referral", "promo", "campaign", "loyalty", "experiment", "signup", "waitlist"], "Growth"),
        "notifications": (["email", "sms", "push", "digest", "webhook", "inbox"], "Notifications"),
        "accounts": (["user", "session", "auth", "profile", "consent", "invite"], "Accounts"),
        "insights": (["metrics", "event", "report", "export", "funnel", "cohort"], "Insights"),
        "content": (["menu", "media", "image", "review", "listing", "search"], "Content"),
    }
    suffixes = ["api", "service", "worker", "processor", "handler", "sync", "scheduler", "consumer", "ingest", "router"]
    c.team("engineering", "Engineering", 0, description="All of engineering")
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 6), parent="engineering")
    c.team("platform", "Platform", 4, parent="engineering", description="Cloud platform and developer tooling")
    c.cross_members(list(domains) + ["platform"], 4)
    main = "nimbus-main"
    use, eu = c.region(main, "us-east-1"), c.region(main, "eu-west-1")
    acct = c.account(main)
    products = list(domains)

    def tags_for(team: str, service: str, stage: str) -> dict:
        tags = {"STAGE": stage}
        if rng.random() < 0.55:
            tags[rng.choice(["team", "team", "owner"])] = team
        if rng.random() < 0.4:
            tags["service"] = service
        return tags

    def sls(team: str, with_repo: bool = True) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        runtime = rng.choice(["nodejs20.x", "nodejs20.x", "nodejs18.x", "python3.12", "python3.11"])
        fns = rng.sample(["api", "create", "get", "list", "webhook", "cron", "authorizer", "reporter", "sync"],
                         rng.randint(1, 4))
        http = [f for f in fns if f in ("api", "create", "get", "list", "webhook", "authorizer")]
        queue_fn = "consumer" if rng.random() < 0.4 else None
        if queue_fn:
            fns.append(queue_fn)
        api_type = "HTTP" if rng.random() < 0.8 else "REST"
        stages = [("prod", use)] + ([("dev", use)] if rng.random() < 0.7 else [])
        if rng.random() < 0.15:
            stages.append(("prod", eu))
        old_team = rng.choice([t for t in products if t != team]) if with_repo and rng.random() < 0.1 else None
        res, stacks = [], []
        for stage, reg in stages:
            tags = tags_for(team, name, stage)
            if old_team and stage == "prod":
                tags.pop("owner", None)
                tags["team"] = old_team           # stale: the service moved teams, the stack tag didn't
            refs = []
            q = None
            if queue_fn:
                q = reg.queue(f"{name}-{stage}-jobs")
                refs.append(q)
                refs.append(reg.queue(f"{name}-{stage}-jobs-dlq"))
            handler = "handler.main" if runtime.startswith("python") else "dist/handler.main"
            functions = {fn: reg.function(f"{name}-{stage}-{fn}", runtime, handler.replace("main", fn),
                                          trigger=f"{name}-{stage}-jobs" if fn == queue_fn else None) for fn in fns}
            refs.extend(functions.values())
            if http:
                refs.append(reg.api(f"{stage}-{name}", api_type, [f"{name}-{stage}-{f}" for f in http]))
            if stage == "prod" and rng.random() < 0.3:
                watched = rng.choice(fns)
                reg.alarm(f"{name}-{stage}-{watched}-errors", functions[watched],
                          rng.choice(["OK", "OK", "ALARM", "INSUFFICIENT_DATA"]))
            if q and stage == "prod" and rng.random() < 0.5:
                reg.alarm(f"{name}-{stage}-jobs-age", q)
            res.extend(r.truth for r in refs)
            res.append(reg.stack(f"{name}-{stage}", tags, refs))
            stacks.append(reg.stacks[-1])
        if not with_repo:  # deployed from a laptop: the stack tags are the only owner signal
            if not any(k in st["tags"] for st in stacks for k in ("team", "owner")):
                stacks[0]["tags"]["team"] = team
            c.service(name, team, None, res)
            return
        repo = name if rng.random() < 0.75 else rng.choice([f"{name}-service", f"nimbus-{name}", f"{noun}s-{name.split('-')[1]}"])
        events = ""
        for fn in fns:
            events += f"  {fn}:\n    handler: {handler.replace('main', fn)}\n"
            if fn in http:
                method = {"create": "post", "webhook": "post"}.get(fn, "get")
                kind = "httpApi" if api_type == "HTTP" else "http"
                events += f"    events:\n      - {kind}:\n          path: /{noun}{'' if fn == 'api' else '/' + fn}\n          method: {method}\n"
            elif fn == "cron":
                events += "    events:\n      - schedule: rate(1 hour)\n"
            elif fn == queue_fn:
                events += "    events:\n      - sqs:\n          arn: !GetAtt JobsQueue.Arn\n          batchSize: 10\n"
        tag_block = f"  tags:\n    team: {team}\n" if rng.random() < 0.5 else ""
        yml = (f"service: {name}\nframeworkVersion: '3'\n\nprovider:\n  name: aws\n  runtime: {runtime}\n"
               f"  region: ${{opt:region, 'us-east-1'}}\n  stage: ${{opt:stage, 'dev'}}\n  memorySize: 512\n"
               + tag_block + f"\nfunctions:\n{events}")
        if queue_fn:
            yml += ("\nresources:\n  Resources:\n    JobsQueue:\n      Type: AWS::SQS::Queue\n      Properties:\n"
                    "        QueueName: ${self:service}-${sls:stage}-jobs\n        RedrivePolicy:\n"
                    "          deadLetterTargetArn: !GetAtt JobsDlq.Arn\n          maxReceiveCount: 5\n"
                    "    JobsDlq:\n      Type: AWS::SQS::Queue\n      Properties:\n"
                    "        QueueName: ${self:service}-${sls:stage}-jobs-dlq\n")
        lang = language_for(runtime)
        what = rng.choice(["Serverless API for", "Event-driven functions that handle", "Lambdas behind"]) + \
            f" {noun} {rng.choice(['requests', 'events', 'operations'])} at Nimbus."
        files = {"README.md": readme(camel(name) if repo == name else repo, what, badges=rng.random() < 0.6,
                                     repo=c.full(repo),
                                     sections=f"\n## Deploy\n\n`npx serverless deploy --stage dev`\n"),
                 "serverless.yml": yml,
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_serverless([(s, acct, r.name) for s, r in stages])}
        if lang == "Python":
            files["requirements.txt"] = "boto3==1.35.0\naws-lambda-powertools==2.43.1\n"
        else:
            files["package.json"] = json.dumps({"name": name, "private": True, "scripts": {"build": "tsc", "test": "jest"},
                                                "devDependencies": {"serverless": "^3.39.0"}}, indent=2) + "\n"
        c.repo(repo, team, description=what if rng.random() < 0.7 else "", language=lang, files=files,
               topics=[noun, "serverless"] if rng.random() < 0.5 else [])
        c.own(repo, team, p_codeowners=0.7, places=(".github/CODEOWNERS", ".github/CODEOWNERS", "CODEOWNERS"),
              p_perm=0.65, p_catalog=0.2, force=2 if old_team else 0, catalog_name=name)
        if old_team:
            c.grant(old_team, repo, "push")
        c.service(name, team, repo, res, aliases=[repo])

    def sam(team: str) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        runtime = rng.choice(["python3.12", "python3.11", "nodejs20.x", "java21"])
        style = rng.choice(["kebab", "camel", "camel-env"])
        stages = ["prod"] + (["dev"] if rng.random() < 0.4 else [])
        explicit = rng.random() < 0.4
        logical = rng.sample(["Api", "Processor", "Render", "Ingest", "Notify", "Scheduled", "Export"],
                             rng.randint(1, 3))
        with_queue = rng.random() < 0.35
        res, stack_names = [], []
        for stage in stages:
            stack = {"kebab": f"{name}-{stage}", "camel": camel(name) + ("" if stage == "prod" else "-dev"),
                     "camel-env": camel(name) + camel(stage)}[style]
            stack_names.append(stack)
            refs, fn_names = [], []
            q = None
            if with_queue:
                qname = f"{name}-{stage}-queue" if explicit else f"{stack}-IngestQueue-{rand_id(rng)}"
                q = use.queue(qname)
                refs.append(q)
            for i, lid in enumerate(logical):
                fname = f"{name}-{lid.lower()}-{stage}" if explicit else f"{stack}-{lid}Function-{rand_id(rng)}"[:64]
                fn_names.append(fname)
                refs.append(use.function(fname, runtime, f"app.{lid.lower()}_handler" if runtime[0] == "p"
                                         else f"index.{lid.lower()}",
                                         trigger=q.ref.split(":", 1)[1] if q and i == len(logical) - 1 else None))
            if "Api" in logical or rng.random() < 0.5:
                refs.append(use.api(stack, rng.choice(["REST", "REST", "HTTP"]), fn_names[:1]))
            tags = {}
            if rng.random() < 0.6:
                tags[rng.choice(["team", "Team"])] = team
            if rng.random() < 0.3:
                tags["app"] = name
            if stage == "prod" and rng.random() < 0.35:
                use.alarm(f"{stack}-{logical[0]}-throttles", refs[1 if q else 0])
            res.extend(r.truth for r in refs)
            res.append(use.stack(stack, tags, refs))
        repo = name if rng.random() < 0.8 else f"{name}-sam"
        props = "".join(
            f"  {lid}Function:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            + (f"      FunctionName: !Sub '{name}-{lid.lower()}-${{Stage}}'\n" if explicit else "")
            + f"      CodeUri: src/\n      Handler: app.{lid.lower()}_handler\n" for lid in logical)
        if with_queue:
            props += "  IngestQueue:\n    Type: AWS::SQS::Queue\n" + (
                f"    Properties:\n      QueueName: !Sub '{name}-${{Stage}}-queue'\n" if explicit else "")
        template = (f"AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
                    f"Description: {name} (SAM)\nParameters:\n  Stage:\n    Type: String\n    Default: prod\n"
                    f"Globals:\n  Function:\n    Runtime: {runtime}\n    Timeout: 30\nResources:\n{props}")
        samconfig = ("version = 0.1\n" + "".join(
            f"\n[{s}.deploy.parameters]\nstack_name = \"{st}\"\nregion = \"us-east-1\"\n"
            f"capabilities = \"CAPABILITY_IAM\"\nparameter_overrides = \"Stage={s}\"\n"
            for s, st in zip(stages, stack_names)))
        lang = language_for(runtime)
        what = f"SAM application that processes {noun} {rng.choice(['events', 'jobs', 'requests'])}."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(repo)),
                 "template.yaml": template, "samconfig.toml": samconfig,
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_sam([(f"deploy-{s}", acct, "us-east-1", st)
                                                         for s, st in zip(stages, stack_names)])}
        c.repo(repo, team, description=what, language=lang, files=files)
        c.own(repo, team, p_codeowners=0.6, places=(".github/CODEOWNERS", "CODEOWNERS"), p_perm=0.7, p_catalog=0.2)
        c.service(name, team, repo, res, aliases=[repo])

    copilot_cluster = f"nimbus-prod-Cluster-{rand_id(rng, 12)}"

    def copilot(team: str) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, ["gateway", "realtime", "renderer", "engine", "indexer"])
        noun = name.split("-")[0]
        ecr = f"nimbus/{name}"
        use.ecr.append(ecr)
        image = f"{acct}.dkr.ecr.us-east-1.amazonaws.com/{ecr}:{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        svc = use.ecs(copilot_cluster, f"nimbus-prod-{name}-Service-{rand_id(rng)}", image,
                      desired=rng.randint(2, 6))
        tags = {"copilot-application": "nimbus", "copilot-environment": "prod", "copilot-service": name}
        if rng.random() < 0.5:
            tags["team"] = team
        refs = [svc]
        if rng.random() < 0.4:
            refs.append(use.db(f"{name}-prod", rng.choice(["postgres", "mysql"])))
        if rng.random() < 0.5:
            use.alarm(f"{name}-prod-cpu-high", svc, rng.choice(["OK", "ALARM"]))
        res = [r.truth for r in refs] + [use.stack(f"nimbus-prod-{name}", tags, refs)]
        lang = rng.choice(["Go", "Kotlin", "TypeScript"])
        what = f"Containerised {noun} {name.split('-')[1]} running on ECS (AWS Copilot)."
        manifest = (f"name: {name}\ntype: Load Balanced Web Service\n\nhttp:\n  path: '/{noun}'\n"
                    f"  healthcheck: /healthz\n\nimage:\n  build: Dockerfile\n  port: 8080\n\ncpu: 512\nmemory: 1024\n"
                    f"count: {rng.randint(2, 6)}\n")
        wf = _deploy_head() + ("  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                               + _aws_creds(acct, "us-east-1") +
                               "      - run: curl -Lo copilot https://github.com/aws/copilot-cli/releases/latest/download/copilot-linux && chmod +x copilot\n"
                               f"      - run: ./copilot svc deploy --name {name} --env prod\n")
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 "Dockerfile": "FROM public.ecr.aws/docker/library/alpine:3.20\nCOPY app /app\nCMD [\"/app\"]\n",
                 "copilot/.workspace": "application: nimbus\n", f"copilot/{name}/manifest.yml": manifest,
                 ".github/workflows/ci.yml": ci_workflow(lang), ".github/workflows/deploy.yml": wf}
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.7, places=(".github/CODEOWNERS",), p_perm=0.7)
        c.service(name, team, name, res)

    def web(team: str) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, ["web", "dashboard", "console", "portal", "admin"])
        noun = name.split("-")[0]
        what = f"{rng.choice(['Next.js', 'React', 'Vue'])} front end for {noun} {rng.choice(['management', 'insights', 'self-service'])}."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.7, repo=c.full(name)),
                 "package.json": json.dumps({"name": name, "private": True, "scripts": {"build": "next build"}}) + "\n",
                 ".github/workflows/ci.yml": ci_workflow("TypeScript"),
                 ".github/workflows/deploy.yml": wf_static(f"nimbus-{name}-prod", acct)}
        c.repo(name, team, description=what, language="TypeScript", files=files, topics=["frontend", noun])
        c.own(name, team, p_codeowners=0.6, places=(".github/CODEOWNERS", "CODEOWNERS"), p_perm=0.6, p_catalog=0.2,
              catalog_type="website")
        c.service(name, team, name, [])

    ops_names = ["log-forwarder", "cost-anomaly-notifier", "guardduty-to-slack", "rds-snapshot-pruner",
                 "cloudtrail-digest", "secret-rotator", "tag-auditor", "budget-alerts"]

    def ops() -> None:
        name = c.unique(lambda: rng.choice(ops_names) + ("" if rng.random() < 0.8 else f"-{rng.choice(['v2', 'eu', 'ops'])}"))
        key = rng.choice(["team", "owner", "Team"])
        fn = use.function(name, "python3.12", "main.handler", tags={key: "platform", "managed-by": "console"})
        if rng.random() < 0.5:
            use.alarm(f"{name}-errors", fn, rng.choice(["OK", "INSUFFICIENT_DATA"]))
        c.service(name, "platform", None, [fn.truth])

    plan = split(n, [("sls", 0.52), ("sam", 0.15), ("copilot", 0.07), ("web", 0.12), ("ops", 0.06),
                     ("sls-norepo", 0.08)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        {"sls": lambda: sls(team), "sam": lambda: sam(team), "copilot": lambda: copilot(team),
         "web": lambda: web(team), "ops": ops, "sls-norepo": lambda: sls(team, with_repo=False)}[kind]()

    live = next((s for s in c.services if s["repo"] and "serverless.yml" in c.repos[s["repo"].split("/")[1]]["files"]),
                None)
    archived = [("hackathon-chatbot", "growth", "Hackathon 2024 ordering chatbot."),
                ("lambda-layer-legacy", "platform", "Old shared Lambda layer, use powertools instead.")]
    if live:
        archived.append((f"{live['name']}-v0", live["owner"], f"First version of {live['name']}, replaced by {live['repo']}."))
    archived_and_forks(c, archived, [("serverless-offline", "JavaScript", "Emulate AWS λ and API Gateway locally"),
                                     ("powertools-lambda-typescript", "TypeScript", "Powertools for AWS Lambda")])
    if live:  # the archived first version still declares the live service name: discovery must ignore it
        c.repos[f"{live['name']}-v0"]["files"]["serverless.yml"] = (
            f"service: {live['name']}\nframeworkVersion: '2'\nprovider:\n  name: aws\n  runtime: nodejs12.x\n")
    return (f"Synthetic company, style serverless, {len(c.services)} product services: Serverless Framework "
            "and SAM apps with prod and dev stages in one account, Copilot containers, static web front ends")


# ===================================================================================== style: multi-account

def multi_account_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "banking": (["account", "transfer", "balance", "statement", "payee", "mandate"], "Banking"),
        "cards": (["card", "authorization", "dispute", "pin", "tokenization", "chargeback"], "Cards"),
        "lending": (["loan", "credit", "repayment", "underwriting", "collateral"], "Lending"),
        "onboarding": (["kyc", "applicant", "document", "identity", "signup"], "Onboarding"),
        "compliance": (["aml", "sanctions", "audit", "reporting", "retention"], "Compliance"),
        "treasury": (["fx", "ledger", "settlement", "reconciliation", "liquidity"], "Treasury"),
    }
    suffixes = ["api", "service", "engine", "worker", "processor", "gateway", "scheduler", "store"]
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 6), parent="engineering")
    c.team("platform", "Platform", 5, parent="engineering", description="Accounts, CI/CD, shared infrastructure")
    c.cross_members(list(domains) + ["platform"], 5)
    c.commit_range = (5, 12)
    products = list(domains)
    shared = c.account("initech-shared")
    envs = {"prod": c.account("initech-prod"), "staging": c.account("initech-staging"), "dev": c.account("initech-dev")}
    ecr_region = c.region("initech-shared", "us-east-1")
    for orphan in ("initech/base-python", "initech/base-jvm", "initech/ci-runner"):
        ecr_region.ecr.append(orphan)

    def regions_for() -> list[tuple[str, Region]]:
        out = [("prod", c.region("initech-prod", "us-east-1"))]
        if rng.random() < 0.3:
            out.append(("prod", c.region("initech-prod", "eu-west-1")))
        if rng.random() < 0.85:
            out.append(("staging", c.region("initech-staging", "us-east-1")))
        if rng.random() < 0.6:
            out.append(("dev", c.region("initech-dev", "us-east-1")))
        return out

    def stack_namer() -> Callable[[str, str, str], str]:
        return rng.choice([
            lambda name, env, reg: f"{camel(name)}Stack-{env}" + ("" if reg == "us-east-1" else f"-{reg}"),
            lambda name, env, reg: f"{camel(name)}{camel(env)}Stack" + ("" if reg == "us-east-1" else camel(reg)),
            lambda name, env, reg: f"{camel(name)}-{camel(env)}" + ("" if reg == "us-east-1" else f"-{reg}"),
            lambda name, env, reg: f"{env}-{name}" + ("" if reg == "us-east-1" else f"-{reg}"),
        ])

    def tags_for(team: str, name: str, env: str) -> dict:
        tags = {"environment": env, "cost-center": f"cc-{products.index(team) + 100 if team in products else 900}"}
        if env != "dev" or rng.random() < 0.5:
            tags[rng.choice(["team", "team", "owner"])] = team
        if rng.random() < 0.5:
            tags["service"] = name
        return tags

    cluster_style = {t: rng.choice(["env", "org-env", "team-env"]) for t in products}

    def cluster_for(team: str, env: str) -> str:
        return {"env": env, "org-env": f"initech-{env}", "team-env": f"{team}-{env}"}[cluster_style[team]]

    def infra_files(name: str, stacks: list[tuple[str, str, str, str]], construct: str) -> dict:
        app = ("#!/usr/bin/env node\nimport * as cdk from 'aws-cdk-lib';\n"
               f"import {{ {construct} }} from '../lib/{name}-stack';\n\nconst app = new cdk.App();\n")
        for env, acct, region, stack in stacks:
            app += (f"new {construct}(app, '{stack}', {{ env: {{ account: '{acct}', region: '{region}' }}, "
                    f"stage: '{env}' }});\n")
        return {"infra/cdk.json": json.dumps({"app": "npx ts-node --prefer-ts-exts bin/app.ts"}) + "\n",
                "infra/bin/app.ts": app}

    def cdk_service(team: str, kind: str, with_repo: bool = True) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        namer = stack_namer()
        construct = camel(name) + "Stack"
        suffix_service = rng.random() < 0.5
        image_repo = f"initech/{name}" if rng.random() < 0.6 else name
        version = f"{rng.randint(1, 30)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        with_db = kind == "ecs" and rng.random() < 0.4
        with_queue = rng.random() < 0.3
        runtime = rng.choice(["nodejs20.x", "python3.12", "java21"])
        generated = kind == "lambda" and rng.random() < 0.5
        fns = rng.sample(["handler", "worker", "authorizer", "stream", "cron"], rng.randint(1, 3))
        res, targets = [], []
        if kind == "ecs":
            ecr_region.ecr.append(image_repo)
        for env, reg in regions_for():
            stack = namer(name, env, reg.name)
            refs = []
            if kind == "ecs":
                svc_name = f"{name}-{env}" if suffix_service else name
                image = f"{shared}.dkr.ecr.us-east-1.amazonaws.com/{image_repo}:{version}"
                svc = reg.ecs(cluster_for(team, env), svc_name, image, desired=3 if env == "prod" else 1)
                refs.append(svc)
                if env == "prod" and rng.random() < 0.6:
                    reg.alarm(f"{svc_name}-{reg.name}-cpu" if reg.name != "us-east-1" else f"{svc_name}-cpu", svc,
                              rng.choice(["OK", "OK", "ALARM"]))
                if with_db:
                    refs.append(reg.db(f"{name}-{env}", rng.choice(["postgres", "postgres", "mysql"])))
                if with_queue:
                    refs.append(reg.queue(f"{name}-{env}-events"))
            else:
                q = reg.queue(f"{name}-{env}-queue") if with_queue else None
                if q:
                    refs.append(q)
                names = []
                for i, fn in enumerate(fns):
                    fname = (f"{stack}-{camel(fn)}{rand_id(rng, 8, '0123456789ABCDEF')}-{rand_id(rng)}"[:64]
                             if generated else f"{name}-{fn}-{env}")
                    names.append(fname)
                    refs.append(reg.function(fname, runtime, "index.handler" if runtime[0] == "n" else "app.handler",
                                             trigger=f"{name}-{env}-queue" if q and i == 0 else None))
                refs.append(reg.api(f"{name}-api-{env}", "REST", names[:1]))
                if env == "prod" and rng.random() < 0.4:
                    reg.alarm(f"{names[0][:40]}-errors", refs[-2])
            res.extend(r.truth for r in refs)
            res.append(reg.stack(stack, tags_for(team, name, env), refs))
            targets.append((env, reg.acct, reg.name, stack))
        if not with_repo:
            prod_stack = c.region("initech-prod", "us-east-1").stacks[-1]
            prod_stack["tags"]["team"] = team
            c.service(name, team, None, res)
            return
        lang = language_for(runtime) if kind == "lambda" else rng.choice(["Kotlin", "Go", "TypeScript", "Java"])
        what = f"{'Lambda' if kind == 'lambda' else 'ECS'} service for {noun} {rng.choice(['processing', 'management', 'operations'])} (CDK, dev/staging/prod)."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.6, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_cdk(targets, (shared, "us-east-1", image_repo) if kind == "ecs" else None,
                                                        matrix=rng.random() < 0.5)}
        files.update(infra_files(name, targets, construct))
        if kind == "ecs":
            files["Dockerfile"] = "FROM initech/base-jvm:21\nCOPY build/libs/app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n"
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.75, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.7, p_catalog=0.3,
              extra_rules="/infra/ @initech/platform\n" if rng.random() < 0.3 else "")
        c.service(name, team, name, res)

    def plain_ecs(team: str) -> None:
        """Deployed with ``aws ecs update-service`` into per-account clusters, no stack."""
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        noun = name.split("-")[0]
        ecr_region.ecr.append(name)
        res, targets = [], []
        for env, reg in regions_for():
            if reg.name != "us-east-1":
                continue
            cluster = f"{env}-apps"
            image = f"{shared}.dkr.ecr.us-east-1.amazonaws.com/{name}:{rng.randint(1, 9)}.{rng.randint(0, 9)}.0"
            res.append(reg.ecs(cluster, name, image, tags={"team": team, "environment": env}).truth)
            if rng.random() < 0.4:
                res.append(reg.db(f"{name}-db-{env}", "postgres", tags={"team": team}).truth)
            targets.append((f"deploy-{env}", reg.acct, reg.name, f"{cluster}/{name}"))
        lang = rng.choice(["Go", "Kotlin"])
        what = f"{camel(noun)} {name.split('-')[1]}, deployed to every account with aws ecs update-service."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_ecs_cli(targets, name, (shared, "us-east-1"))}
        c.repo(name, team, description=what, language=lang, files=files)
        c.own(name, team, p_codeowners=0.6, places=("CODEOWNERS",), p_perm=0.7)
        c.service(name, team, name, res)

    def web(team: str) -> None:
        name = pick_name(c, domains[team][0], ["web", "portal", "console", "backoffice"])
        what = f"Customer-facing {name.split('-')[0]} {name.split('-')[1]} (React)."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript"),
                 ".github/workflows/deploy.yml": wf_static(f"initech-{name}", envs["prod"])}
        c.repo(name, team, description=what, language="TypeScript", files=files, topics=["frontend"])
        c.own(name, team, p_codeowners=0.7, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.6,
              catalog_type="website")
        c.service(name, team, name, [])

    platform_fns = ["guardduty-forwarder", "config-compliance-reporter", "iam-access-analyzer-digest",
                    "ebs-snapshot-janitor", "account-baseline-drift"]

    def platform_fn() -> None:
        """The same function in every account, rolled out with a StackSet."""
        name = c.unique(lambda: rng.choice(platform_fns) + ("" if rng.random() < 0.8 else f"-{rng.choice(['v2', 'org'])}"))
        res = []
        for acct_name in ("initech-prod", "initech-staging", "initech-dev"):
            reg = c.region(acct_name, "us-east-1")
            fn = reg.function(name, "python3.12", "index.handler")
            stack_id = "-".join(rand_id(rng, k, "0123456789abcdef") for k in (8, 4, 4, 4, 12))
            res += [fn.truth, reg.stack(f"StackSet-{name}-{stack_id}", {"team": "platform", "managed-by": "stacksets"}, [fn])]
        c.service(name, "platform", None, res)

    plan = split(n, [("cdk-ecs", 0.44), ("cdk-lambda", 0.24), ("ecs", 0.08), ("web", 0.1), ("platform", 0.06),
                     ("norepo", 0.08)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        {"cdk-ecs": lambda: cdk_service(team, "ecs"), "cdk-lambda": lambda: cdk_service(team, "lambda"),
         "ecs": lambda: plain_ecs(team), "web": lambda: web(team), "platform": platform_fn,
         "norepo": lambda: cdk_service(team, rng.choice(["ecs", "lambda"]), with_repo=False)}[kind]()
    archived_and_forks(c, [("cards-api-poc", "cards", "Proof of concept for the cards API."),
                           ("ledger-migration-2023", "treasury", "One-off ledger migration scripts.")],
                       [("aws-cdk-examples", "TypeScript", "Example projects using the AWS CDK")])
    return (f"Synthetic company, style multi-account, {len(c.services)} product services: CDK apps in dev, staging "
            "and prod accounts (prod in two regions), images in a shared ECR account, StackSet-deployed platform functions")


# ============================================================================================ style: users

def users_style(c: Company, n: int) -> str:
    rng = c.rng
    groups = {"mobility": ("Mobility", {"dispatch": ["dispatch", "trip", "eta", "assignment", "zone"],
                                        "fleet": ["vehicle", "telemetry", "maintenance", "charging", "tracking"],
                                        "drivers": ["driver", "shift", "onboarding", "rating", "earnings"]}),
              "marketplace": ("Marketplace", {"pricing": ["fare", "surge", "quote", "promo"],
                                              "payouts": ["payout", "wallet", "tax", "invoice"]}),
              "platform": ("Platform", {"infra": ["cluster", "secrets", "ingress"],
                                        "devex": ["build", "preview", "docs"]})}
    suffixes = ["api", "service", "worker", "engine", "consumer", "scheduler", "matcher", "tracker"]
    c.team("engineering", "Engineering", 2, description="Engineering leadership", email_style="name")
    nouns: dict[str, list[str]] = {}
    for parent, (title, children) in groups.items():
        c.team(parent, title, rng.randint(1, 2), parent="engineering", description=f"{title} group leads",
               email_style="name")
        for slug, words in children.items():
            c.team(slug, slug.title() if slug != "devex" else "Developer Experience", rng.randint(3, 6),
                   parent=parent, email_style="name")
            nouns[slug] = words
    products = [t for t in nouns if t not in ("infra", "devex")]
    c.cross_members(list(nouns), 6)
    prod, staging = c.region("hooli-prod", "us-west-2"), c.region("hooli-staging", "us-west-2")
    prod_acct = prod.acct

    def parent_perms(repo: str, team: str) -> None:
        parent = c.teams[team]["parent"]
        if parent and rng.random() < 0.5:
            c.grant(parent, repo, rng.choice(["pull", "triage"]))

    def ownership(repo: str, team: str, catalog_type: str = "service") -> None:
        """People-style CODEOWNERS in docs/ or .github/, or none at all (then permissions + commits)."""
        has_co = rng.random() < 0.65
        if has_co:
            mode = rng.choice(["users", "users", "emails", "mixed"])
            c.repos[repo]["files"][rng.choice(["docs/CODEOWNERS", ".github/CODEOWNERS"])] = c.codeowners(
                team, mode, header=rng.random() < 0.5, departed=rng.random() < 0.15)
        c.own(repo, team, p_codeowners=0.0, p_perm=0.75, p_catalog=0.1, force=0 if has_co else 1,
              catalog_type=catalog_type)
        parent_perms(repo, team)

    def ecs_service(team: str) -> None:
        name = pick_name(c, nouns[team], suffixes)
        res = []
        for env, reg in (("prod", prod), ("staging", staging)):
            if env == "staging" and rng.random() < 0.3:
                continue
            reg.ecr.append(name)
            image = f"{reg.acct}.dkr.ecr.us-west-2.amazonaws.com/{name}:{rng.randint(1, 60)}"
            tags = {"team": team} if rng.random() < 0.35 else {}
            svc = reg.ecs(f"hooli-{env}", name, image, tags=tags, desired=rng.randint(2, 8) if env == "prod" else 1)
            refs = [svc]
            if rng.random() < 0.35:
                refs.append(reg.db(f"{name}-{env}-db", rng.choice(["postgres", "mysql"])))
            if env == "prod" and rng.random() < 0.4:
                reg.alarm(f"{name}-memory-high", svc, rng.choice(["OK", "ALARM"]))
            res += [r.truth for r in refs] + [reg.stack(f"{name}-{env}", {"env": env} if rng.random() < 0.5 else {}, refs)]
        lang = rng.choice(["Go", "Go", "Kotlin", "Python"])
        what = f"{camel(name)}: {rng.choice(['gRPC service', 'HTTP service', 'background worker'])} for {name.split('-')[0]} data."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang),
                 ".github/workflows/deploy.yml": wf_ecs_action(prod_acct, "us-west-2", name, name, "hooli-prod"),
                 "task-definition.json": task_definition(name, f"{prod_acct}.dkr.ecr.us-west-2.amazonaws.com/{name}:latest")}
        c.repo(name, team, description=what, language=lang, files=files, share=0.75)
        ownership(name, team)
        c.service(name, team, name, res)

    def sam_api(team: str) -> None:
        name = pick_name(c, nouns[team], ["api", "webhook", "lookup", "notifier"])
        res = []
        functions = []
        for fn in rng.sample(["handler", "authorizer", "poller"], rng.randint(1, 2)):
            ref = prod.function(f"{name}-{fn}", "python3.12", f"app.{fn}")
            functions.append(ref)
        api = prod.api(f"{name}-prod", rng.choice(["REST", "HTTP"]), [functions[0].ref[7:]])
        refs = functions + [api]
        tags = {"team": team} if rng.random() < 0.4 else {}
        res += [r.truth for r in refs] + [prod.stack(f"{name}-prod", tags, refs)]
        what = f"Serverless {name.split('-')[0]} {name.split('-')[1]} (SAM)."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 "template.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n" + "".join(
                     f"  {camel(f.ref[7:].split('-')[-1])}:\n    Type: AWS::Serverless::Function\n"
                     f"    Properties:\n      FunctionName: {f.ref[7:]}\n      Handler: app.{f.ref[7:].split('-')[-1]}\n"
                     for f in functions),
                 ".github/workflows/deploy.yml": wf_sam([("deploy", prod_acct, "us-west-2", f"{name}-prod")])}
        c.repo(name, team, description=what, language="Python", files=files)
        ownership(name, team)
        c.service(name, team, name, res)

    def web(team: str) -> None:
        name = pick_name(c, nouns[team], ["web", "app", "console"])
        what = f"{name.split('-')[0].title()} {rng.choice(['ops console', 'rider app', 'partner portal'])} (web)."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript")}
        c.repo(name, team, description=what, language="TypeScript", files=files, topics=["web"])
        ownership(name, team, catalog_type="website")
        c.service(name, team, name, [])

    def library(team: str) -> None:
        name = c.unique(lambda: rng.choice([f"hooli-{rng.choice(['go', 'kt', 'py'])}-kit", f"{team}-client",
                                            "ui-components", "proto-schemas", f"{rng.choice(nouns[team])}-sdk"]))
        lang = {"go": "Go", "kt": "Kotlin", "py": "Python"}.get(name.split("-")[1], "TypeScript") \
            if name.startswith("hooli-") else rng.choice(["TypeScript", "Go"])
        what = f"Shared library: {name.replace('-', ' ')}."
        files = {"README.md": readme(name, what, badges=True, repo=c.full(name)),
                 ".github/workflows/ci.yml": ci_workflow(lang), ".github/workflows/release.yml": wf_publish(lang)}
        c.repo(name, team, description=what, language=lang, files=files, topics=["library"])
        ownership(name, team, catalog_type="library")
        c.service(name, team, name, [])

    def monorepo(team: str, count: int) -> None:
        repo = c.unique(lambda: f"{team}-platform")
        names = [pick_name(c, nouns[team], suffixes) for _ in range(count)]
        other = rng.choice([t for t in products if t != team])
        owners = {nm: (other if i == count - 1 else team) for i, nm in enumerate(names)}
        files = {"README.md": readme(camel(repo), f"Monorepo for the {team} services: "
                                     + ", ".join(names) + ".", badges=True, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow("Go")}
        rules = "# Each service folder has its own owners\n" + c.codeowners(team, "users", header=False)
        for nm in names:
            image = f"{prod_acct}.dkr.ecr.us-west-2.amazonaws.com/{nm}"
            prod.ecr.append(nm)
            svc = prod.ecs("hooli-prod", nm, f"{image}:{rng.randint(100, 999)}")
            # repo-wide permissions and commits speak for the host team; a guest service needs its own signals
            guest = owners[nm] != team
            stack = prod.stack(f"{nm}-prod", {"team": owners[nm]} if guest or rng.random() < 0.5 else {}, [svc])
            if guest or rng.random() < 0.5:
                files[f"services/{nm}/catalog-info.yaml"] = catalog_info(
                    nm, f"group:{owners[nm]}", kind_type="service", description=f"{nm} service", system=repo)
            files[f"services/{nm}/main.go"] = f"package main\n\n// {nm}\nfunc main() {{}}\n"
            files[f"services/{nm}/Dockerfile"] = "FROM gcr.io/distroless/static\nCOPY bin/app /app\n"
            files[f".github/workflows/{nm}.yml"] = wf_ecs_action(prod_acct, "us-west-2", nm, nm, "hooli-prod").replace(
                "name: deploy\non:\n  push:\n    branches: [main]\n",
                f"name: deploy {nm}\non:\n  push:\n    branches: [main]\n    paths: ['services/{nm}/**']\n").replace(
                " . && docker push", f" services/{nm} && docker push").replace(
                "task-definition: task-definition.json", f"task-definition: services/{nm}/task-definition.json")
            people = c.rng.sample(c.solo(owners[nm]), 2)
            rules += f"/services/{nm}/ @{people[0]} @{people[1]}\n"
            c.service(nm, owners[nm], repo, [svc.truth, stack])
        files[".github/CODEOWNERS"] = rules
        c.repo(repo, team, description=f"{team.title()} services monorepo", language="Go", files=files,
               n_commits=rng.randint(14, 22))
        c.grant(team, repo, "admin")
        c.grant(other, repo, "push")
        parent_perms(repo, team)

    def norepo(team: str) -> None:
        name = pick_name(c, nouns[team], ["etl", "exporter", "bridge"])
        fn = prod.function(name, "python3.12", "main.handler", tags={rng.choice(["team", "owner"]): team})
        c.service(name, team, None, [fn.truth])

    plan = split(n - 3, [("ecs", 0.42), ("sam", 0.22), ("web", 0.14), ("lib", 0.1), ("norepo", 0.06),
                         ("infra", 0.06)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        if kind == "infra":
            ecs_service(rng.choice(["infra", "devex"]))
        elif kind == "lib":
            library(rng.choice(products + ["devex"]))
        else:
            {"ecs": ecs_service, "sam": sam_api, "web": web, "norepo": norepo}[kind](team)
    monorepo("dispatch", 3)
    archived_and_forks(c, [("trip-matcher-v1", "dispatch", "First trip matcher (replaced)."),
                           ("fleet-dashboard-old", "fleet", "Old fleet dashboard.")],
                       [("osrm-backend", "C++", "Open Source Routing Machine")])
    return (f"Synthetic company, style users, {len(c.services)} product services: CODEOWNERS that name people and "
            "e-mails in docs/ or .github/, repos owned only through commits and team permissions, nested teams, "
            "a monorepo with per-folder owners")


# ============================================================================================ style: drift

ABBREV = {"claims": "clm", "claim": "clm", "payment": "pmt", "payments": "pmt", "eligibility": "elig",
          "provider": "prov", "providers": "prov", "prescription": "rx", "member": "mbr", "members": "mbr",
          "notification": "notif", "appointment": "appt", "enrollment": "enrl", "adjudication": "adj",
          "pharmacy": "pharm", "credential": "cred", "remittance": "remit", "benefit": "ben", "premium": "prem",
          "referral": "ref", "formulary": "form", "directory": "dir", "invoice": "inv", "statement": "stmt"}


def drift_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "claims": (["claims", "adjudication", "eligibility", "remittance"], "Claims"),
        "billing": (["payment", "invoice", "premium", "statement"], "Billing"),
        "members": (["member", "enrollment", "benefit", "notification"], "Members"),
        "providers": (["provider", "credential", "directory", "referral"], "Providers"),
        "pharmacy": (["prescription", "formulary", "pharmacy", "refill"], "Pharmacy"),
        "care": (["appointment", "careplan", "triage", "telehealth"], "Care"),
    }
    suffixes = ["api", "service", "worker", "processor", "gateway", "engine", "sync", "scheduler"]
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 6), parent="engineering")
    c.team("platform", "Platform", 4, parent="engineering")
    c.cross_members(list(domains) + ["platform"], 4)
    products = list(domains)
    prod, staging = c.region("umbrella-prod", "us-east-2"), c.region("umbrella-staging", "us-east-2")
    owner_keys = ["team", "Team", "owner", "Owner", "owning-team", "squad"]

    def owner_value(team: str) -> str:
        return rng.choice([team, team, c.teams[team]["name"], f"{team}-team", f"{c.org_login}/{team}"])

    def variants(name: str) -> list[str]:
        """Names a person would still recognise: plural/singular, abbreviations, joined, affixes, underscores."""
        head, tail = name.split("-", 1)
        out = [head.rstrip("s") + "-" + tail if head.endswith("s") else head + "s-" + tail,
               name.replace("-", ""), f"svc-{name}", f"{name}-svc", name.replace("-", "_")]
        if head in ABBREV:
            out.append(f"{ABBREV[head]}-{tail}")
        return out

    def link_tags(repo: str, name: str) -> dict:
        """Tags that point at the repository explicitly (the strongest repo link drifted infra has)."""
        return rng.choice([{"github_repo": c.full(repo)}, {"repository": f"https://github.com/{c.full(repo)}"},
                           {"repository": c.full(repo)}, {"service": name}, {"Service": name}])

    def product(team: str, with_repo: bool = True) -> None:
        nouns = domains[team][0]
        name = pick_name(c, nouns, suffixes)
        head = name.split("-")[0]
        kind = rng.choice(["ecs", "ecs", "lambda"])
        while True:
            prod_name, stage_name = rng.sample(variants(name) + [name], 2)
            if not ({prod_name, stage_name} - {name}) & c.used_names:
                c.used_names.update({prod_name, stage_name})
                break
        drift_hard = ABBREV.get(head, "#") in prod_name or ABBREV.get(head, "#") in stage_name
        repo = name
        if with_repo and rng.random() < 0.45:
            repo = rng.choice([camel(name) if not name.endswith("api") else camel(name)[:-3] + "API",
                               f"{name}-service", name.replace("-", "_"), f"umbrella-{name}"])
        # ownership story
        story = rng.choices(["clean", "missing", "stale", "conflict", "unknown-team"], [30, 25, 20, 15, 10])[0] \
            if with_repo else "clean"
        old = rng.choice([t for t in products if t != team])
        res = []
        for env, reg in (("prod", prod), ("staging", staging)):
            iname = prod_name if env == "prod" else stage_name
            tags: dict[str, str] = {}
            if story != "missing" and rng.random() < 0.8:
                tags[rng.choice(owner_keys)] = owner_value(team)
            if story == "stale" or (story == "conflict" and env == "prod"):
                tags = {rng.choice(owner_keys): owner_value(old)}
            if story == "unknown-team":
                tags = {rng.choice(owner_keys): rng.choice([f"{team}-legacy", "core-services", "team-phoenix"])}
            if with_repo and (drift_hard or rng.random() < 0.3):
                tags.update(link_tags(repo, name))
            if rng.random() < 0.5:
                tags[rng.choice(["env", "Environment", "stage"])] = env
            refs = []
            if kind == "ecs":
                svc = reg.ecs(env if rng.random() < 0.7 else f"umbrella-{env}", iname,
                              f"{reg.acct}.dkr.ecr.us-east-2.amazonaws.com/{iname}:{rng.randint(1, 400)}",
                              tags=tags if rng.random() < 0.5 else {}, desired=2 if env == "prod" else 1)
                reg.ecr.append(iname)
                refs.append(svc)
                if rng.random() < 0.35:
                    db_id = re.sub(r"[^a-z0-9]+", "-", iname.lower()).strip("-") + rng.choice(["-db", "db", f"-db-{env}"])
                    refs.append(reg.db(db_id, rng.choice(["postgres", "mysql"])))
                if env == "prod" and rng.random() < 0.4:
                    reg.alarm(f"{iname}-5xx-rate", svc, rng.choice(["OK", "ALARM", "INSUFFICIENT_DATA"]))
            else:
                fns = [reg.function(f"{iname}-{f}", "nodejs20.x", f"src/{f}.handler")
                       for f in rng.sample(["handler", "webhook", "processor", "reader"], rng.randint(1, 3))]
                refs += fns
                if rng.random() < 0.5:
                    q = reg.queue(f"{iname}-queue")
                    refs.append(q)
                    reg.lambdas[-1]["sqs_trigger"] = q.ref[4:]
                refs.append(reg.api(f"{iname}-{env}-api" if rng.random() < 0.5 else f"{camel(iname)}Api{camel(env)}",
                                    "REST", [fns[0].ref[7:]]))
            stack = rng.choice([f"{camel(iname)}{camel(env)}", f"{iname}-{env}", f"{camel(iname)}-{env}"])
            res += [r.truth for r in refs] + [reg.stack(stack, tags, refs)]
        aliases = [repo, prod_name, stage_name]
        if not with_repo:
            if not any(k in s["tags"] for s in (prod.stacks[-1], staging.stacks[-1]) for k in owner_keys):
                prod.stacks[-1]["tags"]["team"] = team
            c.service(name, team, None, res, aliases=aliases)
            return
        lang = rng.choice(["Java", "Kotlin", "TypeScript", "Python", "C#"])
        what = f"{camel(name)} — {head} {rng.choice(['processing', 'lookups', 'workflows', 'integration'])} for Umbrella Health."
        if kind == "ecs":
            deploy = wf_ecs_action(prod.acct, "us-east-2", prod_name, prod_name,
                                   prod.stacks[-1]["resources"][0].split(":")[1].split("/")[0])
        else:
            deploy = wf_lambda_cli(prod.acct, "us-east-2", [r.split(":", 1)[1] for r in prod.stacks[-1]["resources"]
                                                           if r.startswith("lambda:")], "nodejs20.x")
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.5, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow(lang)}
        if drift_hard or rng.random() < 0.6:
            files[".github/workflows/deploy.yml"] = deploy
        newest = NOW - timedelta(days=rng.randint(0, 20))
        c.repo(repo, team, description=what, language=lang, files=files, newest=newest,
               history=old if story == "stale" else None, n_commits=rng.randint(10, 18))
        if story == "stale":
            c.repos[repo]["commits"][rng.randint(1, 3)]["message"] = f"chore: move ownership to @{c.org_login}/{team}"
        contested = story in ("stale", "conflict")
        c.own(repo, team, p_codeowners=0.75, places=("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"),
              mode=rng.choice(["team", "team", "users"]), p_perm=0.6, p_catalog=0.2, force=2 if contested else 0,
              catalog_name=name)
        if story == "stale":
            c.grant(old, repo, "push")
        c.service(name, team, repo, res, aliases=aliases)

    def web(team: str) -> None:
        name = pick_name(c, domains[team][0], ["portal", "web", "ui"])
        repo = name if rng.random() < 0.7 else camel(name)
        what = f"{camel(name)} single-page app."
        files = {"README.md": readme(camel(name), what, badges=True, repo=c.full(repo)),
                 ".github/workflows/ci.yml": ci_workflow("TypeScript")}
        c.repo(repo, team, description=what, language="TypeScript", files=files)
        c.own(repo, team, p_codeowners=0.7, places=("CODEOWNERS", ".github/CODEOWNERS"), p_perm=0.6,
              catalog_type="website")
        c.service(name, team, repo, [], aliases=[repo])

    plan = split(n, [("product", 0.82), ("web", 0.1), ("norepo", 0.08)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        {"product": lambda: product(team), "web": lambda: web(team),
         "norepo": lambda: product(team, with_repo=False)}[kind]()
    archived_and_forks(c, [("claims-api-old", "claims", "Claims API v1."),
                           ("member-portal-2019", "members", "Member portal (2019).")],
                       [("fhir-server", "Java", "HAPI FHIR server")])
    return (f"Synthetic company, style drift, {len(c.services)} product services: infra names drift from repo "
            "names (plural, abbreviations, CamelCase, svc- affixes), owner tags under six spellings that are stale, "
            "missing or conflicting, github_repo/repository tags on some resources")


# =========================================================================================== style: legacy

def legacy_style(c: Company, n: int) -> str:
    rng = c.rng
    domains = {
        "retail": (["order", "cart", "product", "price", "catalog"], "Retail"),
        "stores": (["store", "pos", "loyalty", "kiosk"], "Stores"),
        "supply": (["supplier", "shipment", "warehouse", "stock"], "Supply Chain"),
        "finance": (["ledger", "invoice", "tax", "payroll"], "Finance"),
        "people": (["employee", "timesheet", "hiring"], "People Systems"),
    }
    suffixes = ["service", "api", "app", "daemon", "worker", "importer", "batch"]
    c.team("engineering", "Engineering", 0)
    for slug, (_, title) in domains.items():
        c.team(slug, title, rng.randint(3, 5), parent="engineering")
    c.team("web", "Web", 3, parent="engineering")
    c.team("ops", "Ops", 3, parent="engineering", description="Infrastructure and operations")
    c.cross_members(list(domains) + ["web", "ops"], 3)
    products = list(domains)
    east, west = c.region("vandelay", "us-east-1"), c.region("vandelay", "us-west-2")
    acct = east.acct
    old_runtimes = ["python3.8", "python3.9", "nodejs14.x", "nodejs16.x", "java8.al2", "go1.x", "ruby2.7"]

    def jenkinsfile(cluster: str, service: str) -> str:
        return ("pipeline {\n  agent any\n  stages {\n    stage('Build') { steps { sh 'make build' } }\n"
                "    stage('Deploy') {\n      when { branch 'master' }\n      steps {\n"
                f"        sh 'docker build -t {acct}.dkr.ecr.us-east-1.amazonaws.com/{service}:$GIT_COMMIT .'\n"
                f"        sh 'docker push {acct}.dkr.ecr.us-east-1.amazonaws.com/{service}:$GIT_COMMIT'\n"
                f"        sh 'aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment'\n"
                "      }\n    }\n  }\n}\n")

    def tf_tags(team: str) -> dict:
        tags = {"managed-by": "terraform", "terraform-workspace": "prod"}
        if rng.random() < 0.8:
            tags[rng.choice(["team", "Team", "owner"])] = team
        return tags

    def ecs_app(team: str, with_repo: bool = True, replaced: bool = False) -> None:
        name = pick_name(c, domains[team][0], suffixes)
        cluster = rng.choice(["prod", "prod", "legacy-ec2"])
        svc_name = name if rng.random() < 0.7 else name.replace("-", "_")
        east.ecr.append(name)
        image = f"{acct}.dkr.ecr.us-east-1.amazonaws.com/{name}:{rng.choice(['latest', 'master', 'v2.3.1', 'build-1187'])}"
        terraform = rng.random() < 0.55 or not with_repo  # no repo: only the Terraform tags say who owns it
        tags = tf_tags(team) if terraform else {}
        if not with_repo:
            tags.setdefault("team", team)
        refs = [east.ecs(cluster, svc_name, image, tags=tags, desired=rng.randint(1, 4))]
        head = name.split("-")[0]
        # outside a stack only the name ties a database or queue to its service, so it carries the full name
        if rng.random() < 0.5:
            refs.append(east.db(c.fresh([f"{name}-db", f"{name}-prod", f"{name.replace('-', '')}db"] if terraform
                                        else [f"{head}-db", f"{name}-db", f"{head}db-prod"]),
                                rng.choice(["mysql", "mysql", "postgres", "oracle-se2"]), tags=tags))
        if rng.random() < 0.35:
            refs.append(east.queue(c.fresh([f"{name}-queue", f"{name.replace('-', '_')}_events", f"{name}-jobs"] if terraform
                                           else [f"{name}-queue", f"{head}_events", f"{name}-jobs"]), tags=tags))
        if rng.random() < 0.4:
            east.alarm(f"{svc_name}-cpu-utilization", refs[0], rng.choice(["OK", "ALARM", "INSUFFICIENT_DATA"]))
        res = [r.truth for r in refs]
        if not terraform:
            stack = rng.choice([f"vandelay-{name}-prod", f"{name}-prod-{rng.randint(2016, 2021)}", f"{camel(name)}Prod"])
            res.append(east.stack(stack, {"team": team} if rng.random() < 0.6 else {}, refs))
        if not with_repo:
            c.service(name, team, None, res, aliases=[svc_name])
            return
        repo = f"{name}-v2" if replaced else name
        lang = rng.choice(["Java", "Ruby", "PHP", "Python", "Go"])
        what = f"{camel(name)} ({lang}) — {head} {rng.choice(['backend', 'batch jobs', 'service', 'integration'])}."
        files = {"README.md": readme(camel(name), what, badges=rng.random() < 0.3, repo=c.full(repo))}
        if rng.random() < 0.5:
            files["Jenkinsfile"] = jenkinsfile(cluster, svc_name)
        else:
            files[".github/workflows/deploy.yml"] = wf_ecs_cli([("deploy-prod", acct, "us-east-1", f"{cluster}/{svc_name}")],
                                                               name, (acct, "us-east-1"))
            files[".github/workflows/ci.yml"] = ci_workflow(lang)
        if terraform:
            files["terraform/main.tf"] = (f"module \"service\" {{\n  source = \"git::https://github.com/{c.org_login}/"
                                          f"terraform-modules//ecs-service?ref=v3.2.0\"\n  name   = \"{svc_name}\"\n"
                                          f"  cluster = \"{cluster}\"\n}}\n")
        c.repo(repo, team, description=what, language=lang, files=files, branch=rng.choice(["master", "main"]),
               newest=NOW - timedelta(days=rng.randint(5, 200)))
        c.own(repo, team, p_codeowners=0.5, places=("CODEOWNERS",), p_perm=0.75, p_catalog=0.05)
        aliases = [repo, svc_name]
        if replaced:  # the archived original still deploys the same ECS service
            old = name
            c.repo(old, team, description=f"[DEPRECATED] {what} Moved to {repo}.", language=lang,
                   files={"README.md": readme(camel(name), f"**Moved to {c.full(repo)}.**", badges=False, repo=c.full(old)),
                          "Jenkinsfile": jenkinsfile(cluster, svc_name)},
                   archived=True, newest=NOW - timedelta(days=rng.randint(400, 900)), n_commits=6)
            c.exclude(old)
        c.service(name, team, repo, res, aliases=aliases)

    def lambda_app(team: str) -> None:
        name = pick_name(c, domains[team][0], ["api", "lambda", "hook", "feed"])
        runtime = rng.choice(old_runtimes[:5])
        reg = east if rng.random() < 0.8 else west
        fns = [reg.function(f"{name}-{f}" if f else name, runtime, "index.handler")
               for f in rng.sample(["", "auth", "ingest"], rng.randint(1, 2))]
        refs = fns + [reg.api(name, "REST", [fns[0].ref[7:]])]
        res = [r.truth for r in refs]
        if rng.random() < 0.6:
            res.append(reg.stack(f"{name}-{rng.choice(['prod', 'production'])}", {"team": team} if rng.random() < 0.5 else {}, refs))
        what = f"{camel(name)} on API Gateway + Lambda ({runtime})."
        files = {"README.md": readme(camel(name), what, badges=False, repo=c.full(name)),
                 ".github/workflows/deploy.yml": wf_lambda_cli(acct, reg.name, [f.ref[7:] for f in fns], runtime)}
        c.repo(name, team, description=what, language=language_for(runtime), files=files,
               newest=NOW - timedelta(days=rng.randint(10, 300)))
        c.own(name, team, p_codeowners=0.5, places=("CODEOWNERS",), p_perm=0.7)
        c.service(name, team, name, res)

    cron_names = ["nightly-inventory-export", "s3-csv-to-rds-loader", "cleanup-old-snapshots", "rotate-ftp-creds",
                  "edi-850-poller", "daily-sales-rollup", "price-feed-glue", "payroll-file-drop", "stale-cart-purge",
                  "supplier-sftp-sync"]
    cron_team = {"nightly-inventory-export": "supply", "s3-csv-to-rds-loader": "finance", "cleanup-old-snapshots": "ops",
                 "rotate-ftp-creds": "ops", "edi-850-poller": "supply", "daily-sales-rollup": "retail",
                 "price-feed-glue": "retail", "payroll-file-drop": "people", "stale-cart-purge": "retail",
                 "supplier-sftp-sync": "supply"}

    def cron(unowned: bool = False) -> None:
        name = c.unique(lambda: rng.choice(cron_names) + ("" if rng.random() < 0.8 else f"-{rng.choice(['v2', 'dr'])}"))
        team = cron_team[re.sub(r"-(v2|dr)$", "", name)]
        tags = {} if unowned else {rng.choice(["team", "Owner", "owner", "Team"]): team,
                                   "schedule": rng.choice(["cron(0 3 * * ? *)", "rate(1 hour)"])}
        fn = east.function(name, rng.choice(old_runtimes), "lambda_function.lambda_handler", tags=tags)
        if rng.random() < 0.4:
            east.alarm(f"{name}-failures", fn, rng.choice(["ALARM", "INSUFFICIENT_DATA", "OK"]))
        c.service(name, None if unowned else team, None, [fn.truth])

    def site(team: str, kind: str) -> None:
        choices = {"web": ["storefront", "careers-site", "store-locator", "admin-portal", "b2b-portal",
                           "wholesale-site", "investor-site", "press-site"],
                   "docs": ["engineering-handbook", "api-docs", "runbooks", "onboarding-guide", "architecture-decisions"],
                   "lib": ["vandelay-common", "legacy-soap-client", "money-utils", "ui-kit", "edi-parser",
                           "barcode-utils", "vandelay-auth-lib", "report-templates", "sftp-client", "pricing-rules"]}[kind]
        name = c.unique(lambda: rng.choice(choices))
        lang = {"web": rng.choice(["PHP", "Ruby", "TypeScript"]), "docs": "HTML",
                "lib": rng.choice(["Java", "Python", "TypeScript"])}[kind]
        what = {"web": f"The {name.replace('-', ' ')} website.", "docs": f"{name.replace('-', ' ').title()} (static docs site).",
                "lib": f"Shared library: {name.replace('-', ' ')}."}[kind]
        files = {"README.md": readme(name, what, badges=kind == "lib", repo=c.full(name))}
        if kind == "lib":
            files[".github/workflows/release.yml"] = wf_publish(lang)
        elif kind == "docs":
            files[".github/workflows/pages.yml"] = ("name: pages\non:\n  push:\n    branches: [main]\njobs:\n  build:\n"
                                                    "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                                                    "      - uses: actions/deploy-pages@v4\n")
        c.repo(name, team, description=what, language=lang, files=files, topics=[kind],
               newest=NOW - timedelta(days=rng.randint(3, 500)))
        c.own(name, team, p_codeowners=0.6, places=("CODEOWNERS", "docs/CODEOWNERS"), p_perm=0.6,
              catalog_type={"web": "website", "docs": "documentation", "lib": "library"}[kind])
        c.service(name, team, name, [])

    plan = split(n - 1, [("ecs", 0.3), ("ecs-replaced", 0.06), ("ecs-norepo", 0.06), ("lambda", 0.14),
                         ("cron", 0.14), ("web", 0.1), ("docs", 0.06), ("lib", 0.14)], rng)
    for i, kind in enumerate(plan):
        team = products[i % len(products)] if rng.random() < 0.7 else rng.choice(products)
        if kind in ("web", "docs"):
            site(rng.choice(["web", team]), kind)
        else:
            {"ecs": lambda: ecs_app(team), "ecs-replaced": lambda: ecs_app(team, replaced=True),
             "ecs-norepo": lambda: ecs_app(team, with_repo=False), "lambda": lambda: lambda_app(team),
             "cron": cron, "lib": lambda: site(team, "lib")}[kind]()
    cron(unowned=True)
    for name, what in (("terraform-modules", "Reusable Terraform modules (ecs-service, rds, sqs)."),
                       ("ansible-playbooks", "Ansible playbooks for the legacy EC2 fleet.")):
        c.repo(name, "ops", description=what, language="HCL" if name.startswith("terraform") else "Shell",
               files={"README.md": readme(name, what, badges=False, repo=c.full(name)), "CODEOWNERS": "* @vandelay/ops\n"},
               topics=["terraform" if name.startswith("terraform") else "ansible", "infrastructure"])
        c.grant("ops", name, "admin")
        c.exclude(name)
    archived = [(f"{rng.choice(domains[t][0])}-{rng.choice(['poc', 'old', 'v1', 'spike', 'hackathon'])}", t,
                 "Retired project.") for t in products for _ in range(2)]
    seen: set[str] = set()
    archived = [a for a in archived if a[0] not in c.repos and not (a[0] in seen or seen.add(a[0]))]
    archived_and_forks(c, archived, [("rails", "Ruby", "Ruby on Rails"), ("moto", "Python", "Mock AWS services"),
                                     ("sidekiq", "Ruby", "Simple, efficient background processing for Ruby"),
                                     ("serverless-plugin-warmup", "JavaScript", "Keep your lambdas warm"),
                                     ("jenkins-shared-library", "Groovy", "Jenkins pipeline shared library")])
    return (f"Synthetic company, style legacy, {len(c.services)} product services: many archived and forked repos, "
            "replacement repos next to archived originals, Terraform-made infra without stacks, cron lambdas with no "
            "repo, libraries, sites and docs without infra, Jenkinsfiles")


# =========================================================================================== entry points

STYLES: dict[str, tuple[Callable[[Company, int], str], str, str, str]] = {
    "serverless": (serverless_style, "nimbus", "Nimbus Eats", "nimbus.test"),
    "multi-account": (multi_account_style, "initech", "Initech Bank", "initech.test"),
    "users": (users_style, "hooli", "Hooli Mobility", "hooli.test"),
    "drift": (drift_style, "umbrella", "Umbrella Health", "umbrella.test"),
    "legacy": (legacy_style, "vandelay", "Vandelay Industries", "vandelay.test"),
}


def generate(style: str, *, name: str, n_services: int, seed: int) -> dict:
    """A roster-scenario/1 document (plain dicts) for ``style``; the same arguments give the same document."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    if n_services < 8:
        raise ValueError("a company needs at least 8 services to show its style")
    build, org, org_name, domain = STYLES[style]
    company = Company(style, name, seed, org, org_name, domain)
    description = build(company, n_services)
    return company.document(description)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when present: 10x faster
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", required=True, choices=sorted(STYLES))
    parser.add_argument("--name", required=True)
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", help="file to write (stdout when omitted)")
    args = parser.parse_args(argv)
    text = dump(generate(args.style, name=args.name, n_services=args.services, seed=args.seed))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
