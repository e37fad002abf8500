"""What each GitHub delivery means (pure: no database, no server)."""
import hashlib
import hmac

import pytest

from freshness.github_events import Malformed, plan, signature_valid

ORG = {"login": "acme"}


def repo(name="payments-api", default_branch="main", owner="acme"):
    return {"name": name, "full_name": f"{owner}/{name}", "default_branch": default_branch, "owner": {"login": owner}}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("header", [None, "", "sha1=abc", "sha256=", "sha256=" + "0" * 64,
                                    sign("another-secret", b'{"a":1}'), sign("s3cret", b'{"a":2}')])
def test_a_signature_that_is_not_the_body_signed_with_the_secret_is_refused(header):
    assert not signature_valid("s3cret", b'{"a":1}', header)


def test_the_body_signed_with_the_secret_is_accepted_and_an_empty_secret_never_is():
    assert signature_valid("s3cret", b'{"a":1}', sign("s3cret", b'{"a":1}'))
    assert not signature_valid("", b'{"a":1}', sign("", b'{"a":1}'))


def test_a_push_to_the_default_branch_reads_that_repository_again():
    got = plan("push", {"ref": "refs/heads/main", "repository": repo(), "organization": ORG}, org="acme")
    assert got.as_json() == {"repos": ["payments-api"], "forget": [], "teams": False}


def test_a_push_to_another_branch_is_ignored_with_a_reason():
    got = plan("push", {"ref": "refs/heads/feature", "repository": repo(), "organization": ORG}, org="acme")
    assert got.empty and "not the default branch main" in got.ignored


def test_a_delivery_for_another_organization_is_ignored():
    got = plan("push", {"ref": "refs/heads/main", "repository": repo(owner="evil"),
                        "organization": {"login": "evil"}}, org="acme")
    assert got.empty and "evil" in got.ignored


@pytest.mark.parametrize("action, expected", [
    ("created", {"repos": ["payments-api"], "forget": []}),
    ("edited", {"repos": ["payments-api"], "forget": []}),
    ("unarchived", {"repos": ["payments-api"], "forget": []}),
    ("deleted", {"repos": [], "forget": ["payments-api"]}),
    ("archived", {"repos": [], "forget": ["payments-api"]}),
])
def test_repository_actions(action, expected):
    got = plan("repository", {"action": action, "repository": repo(), "organization": ORG}, org="acme")
    assert {key: got.as_json()[key] for key in ("repos", "forget")} == expected


def test_an_archived_repository_is_read_again_where_archived_ones_are_catalogued():
    got = plan("repository", {"action": "archived", "repository": repo(), "organization": ORG}, org="acme",
               include_archived=True)
    assert got.repos == {"payments-api"} and not got.forget


def test_a_rename_reads_the_new_name_and_forgets_the_old():
    payload = {"action": "renamed", "repository": repo("payments"), "organization": ORG,
               "changes": {"repository": {"name": {"from": "payments-api"}}}}
    got = plan("repository", payload, org="acme")
    assert got.repos == {"payments"} and got.forget == {"payments-api"}


def test_a_transfer_out_forgets_and_a_transfer_in_reads():
    out = {"action": "transferred", "repository": repo(owner="other"), "organization": {"login": "other"},
           "changes": {"owner": {"from": {"organization": {"login": "acme"}}}}}
    assert plan("repository", out, org="acme").forget == {"payments-api"}
    into = {"action": "transferred", "repository": repo(), "organization": ORG,
            "changes": {"owner": {"from": {"user": {"login": "someone"}}}}}
    assert plan("repository", into, org="acme").repos == {"payments-api"}


@pytest.mark.parametrize("event, payload", [
    ("team", {"action": "created", "team": {"slug": "payments"}}),
    ("membership", {"action": "added", "scope": "team", "team": {"slug": "payments"}}),
    ("team_add", {"team": {"slug": "payments"}, "repository": repo()}),
])
def test_team_events_read_the_teams_again(event, payload):
    got = plan(event, {**payload, "organization": ORG}, org="acme")
    assert got.teams and not got.repos and not got.forget


def test_installation_repositories_reads_the_added_and_forgets_the_removed():
    got = plan("installation_repositories", {"action": "added", "organization": ORG,
                                             "repositories_added": [{"name": "a"}],
                                             "repositories_removed": [{"name": "b"}]}, org="acme")
    assert got.repos == {"a"} and got.forget == {"b"}


@pytest.mark.parametrize("event, payload, message", [
    ("push", [], "not a JSON object"),
    ("push", {"repository": repo()}, "missing ref"),
    ("push", {"ref": 7, "repository": repo()}, "ref is not a non-empty string"),
    ("push", {"ref": "refs/heads/main", "repository": "payments"}, "missing repository.name"),
    ("repository", {"repository": repo()}, "carry an action"),
    ("repository", {"action": "renamed", "repository": repo(), "changes": []}, "missing changes.repository"),
    ("team", {"action": "created", "team": None}, "missing team.slug"),
    ("installation_repositories", {"repositories_added": "all"}, "not a list"),
    ("repository", {"action": "transferred", "repository": repo(), "changes": {"owner": ["x"]}}, None),
])
def test_hostile_or_malformed_payloads_raise_a_clear_error_never_a_crash(event, payload, message):
    if message is None:  # odd but harmless shapes still plan something sensible
        assert plan(event, payload, org="acme").repos == {"payments-api"}
        return
    with pytest.raises(Malformed, match=message):
        plan(event, payload, org="acme")
