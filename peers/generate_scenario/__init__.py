"""Generate realistic ``roster-scenario/1`` companies (format: the shared FORMAT.md) with a correct truth.

Each style is a different kind of company, so discovery can't overfit to the bundled samples:

- ``serverless``: Serverless Framework and SAM apps, prod and dev stages in one account, Copilot containers.
- ``multi-account``: CDK apps deployed to dev / staging / prod (two regions) accounts, images in a shared ECR.
- ``users``: CODEOWNERS naming people and e-mails, nested teams, a monorepo, ownership only in commits/permissions.
- ``drift``: infra names drift from repo names, stale / conflicting / oddly spelled tags, github_repo tags.
- ``legacy``: archived and forked repos, Terraform-made infra without stacks, cron lambdas without repos.
- ``realorg``: code-named repos, a shared cluster and platform-owned data, people who left, unowned services,
  two-region deploys under one name.
- ``terraform``: no CloudFormation; one infrastructure repository declares every service (a folder or a module
  call each, CODEOWNERS per folder), mixed or missing tags, app repos that only redeploy.
- ``acquisition``: two GitHub orgs and two companies' accounts, same-slug teams, services moving between them.
- ``monorepo``: services per folder in a few monorepos, owners per path, per-service / matrix / paths-filter deploys.

The truth is built alongside the data: every owner it names is supported by signals in the data (tags,
CODEOWNERS, team permissions, catalog-info, commit authors), and by at least two of them when a
stale signal disagrees. ``python -m peers.generate_scenario --style S --name N --services K --seed X -o FILE``.

Modules: ``vocab`` (word lists, the fixed clock, naming helpers), ``aws`` (accounts, regions and their
resources), ``github`` (people, teams, repositories, ownership signals), ``company`` (both sides and the
truth), ``workflows`` (GitHub Actions workflows), ``monorepo_workflows`` (a monorepo's deploy workflows), ``repo_files`` (the other files in repositories),
``yaml_text`` (YAML dumping), ``styles/`` (one module per style), ``build`` (``STYLES``, ``generate``)
and ``cli`` (``main``).
"""
from __future__ import annotations

from .aws import Region, Res
from .build import STYLES, generate
from .cli import main
from .company import Company
from .vocab import FORMAT, NOW
from .yaml_text import dump

__all__ = ["FORMAT", "NOW", "STYLES", "Company", "Region", "Res", "dump", "generate", "main"]
