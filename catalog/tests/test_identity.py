"""A service keeps its id across runs; a renamed signal becomes an alias, never a second entry."""
from catalog.identity import match_existing
from catalog.reconcile import ResourceClaim, ServiceDraft
from catalog.tests.test_reconcile import PROD, company, run


def draft(name, repo=None, resources=(), aliases=()):
    return ServiceDraft(key="svc:" + name, name=name, repo=repo, aliases=list(aliases),
                        resources=[ResourceClaim(r, "ecs_service", r, PROD, "us-east-1", "ecs_service", 0.9) for r in resources])


def test_resources_then_repository_then_names():
    existing = [{"id": 1, "name": "old-billing", "aliases": [], "resource_ids": ["arn:1", "arn:2"], "repo": None},
                {"id": 2, "name": "web", "aliases": [], "resource_ids": [], "repo": "acme/web"},
                {"id": 3, "name": "ledger", "aliases": ["ledger-svc"], "resource_ids": [], "repo": None},
                {"id": 4, "name": "gone", "aliases": [], "resource_ids": ["arn:9"], "repo": None}]
    drafts = [draft("billing", resources=["arn:2", "arn:3"]), draft("website", repo="acme/web"),
              draft("ledger_svc"), draft("brand-new")]
    assert match_existing(drafts, existing) == {"svc:billing": 1, "svc:website": 2, "svc:ledger_svc": 3}


def test_each_existing_entry_is_matched_once_most_shared_resources_first():
    existing = [{"id": 7, "name": "orders", "aliases": [], "resource_ids": ["a", "b", "c"], "repo": None}]
    drafts = [draft("orders-a", resources=["a"]), draft("orders-b", resources=["b", "c"])]
    assert match_existing(drafts, existing) == {"svc:orders-b": 7}


def test_a_service_keeps_its_id_and_name_when_its_name_changes_between_runs():
    def scenario(tag):
        return company(prod={"stacks": [{"name": "billing-prod", "tags": {"service": tag}, "resources": ["ecs:prod/billing"]}],
                             "ecs_clusters": [{"name": "prod", "services": [{"name": "billing"}]}]})
    (first,) = run(scenario("billing")).services
    existing = [{"id": "uuid-1", "name": first.name, "aliases": first.aliases, "repo": first.repo,
                 "resource_ids": [r.external_id for r in first.resources]}]
    (second,) = run(scenario("invoicing"), existing=existing).services
    assert second.existing_id == "uuid-1"
    assert second.name == "billing" and "invoicing" in second.aliases
