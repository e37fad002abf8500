"""Fixtures: one emulator per test module serving sample-messy.yaml, and GitHub's OpenAPI description."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator

from peers.github_emulator import create_app, get_schema, start_in_thread
from peers.github_emulator.graphql_api import PACKAGE_DIR, ensure_schema
from peers.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"  # the companies bundled with the checkout
OPENAPI_PATH = PACKAGE_DIR / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
TOKEN = "ghp_emulatortesttoken"
ORG = "globex"


@pytest.fixture(scope="session")
def messy() -> dict[str, Any]:
    """sample-messy.yaml, read once (the emulator copies what it serves; tests must not modify it)."""
    return load_scenario(SCENARIOS / "sample-messy.yaml")


@pytest.fixture(scope="module")
def emulator(messy: dict[str, Any]):
    """Base URL of an emulator serving sample-messy.yaml, accepting only TOKEN."""
    get_schema()
    base, stop = start_in_thread(create_app(messy, tokens=[TOKEN]))
    yield base
    stop()


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"token {TOKEN}"
    yield session
    session.close()


def graphql(session: requests.Session, base: str, query: str, variables: dict[str, Any] | None = None,
            path: str = "/graphql") -> requests.Response:
    return session.post(base + path, json={"query": query, "variables": variables or {}})


def org_of(scenario: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in scenario["github"]["orgs"] if o["login"] == ORG)


def repo_of(scenario: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in org_of(scenario)["repos"] if r["name"] == name)


class OpenAPI:
    """Response schemas of GitHub's REST API description (npm @octokit/openapi, api.github.com)."""

    def __init__(self) -> None:
        ensure_schema()
        self.spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))

    def schema(self, path: str, status: int = 200, method: str = "get") -> dict[str, Any]:
        response = self.spec["paths"][path][method]["responses"][str(status)]
        if "$ref" in response:
            response = self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return response["content"]["application/json"]["schema"]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def validate(self, path: str, body: Any, status: int = 200, method: str = "get") -> None:
        """Validate ``body`` and check that it carries no top-level field GitHub does not document."""
        # The contents endpoint's oneOf carries a discriminator keyed on "type" although one of its
        # options is an array; the validator cannot apply that to a directory listing, oneOf still decides.
        schema = {k: v for k, v in self.schema(path, status, method).items() if k != "discriminator"}
        validator = OAS30Validator({**schema, "components": self.spec["components"]},
                                   format_checker=OAS30Validator.FORMAT_CHECKER)
        problem = best_match(validator.iter_errors(body))
        assert problem is None, f"{path}: {problem.message[-300:]} at {list(problem.absolute_path)}"
        resolved = self.resolve(schema)
        if resolved.get("type") == "array":
            resolved, items = self.resolve(resolved["items"]), body
        else:
            items = [body]
        options = [self.resolve(s) for s in resolved.get("oneOf", [resolved])]
        for item in items:
            documented = set().union(*(set(s.get("properties", {})) for s in options))
            if documented and isinstance(item, dict):
                assert set(item) <= documented, f"{path}: undocumented fields {set(item) - documented}"


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return OpenAPI()
