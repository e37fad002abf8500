"""The emulator's routes, one blueprint per area (``create_app`` registers them all; OAuth is
``oauth.py``'s own blueprint):

- ``orgs``: organizations, members, teams, users, ``/user``, ``/rate_limit``;
- ``repos``: an org's repositories, one repository, its languages, topics and commits;
- ``contents``: the contents endpoint and raw downloads;
- ``github_app``: GitHub App (JWT) endpoints and installation tokens;
- ``graphql``: ``POST /graphql``;
- ``control``: ``/_emulator/...``.
"""
from __future__ import annotations

from . import contents, control, github_app, graphql, orgs, repos

BLUEPRINTS = (orgs.bp, repos.bp, contents.bp, github_app.bp, graphql.bp, control.bp)

__all__ = ["BLUEPRINTS"]
