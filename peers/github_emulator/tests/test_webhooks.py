"""The emulator sends the webhooks GitHub sends: every control change reaches a real receiving HTTP server,
signed with the hook's secret, under a fresh delivery id, in a payload valid against GitHub's published
webhook schemas (npm @octokit/webhooks-schemas), and the emulator's REST and GraphQL answers then show the
change."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from peers.github_emulator import create_app, get_schema, start_in_thread
from peers.github_emulator.graphql_api import PACKAGE_DIR
from peers.github_emulator.webhook_schemas import PayloadInvalid, validate_payload
from peers.scenario import parse_scenario

from .conftest import graphql
from .webhook_receiver import Received, Receiver

EXAMPLES = PACKAGE_DIR / "node_modules" / "@octokit" / "webhooks-examples" / "api.github.com" / "index.json"
OWNER_TOKEN, MEMBER_TOKEN = "ghp_owner", "ghp_member"
APP_ID = 777
SECRETS = {"acme": "acme secret", "initech": "initech secret", "app": "app secret"}
SCENARIO = """
format: roster-scenario/1
name: hooks
github:
  orgs:
    - login: acme
      email: it@acme.test
      members:
        - {login: olive-owner, role: admin, name: Olive Owner, email: olive@acme.test}
        - {login: max-dev, name: Max Dev, email: max@acme.test}
        - {login: ivy-ops}
      teams:
        - {slug: platform, name: Platform, members: [max-dev], repos: {billing: push}}
        - {slug: platform-sre, name: Platform SRE, parent: platform, members: [ivy-ops]}
      repos:
        - name: billing
          default_branch: main
          topics: [payments]
          files:
            README.md: "# billing\\n"
            .github/CODEOWNERS: "* @acme/platform\\n"
            catalog-info.yaml: "kind: Component\\nmetadata: {name: billing}\\n"
            old.txt: "to be removed\\n"
          commits:
            - {author: max-dev, date: "2026-01-02T00:00:00Z", message: "feat: invoices"}
            - {author: olive-owner, date: "2026-01-01T00:00:00Z", message: init}
        - name: ledger
          files: {README.md: "# ledger\\n"}
          commits: [{author: max-dev, date: "2026-01-01T00:00:00Z", message: init}]
    - login: initech
      members:
        - {login: peter, role: admin}
"""


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def app_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class GitHub:
    """One emulator, an org hook on each org and the GitHub App's webhook, all on ``receiver``."""

    def __init__(self, base: str, receiver: Receiver):
        self.base, self.receiver = base, receiver
        self.secrets: dict[int, str] = {}
        self.seen: set[tuple[int, str]] = set()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {OWNER_TOKEN}"
        created = self.http.post(f"{base}/orgs/acme/hooks", json={
            "name": "web", "events": ["*"], "config": {"url": receiver.url("/ok/acme"), "content_type": "json",
                                                       "secret": SECRETS["acme"]}})
        assert created.status_code == 201, created.text
        self.acme = created.json()["id"]
        self.initech = self.control("POST", "/_emulator/hooks", {"url": receiver.url("/ok/initech"), "org": "initech",
                                                                 "secret": SECRETS["initech"]})["id"]
        self.app = self.control("POST", "/_emulator/hooks", {"url": receiver.url("/ok/app"), "app": True,
                                                             "secret": SECRETS["app"]})["id"]
        self.secrets = {self.acme: SECRETS["acme"], self.initech: SECRETS["initech"], self.app: SECRETS["app"]}
        self.flush()

    def control(self, method: str, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        resp = requests.request(method, self.base + path, json=body)
        assert resp.status_code == status, resp.text
        return resp.json()

    def flush(self) -> None:
        assert self.control("POST", "/_emulator/hooks/flush") == {"flushed": True}

    def change(self, method: str, path: str, body: dict[str, Any] | None = None) -> list[Received]:
        """Make a change, wait for its deliveries and check each one as a receiver would."""
        answer = self.control(method, path + "?wait=1", body)
        sent = answer["deliveries"]
        got = self.receiver.by_guid([d["guid"] for d in sent])
        assert sorted((d["guid"], d["hook_id"]) for d in sent) == sorted((r.guid, hook_of(r)) for r in got)
        for r in got:
            self.check(r)
        return got

    def check(self, r: Received) -> None:
        hook_id = hook_of(r)
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["User-Agent"].startswith("GitHub-Hookshot/")
        assert r.signed_with(self.secrets[hook_id]) and not r.signed_with("not the secret")
        assert str(uuid.UUID(r.guid)) == r.guid
        assert (hook_id, r.guid) not in self.seen, "a delivery id came twice to one hook"
        self.seen.add((hook_id, r.guid))
        validate_payload(r.event, r.payload)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path)

    def gql(self, query: str) -> dict[str, Any]:
        body = graphql(self.http, self.base, query).json()
        return body


def hook_of(r: Received) -> int:
    return int(r.headers["X-GitHub-Hook-ID"])


def to(got: list[Received], hook: int, event: str, action: str | None = None) -> list[dict[str, Any]]:
    """The payloads of ``event`` (``action``) that reached ``hook``."""
    return [r.payload for r in got if hook_of(r) == hook and r.event == event
            and (action is None or r.payload.get("action") == action)]


@pytest.fixture
def gh(receiver, app_key):
    get_schema()
    public = app_key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    app = create_app(parse_scenario(SCENARIO), tokens={OWNER_TOKEN: "olive-owner", MEMBER_TOKEN: "max-dev"},
                     app_id=APP_ID, app_public_key=public, app_installed_on=["acme"], warm_schema=False)
    base, stop = start_in_thread(app)
    yield GitHub(base, receiver)
    stop()


def test_push_to_the_default_branch(gh):
    before = gh.get("/repos/acme/billing/commits").json()[0]["sha"]
    got = gh.change("POST", "/_emulator/push", {"repo": "acme/billing", "commits": [
        {"author": "max-dev", "message": "owners and catalog", "files": {".github/CODEOWNERS": "* @acme/platform-sre\n",
                                                                      "catalog-info.yaml": "kind: Component\n"}},
        {"author": "olive-owner", "message": "deploy", "files": {".github/workflows/deploy.yml": "on: push\n"},
         "deleted": ["old.txt"]},
    ]})
    [push] = to(got, gh.acme, "push")
    assert (push["ref"], push["before"], push["created"], push["deleted"]) == ("refs/heads/main", before, False, False)
    first, second = push["commits"]  # oldest first, each with what it changed
    assert first["message"] == "deploy" and first["added"] == [".github/workflows/deploy.yml"]
    assert first["removed"] == ["old.txt"] and first["author"]["username"] == "olive-owner"
    assert sorted(second["modified"]) == [".github/CODEOWNERS", "catalog-info.yaml"] and second["added"] == []
    assert push["head_commit"] == second and push["after"] == second["id"]
    assert push["repository"]["full_name"] == "acme/billing" and push["organization"]["login"] == "acme"
    assert push["sender"]["login"] == "max-dev" and push["pusher"]["email"] == "max@acme.test"
    assert to(got, gh.app, "push")[0]["installation"]["id"] > 0  # the App's webhook hears of it too
    assert not to(got, gh.initech, "push")
    # REST and GraphQL answer the new head and files
    assert gh.get("/repos/acme/billing/commits").json()[0]["sha"] == push["after"]
    assert gh.get("/repos/acme/billing/contents/old.txt").status_code == 404
    q = """{ repository(owner: "acme", name: "billing") {
        defaultBranchRef { target { oid } } object(expression: "HEAD:.github/CODEOWNERS") { ... on Blob { text } } } }"""
    repo = gh.gql(q)["data"]["repository"]
    assert repo["defaultBranchRef"]["target"]["oid"] == push["after"]
    assert repo["object"]["text"] == "* @acme/platform-sre\n"


def test_push_to_another_branch_creates_and_deletes_it(gh):
    head = gh.get("/repos/acme/billing/commits").json()[0]["sha"]
    got = gh.change("POST", "/_emulator/push", {"repo": "acme/billing", "branch": "feature/owners",
                                                "files": {"catalog-info.yaml": "kind: Component\nspec: {}\n"}})
    [push] = to(got, gh.acme, "push")
    assert push["ref"] == "refs/heads/feature/owners" and push["created"] and push["before"] == "0" * 40
    assert push["commits"][0]["modified"] == ["catalog-info.yaml"]
    branches = {b["name"]: b["commit"]["sha"] for b in gh.get("/repos/acme/billing/branches").json()}
    assert branches == {"main": head, "feature/owners": push["after"]}
    on_branch = gh.get("/repos/acme/billing/contents/catalog-info.yaml?ref=feature/owners").json()
    assert on_branch["path"] == "catalog-info.yaml" and "feature/owners" in on_branch["url"]
    assert gh.get("/repos/acme/billing/commits").json()[0]["sha"] == head  # the default branch did not move
    q = """{ repository(owner: "acme", name: "billing") { defaultBranchRef { name }
        ref(qualifiedName: "refs/heads/feature/owners") { name target { oid } }
        refs(refPrefix: "refs/heads/", first: 10) { nodes { name } } } }"""
    repo = gh.gql(q)["data"]["repository"]
    assert repo["defaultBranchRef"] == {"name": "main"}
    assert repo["ref"] == {"name": "feature/owners", "target": {"oid": push["after"]}}
    assert [n["name"] for n in repo["refs"]["nodes"]] == ["feature/owners", "main"]
    got = gh.change("POST", "/_emulator/push", {"repo": "acme/billing", "branch": "feature/owners",
                                                "delete_branch": True})
    [gone] = to(got, gh.acme, "push")
    assert gone["deleted"] and gone["after"] == "0" * 40 and gone["head_commit"] is None and gone["commits"] == []
    assert [b["name"] for b in gh.get("/repos/acme/billing/branches").json()] == ["main"]
    assert gh.get("/repos/acme/billing/contents/README.md?ref=feature/owners").status_code == 404


def test_repository_created_renamed_archived_edited(gh):
    got = gh.change("POST", "/_emulator/repos", {"org": "acme", "name": "payments-api", "description": "Payments",
                                                 "topics": ["payments"]})
    [created] = to(got, gh.acme, "repository", "created")
    repo_id = created["repository"]["id"]
    assert gh.get("/repos/acme/payments-api").json()["id"] == repo_id
    assert gh.get("/repos/acme/payments-api/contents/README.md").status_code == 404  # empty so far
    got = gh.change("POST", "/_emulator/push", {"repo": "acme/payments-api", "files": {"README.md": "# payments\n"}})
    [first] = to(got, gh.acme, "push")
    assert first["created"] and first["before"] == "0" * 40 and first["commits"][0]["added"] == ["README.md"]
    assert gh.get("/repos/acme/payments-api/contents/README.md").json()["sha"]

    got = gh.change("POST", "/_emulator/repos/acme/payments-api/rename", {"name": "payments"})
    [renamed] = to(got, gh.acme, "repository", "renamed")
    assert renamed["changes"] == {"repository": {"name": {"from": "payments-api"}}}
    assert renamed["repository"]["full_name"] == "acme/payments" and renamed["repository"]["id"] == repo_id
    assert gh.get("/repos/acme/payments").json()["id"] == repo_id
    assert gh.gql('{ repository(owner: "acme", name: "payments") { databaseId } }')["data"]["repository"] == {
        "databaseId": repo_id}

    got = gh.change("PATCH", "/_emulator/repos/acme/payments", {"description": "Card payments",
                                                                "topics": ["payments", "cards"]})
    [edited] = to(got, gh.acme, "repository", "edited")
    assert edited["changes"] == {"description": {"from": "Payments"}, "topics": {"from": ["payments"]}}
    assert gh.get("/repos/acme/payments/topics").json() == {"names": ["payments", "cards"]}

    got = gh.change("PATCH", "/_emulator/repos/acme/payments", {"visibility": "public"})
    assert to(got, gh.acme, "repository", "publicized") and gh.get("/repos/acme/payments").json()["visibility"] == "public"

    got = gh.change("POST", "/_emulator/repos/acme/payments/archive")
    assert to(got, gh.acme, "repository", "archived")[0]["repository"]["archived"] is True
    assert gh.get("/repos/acme/payments").json()["archived"] is True
    q = '{ repository(owner: "acme", name: "payments") { isArchived } }'
    assert gh.gql(q)["data"]["repository"] == {"isArchived": True}
    refused = requests.post(f"{gh.base}/_emulator/push", json={"repo": "acme/payments", "files": {"a": "b"}})
    assert refused.status_code == 400 and "archived" in refused.json()["message"]
    got = gh.change("POST", "/_emulator/repos/acme/payments/unarchive")
    assert to(got, gh.acme, "repository", "unarchived") and gh.gql(q)["data"]["repository"] == {"isArchived": False}


def test_repository_transferred_and_deleted(gh):
    repo_hook = gh.control("POST", "/_emulator/hooks", {"url": gh.receiver.url("/ok/repo"), "repo": "acme/ledger",
                                                        "secret": "repo secret", "events": ["repository", "push"]})["id"]
    gh.secrets[repo_hook] = "repo secret"
    gh.flush()
    got = gh.change("POST", "/_emulator/repos/acme/ledger/transfer", {"new_owner": "initech"})
    [moved] = to(got, gh.initech, "repository", "transferred")
    assert moved["changes"]["owner"]["from"]["user"]["login"] == "acme"
    assert moved["repository"]["full_name"] == "initech/ledger" and moved["organization"]["login"] == "initech"
    assert to(got, gh.acme, "repository") == []  # only the new owner hears of it
    assert to(got, repo_hook, "repository", "transferred")  # the repository's own hook moved with it
    assert gh.get("/repos/acme/ledger").status_code == 404 and gh.get("/repos/initech/ledger").status_code == 200
    assert "ledger" not in {r["name"] for r in gh.get("/orgs/acme/repos").json()}

    got = gh.change("DELETE", "/_emulator/repos/acme/billing")
    [deleted] = to(got, gh.acme, "repository", "deleted")
    assert deleted["repository"]["full_name"] == "acme/billing"
    assert to(got, gh.app, "repository") == []  # GitHub Apps are not told of deleted repositories
    assert gh.get("/repos/acme/billing").status_code == 404
    assert gh.gql('{ repository(owner: "acme", name: "billing") { id } }')["errors"][0]["type"] == "NOT_FOUND"
    assert "billing" not in gh.get("/orgs/acme/teams/platform/repos").text


def test_team_changes(gh):
    got = gh.change("POST", "/_emulator/orgs/acme/teams", {"name": "Data Eng", "description": "Pipelines",
                                                           "parent": "platform"})
    [created] = to(got, gh.acme, "team", "created")
    assert created["team"]["slug"] == "data-eng" and created["team"]["parent"]["slug"] == "platform"
    assert gh.get("/orgs/acme/teams/data-eng").json()["parent"]["slug"] == "platform"

    got = gh.change("PUT", "/_emulator/orgs/acme/teams/data-eng/members/ivy-ops", {"role": "maintainer"})
    [joined] = to(got, gh.acme, "membership", "added")
    assert joined["scope"] == "team" and joined["member"]["login"] == "ivy-ops" and joined["team"]["slug"] == "data-eng"
    assert [m["login"] for m in gh.get("/orgs/acme/teams/data-eng/members").json()] == ["ivy-ops"]

    got = gh.change("PUT", "/_emulator/orgs/acme/teams/data-eng/repos/ledger", {"permission": "maintain"})
    [added] = to(got, gh.acme, "team_add")
    assert added["repository"]["name"] == "ledger" and added["team"]["slug"] == "data-eng"
    assert to(got, gh.acme, "team", "added_to_repository")
    got = gh.change("PUT", "/_emulator/orgs/acme/teams/data-eng/repos/ledger", {"permission": "admin"})
    [regranted] = to(got, gh.acme, "team", "edited")
    assert regranted["changes"] == {"repository": {"permissions": {"from": {"admin": False, "push": True, "pull": True}}}}
    assert gh.get("/orgs/acme/teams/data-eng/repos").json()[0]["role_name"] == "admin"

    got = gh.change("PATCH", "/_emulator/orgs/acme/teams/data-eng", {"name": "Data Platform"})
    [renamed] = to(got, gh.acme, "team", "edited")
    assert renamed["changes"] == {"name": {"from": "Data Eng"}} and renamed["team"]["slug"] == "data-platform"
    assert gh.get("/orgs/acme/teams/data-eng").status_code == 404
    q = '{ organization(login: "acme") { team(slug: "data-platform") { name members(first: 10) { nodes { login } } } } }'
    assert gh.gql(q)["data"]["organization"]["team"] == {"name": "Data Platform", "members": {"nodes": [{"login": "ivy-ops"}]}}

    got = gh.change("DELETE", "/_emulator/orgs/acme/teams/data-platform/repos/ledger")
    assert to(got, gh.acme, "team", "removed_from_repository")[0]["repository"]["name"] == "ledger"
    got = gh.change("DELETE", "/_emulator/orgs/acme/teams/data-platform/members/ivy-ops")
    assert to(got, gh.acme, "membership", "removed")[0]["member"]["login"] == "ivy-ops"
    assert gh.get("/orgs/acme/teams/data-platform/members").json() == []

    got = gh.change("DELETE", "/_emulator/orgs/acme/teams/platform")  # takes its child teams with it
    assert sorted(p["team"]["slug"] for p in to(got, gh.acme, "team", "deleted")) == ["data-platform", "platform",
                                                                                     "platform-sre"]
    assert gh.get("/orgs/acme/teams").json() == []


def test_org_members_and_collaborators(gh):
    got = gh.change("PUT", "/_emulator/orgs/acme/members/new-hire", {"name": "New Hire"})
    [joined] = to(got, gh.acme, "organization", "member_added")
    assert joined["membership"]["user"]["login"] == "new-hire" and joined["membership"]["role"] == "member"
    assert "new-hire" in [m["login"] for m in gh.get("/orgs/acme/members").json()]
    got = gh.change("DELETE", "/_emulator/orgs/acme/members/max-dev")
    assert to(got, gh.acme, "organization", "member_removed")
    assert "max-dev" not in gh.get("/orgs/acme/teams/platform/members").text

    got = gh.change("PUT", "/_emulator/repos/acme/ledger/collaborators/contractor", {"permission": "push"})
    [added] = to(got, gh.acme, "member", "added")
    assert added["member"]["login"] == "contractor" and added["changes"] == {"permission": {"to": "write"}}
    direct = gh.get("/repos/acme/ledger/collaborators?affiliation=outside").json()
    assert [(c["login"], c["role_name"]) for c in direct] == [("contractor", "write")]
    got = gh.change("PUT", "/_emulator/repos/acme/ledger/collaborators/contractor", {"permission": "admin"})
    assert to(got, gh.acme, "member", "edited")[0]["changes"] == {"old_permission": {"from": "write"}}
    got = gh.change("DELETE", "/_emulator/repos/acme/ledger/collaborators/contractor")
    assert to(got, gh.acme, "member", "removed")
    assert gh.get("/repos/acme/ledger/collaborators?affiliation=direct").json() == []


def test_installation_repository_selection(gh, app_key):
    got = gh.change("POST", "/_emulator/installation/repositories", {"org": "acme", "remove": ["ledger"]})
    [removed] = to(got, gh.app, "installation_repositories", "removed")
    assert [r["full_name"] for r in removed["repositories_removed"]] == ["acme/ledger"]
    assert removed["repository_selection"] == "selected" and removed["installation"]["account"]["login"] == "acme"
    assert not to(got, gh.acme, "installation_repositories")  # an App event only
    now = int(time.time())
    app_jwt = jwt.encode({"iat": now - 30, "exp": now + 300, "iss": str(APP_ID)}, app_key, algorithm="RS256")
    install = removed["installation"]["id"]
    token = requests.post(f"{gh.base}/app/installations/{install}/access_tokens",
                          headers={"Authorization": f"Bearer {app_jwt}"}).json()
    assert token["repository_selection"] == "selected"
    as_app = {"Authorization": f"token {token['token']}"}
    listed = requests.get(f"{gh.base}/installation/repositories", headers=as_app).json()
    assert [r["name"] for r in listed["repositories"]] == ["billing"] and listed["repository_selection"] == "selected"
    assert [r["name"] for r in requests.get(f"{gh.base}/orgs/acme/repos", headers=as_app).json()] == ["billing"]
    assert requests.get(f"{gh.base}/repos/acme/ledger", headers=as_app).status_code == 404
    # the App no longer hears of a repository it was removed from; the org hook still does
    got = gh.change("POST", "/_emulator/push", {"repo": "acme/ledger", "files": {"x.txt": "x"}})
    assert to(got, gh.acme, "push") and not to(got, gh.app, "push")
    got = gh.change("POST", "/_emulator/installation/repositories", {"org": "acme", "add": ["ledger"]})
    [added] = to(got, gh.app, "installation_repositories", "added")
    assert [r["name"] for r in added["repositories_added"]] == ["ledger"]
    assert len(requests.get(f"{gh.base}/installation/repositories", headers=as_app).json()["repositories"]) == 2


def test_payloads_carry_what_githubs_examples_carry(gh):
    """Besides validating, each payload has every top-level field (and repository field) that GitHub's own
    examples of that event and action have (npm @octokit/webhooks-examples), but the App's ``installation``."""
    index = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    examples = {(e["name"], x.get("action")): x for e in index for x in e["examples"]}
    got = []
    for method, path, body in [
        ("POST", "/_emulator/push", {"repo": "acme/billing", "files": {"a.txt": "a"}}),
        ("POST", "/_emulator/repos", {"org": "acme", "name": "new"}),
        ("POST", "/_emulator/repos/acme/new/rename", {"name": "newer"}),
        ("PATCH", "/_emulator/repos/acme/newer", {"description": "d"}),
        ("POST", "/_emulator/repos/acme/newer/archive", {}),
        ("PUT", "/_emulator/orgs/acme/teams/platform/members/ivy-ops", {}),
        ("PUT", "/_emulator/orgs/acme/teams/platform/repos/ledger", {"permission": "push"}),
        ("PUT", "/_emulator/repos/acme/ledger/collaborators/outsider", {"permission": "push"}),
        ("PUT", "/_emulator/orgs/acme/members/zed", {}),
        ("POST", "/_emulator/orgs/acme/teams", {"name": "Newest"}),
        ("POST", "/_emulator/installation/repositories", {"org": "acme", "remove": ["ledger"]}),
    ]:
        got += gh.change(method, path, body)
    compared = set()
    for r in got:
        payload, key = r.payload, (r.event, r.payload.get("action"))
        example = examples.get(key)
        if example is None:
            continue
        compared.add(key)
        assert set(example) - set(payload) - {"installation", "enterprise"} == set(), key
        if "repository" in example:
            assert set(example["repository"]) - set(payload["repository"]) == set(), key
    assert len(compared) >= 10, compared


def test_validate_payload_explains_what_is_wrong():
    with pytest.raises(PayloadInvalid, match="push\\$event: .*'ref' is a required property"):
        validate_payload("push", {"before": "x"})
    with pytest.raises(PayloadInvalid, match="no schema for action 'exploded'"):
        validate_payload("repository", {"action": "exploded"})
    with pytest.raises(PayloadInvalid, match="unknown webhook event"):
        validate_payload("no_such_event", {})
