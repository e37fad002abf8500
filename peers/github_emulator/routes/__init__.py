"""The emulator's routes, one blueprint per area (``create_app`` registers them all; OAuth is
``oauth.py``'s own blueprint):

- ``orgs``: organizations, members, teams, users, ``/user``, ``/rate_limit``;
- ``repos``: an org's repositories, one repository, its languages, topics, commits and default branch;
- ``contents``: the contents endpoint and raw downloads;
- ``actions``: Actions workflows (the files under ``.github/workflows``) and their runs;
- ``deployments``: a repository's deployments and their statuses;
- ``github_app``: GitHub App (JWT) endpoints and installation tokens;
- ``graphql``: ``POST /graphql``;
- ``hooks``: organization and repository webhooks, ``/installation/repositories``;
- ``control``: ``/_emulator/...``; ``control_changes``: ``/_emulator/repos``, ``/_emulator/orgs/...`` (the changes
  a real org makes, sent as webhooks);
- ``fallback``: any other GET path GitHub's OpenAPI description documents, answered empty or 404 as GitHub
  documents it (registered last; Flask prefers every more specific rule).
"""
from __future__ import annotations

from . import (actions, contents, control, control_changes, deployments, fallback, github_app, graphql, hooks, orgs,
               repos)

BLUEPRINTS = (orgs.bp, repos.bp, contents.bp, actions.bp, deployments.bp, github_app.bp, graphql.bp, hooks.bp,
              control.bp, control_changes.bp, fallback.bp)

__all__ = ["BLUEPRINTS"]
