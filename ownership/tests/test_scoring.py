"""The ownership model: signals, weights, normalization over available signals, status."""
import pytest

from catalog.naming import TeamDirectory, owner_tag_values, tag_votes
from catalog.tests.test_reconcile import company, run
from ownership.signals import infer_drafts
from ownership.scoring import OwnerSignals, codeowner_shares, commit_votes, score_owners

DIRECTORY = TeamDirectory(
    teams=[{"slug": "engineering", "name": "Engineering", "parent": None, "members": ["alice", "bob", "carol", "dan"]},
           {"slug": "payments", "name": "Payments", "parent": "engineering", "members": ["alice", "bob"]},
           {"slug": "risk", "name": "Risk Squad", "parent": "engineering", "members": ["carol"]},
           {"slug": "platform", "name": "Platform", "parent": None, "members": ["dan"]}],
    members=[{"login": "alice", "email": "alice@acme.test"}, {"login": "carol", "email": "carol@acme.test"},
             {"login": "dan", "email": "dan@acme.test"}])


@pytest.mark.parametrize("value, team", [
    ("payments", "payments"), ("Payments", "payments"), ("@acme/payments", "payments"), ("payments-team", "payments"),
    ("team-payments", "payments"), ("Payments Team", "payments"), ("group:payments", "payments"),
    ("Risk Squad", "risk"), ("alice@acme.test", "payments"), ("carol", "risk"), ("user:carol", "risk"),
    ("team-phoenix", "phoenix"), ("payments-legacy", "payments")])
def test_owner_names_in_their_common_spellings_resolve_to_team_slugs(value, team):
    assert DIRECTORY.resolve(value, keep_unknown=True) == (team,)


@pytest.mark.parametrize("key", ["team", "Team", "owner", "Owner", "owning-team", "owner_team", "squad", "group",
                                 "maintainer", "OwnedBy"])
def test_owner_tag_keys_in_their_common_spellings(key):
    assert owner_tag_values({key: "payments", "service": "x", "env": "prod"}) == ["payments"]


def test_a_user_counts_for_the_most_specific_team_not_the_parent_listing_them():
    assert DIRECTORY.teams_of_user("alice") == ("payments",)
    assert commit_votes({"alice": 6, "carol": 2, "stranger": 50}, DIRECTORY) == {"payments": 6.0, "risk": 2.0}


def test_codeowners_users_and_emails_count_for_their_teams_and_the_last_root_rule_wins():
    rules = [{"pattern": "*", "owners": ["@acme/platform"], "order": 0},
             {"pattern": "*", "owners": ["@alice", "carol@acme.test"], "order": 1},
             {"pattern": "/docs/", "owners": ["@acme/platform"], "order": 2}]
    shares, owners = codeowner_shares(rules, DIRECTORY)
    assert shares == {"payments": 0.5, "risk": 0.5} and owners == ["@alice", "carol@acme.test"]


def test_a_monorepo_folder_rule_named_after_the_service_beats_the_root_rule():
    rules = [{"pattern": "*", "owners": ["@acme/platform"], "order": 0},
             {"pattern": "/services/trip-tracker/", "owners": ["@carol"], "order": 1}]
    assert codeowner_shares(rules, DIRECTORY, folder_keys={"triptracker"})[0] == {"risk": 1.0}
    assert codeowner_shares(rules, DIRECTORY, folder_keys={"eta"})[0] == {"platform": 1.0}


def test_a_folder_rule_is_matched_by_the_service_keys_a_plural_folder_name_gives():
    # the service's keys singularize ("customs-service" is keyed "customservice"); the folder keeps its plural
    rules = [{"pattern": "*", "owners": ["@acme/platform"], "order": 0},
             {"pattern": "/services/customs-service/", "owners": ["@carol"], "order": 1}]
    assert codeowner_shares(rules, DIRECTORY, folder_keys={"customservice"})[0] == {"risk": 1.0}


def test_codeowners_team_that_does_not_exist_is_not_scored():
    assert codeowner_shares([{"pattern": "*", "owners": ["@acme/ghosts"], "order": 0}], DIRECTORY)[0] == {}


def test_all_signals_agreeing_is_owned_with_full_confidence():
    result = score_owners(OwnerSignals(codeowners={"payments": 1.0}, tags={"payments": 3}, commits={"payments": 9},
                                       permissions={"payments": "admin"}))
    assert (result.owner, result.status, result.confidence, result.source) == ("payments", "owned", 1.0, "codeowners")


def test_codeowners_outweighs_a_wrong_tag_and_a_stray_push_grant():
    result = score_owners(OwnerSignals(codeowners={"payments": 1.0}, tags={"risk": 1}, commits={"payments": 15, "risk": 3},
                                       permissions={"risk": "push"}))
    assert result.owner == "payments" and result.status == "owned"
    assert result.runner_up == "risk" and result.runner_up_score < 0.4


def test_a_service_known_only_by_its_tags_is_owned_by_the_tagged_team_with_modest_confidence():
    result = score_owners(OwnerSignals(tags={"sre": 2}))
    assert (result.owner, result.status, result.source) == ("sre", "owned", "tags")
    assert result.confidence == pytest.approx(0.65, abs=0.01)


def test_commits_only_a_clear_plurality_owns():
    assert score_owners(OwnerSignals(commits={"risk": 8, "payments": 2})).owner == "risk"
    plurality = score_owners(OwnerSignals(commits={"members": 9, "pharmacy": 4, "platform": 4, "care": 2, "billing": 1}))
    assert (plurality.owner, plurality.status) == ("members", "owned")
    assert score_owners(OwnerSignals(commits={"risk": 4, "payments": 3, "platform": 3})).status == "unowned"


def test_a_tag_naming_no_github_team_counts_half():
    stale = OwnerSignals(tags={"core-services": 1, "phoenix": 1}, commits={"claims": 10, "billing": 1, "care": 1},
                         unknown_teams=frozenset({"core-services", "phoenix"}))
    assert score_owners(stale).owner == "claims"
    assert score_owners(OwnerSignals(tags={"sre": 1}, unknown_teams=frozenset({"sre"}))).owner == "sre"


def test_permissions_only():
    assert score_owners(OwnerSignals(permissions={"payments": "admin"})).owner == "payments"
    assert score_owners(OwnerSignals(permissions={"payments": "push"})).owner == "payments"
    assert score_owners(OwnerSignals(permissions={"payments": "triage"})).status == "unowned"
    split = score_owners(OwnerSignals(permissions={"payments": "admin", "risk": "maintain"}))
    assert split.status == "ambiguous" and split.owner == "payments"


def test_a_weak_permission_does_not_dilute_a_clear_commit_majority():
    result = score_owners(OwnerSignals(commits={"retail": 11, "stores": 1, "finance": 3}, permissions={"stores": "push"}))
    assert result.owner == "retail" and result.status == "owned"


def test_top_two_within_a_tenth_is_ambiguous_and_below_half_is_unowned():
    ambiguous = score_owners(OwnerSignals(codeowners={"payments": 1.0}, commits={"risk": 10}, permissions={"risk": "admin"}))
    assert ambiguous.status == "ambiguous" and ambiguous.owner == "payments"  # tie broken by the stronger signal
    unowned = score_owners(OwnerSignals(tags={"a": 1, "b": 1, "c": 1}))
    assert (unowned.owner, unowned.status, unowned.confidence, unowned.runner_up) == (None, "unowned", 0.0, "a")
    assert score_owners(OwnerSignals()).status == "unowned"


def test_catalog_info_owner_counts_as_strongly_as_codeowners():
    result = score_owners(OwnerSignals(catalog_info={"data": 1.0}, tags={"risk": 1, "data": 1}, commits={"data": 11, "risk": 1}))
    assert (result.owner, result.status) == ("data", "owned")


def test_tags_copied_from_a_stack_vote_once_and_a_resource_own_tag_counts():
    sc = company(prod={"stacks": [{"name": "push-indexer-prod", "tags": {"owner": "logistics"},
                                   "resources": ["ecs:prod/push-indexer", "rds:push-indexer-db"]}],
                       "ecs_clusters": [{"name": "prod", "services": [{"name": "push-indexer", "tags": {"team": "messaging"}}]}],
                       "rds_instances": [{"id": "push-indexer-db", "tags": {"team": "messaging"}}]},
                 teams=[{"slug": "messaging"}, {"slug": "logistics"}])
    (owner,) = infer_drafts(run(sc)).values()
    assert owner["owner"] == "messaging"  # two resources tagged messaging against one stack tagged logistics
    assert {c["team"]: c["signals"]["tags"] for c in owner["candidates"]} == {"messaging": 0.6667, "logistics": 0.3333}


def test_owner_only_through_commits_and_team_permissions_end_to_end():
    repo = {"name": "session-hub-web", "commits": [{"author": "carol"}] * 5 + [{"author": "alice"}],
            "files": {"README.md": "# x\n\nSessions.\n"}}
    sc = company(repos=[repo], members=[{"login": "alice"}, {"login": "carol"}],
                 teams=[{"slug": "identity", "members": ["carol"], "repos": {"session-hub-web": "admin"}},
                        {"slug": "payments", "members": ["alice"], "repos": {"session-hub-web": "triage"}}])
    (owner,) = infer_drafts(run(sc)).values()
    assert (owner["owner"], owner["status"]) == ("identity", "owned")
    assert [c["team"] for c in owner["candidates"]] == ["identity", "payments"]


def test_tag_votes_split_a_resource_between_two_named_teams():
    assert tag_votes([{"team": "payments", "owner": "risk"}, {"Team": "payments"}], DIRECTORY) == {"payments": 1.5, "risk": 0.5}


def test_two_organizations_payments_teams_own_their_own_repositories():
    """After an acquisition both orgs have a ``payments`` team: each repository's bare names (catalog-info,
    tags) mean its own org's team, and owners are reported as ``org/slug``."""
    import yaml

    from peers.scenario import parse_scenario

    def org(login, person, repo):
        return {"login": login, "members": [{"login": person, "email": f"{person}@{login}.test"}],
                "teams": [{"slug": "payments", "name": "Payments", "members": [person], "repos": {}}],
                "repos": [{"name": repo, "files": {
                    "README.md": f"# {repo}\n", "catalog-info.yaml": yaml.safe_dump({
                        "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                        "metadata": {"name": repo}, "spec": {"type": "service", "owner": "group:payments"}})},
                    "commits": [{"author": "someone-else", "date": "2026-10-01T12:00:00Z", "message": "x"}]}]}

    doc = {"format": "roster-scenario/1", "name": "two-orgs", "aws": {"accounts": []},
           "github": {"orgs": [org("tessaro", "ana", "rate-api"), org("quillpay", "bo", "payout-router")]}}
    result = run(parse_scenario(yaml.safe_dump(doc)))
    owners = {d.name: o["owner"] for d in result.services for k, o in infer_drafts(result).items() if k == d.key}
    assert owners == {"rate-api": "tessaro/payments", "payout-router": "quillpay/payments"}
    assert sorted(t["slug"] for t in result.directory["teams"]) == ["quillpay/payments", "tessaro/payments"]


def test_a_shared_team_name_on_a_service_without_repository_means_the_team_of_the_org_running_its_account():
    """Quillpay's console-made function tagged ``Team: Payments`` lives in the account Quillpay's repositories
    deploy to: it is Quillpay's payments team, not Tessaro's (which deploys to its own account)."""
    import yaml

    from catalog.tests.test_reconcile import ecs_deploy
    from peers.scenario import parse_scenario

    def org(login, person, services):
        return {"login": login, "members": [{"login": person}],
                "teams": [{"slug": "payments", "name": "Payments", "members": [person]}],
                "repos": [{"name": svc, "files": {"CODEOWNERS": f"* @{login}/payments\n",
                                                  ".github/workflows/deploy.yml": ecs_deploy(svc)},
                           "commits": [{"author": person, "date": "2026-10-01T12:00:00Z", "message": "x"}]}
                          for svc in services]}

    def account(acct, services, function):
        return {"id": acct, "name": acct, "regions": [{"name": "eu-west-1", "ecs_clusters": [
            {"name": "prod", "services": [{"name": s, "image": f"{acct}.dkr.ecr.eu-west-1.amazonaws.com/{s}:1"}
                                          for s in services]}],
            "lambdas": [{"name": function, "tags": {"Team": "Payments"}}]}]}

    doc = {"format": "roster-scenario/1", "name": "two-orgs",
           "aws": {"accounts": [account("111111111111", ["payout-router", "refund-engine"], "svc_payout_export"),
                                account("222222222222", ["rate-api"], "freight-bill-cron")]},
           "github": {"orgs": [org("quillpay", "bo", ["payout-router", "refund-engine"]),
                               org("tessaro", "ana", ["rate-api"])]}}
    result = run(parse_scenario(yaml.safe_dump(doc)))
    inferred = infer_drafts(result)
    owners = {d.name: inferred[d.key]["owner"] for d in result.services}
    assert owners["payout-export"] == "quillpay/payments" and owners["freight-bill-cron"] == "tessaro/payments"
    assert owners["rate-api"] == "tessaro/payments" and owners["payout-router"] == "quillpay/payments"
