"""What reconcile does with catalog-info entities as real catalogs write them (issue 15 §2): an entity
belongs to the repository its github.com/project-slug names, owner references keep their kind, and an
e-mail owner is a person (a contact), never a team named after its mailbox."""
import pytest
import yaml

from catalog.reconcile import reconcile
from catalog.reconcile.owners import catalog_owner
from ownership.signals import infer_drafts
from peers.scenario import parse_scenario
from peers.simulate import facts_from_scenario


def company(repos, teams=(), members=()):
    data = {"format": "roster-scenario/1", "name": "test-co", "aws": {"accounts": []},
            "github": {"orgs": [{"login": "acme", "members": list(members), "teams": list(teams), "repos": list(repos)}]}}
    return parse_scenario(yaml.safe_dump(data, sort_keys=False))


def repo(name, catalog=None):
    files = {"README.md": f"# {name}\n\nDoes {name} things.\n"}
    if catalog:
        files["catalog-info.yaml"] = catalog
    return {"name": name, "files": files}


def component(name, owner, slug=None):
    annotations = f"\n  annotations:\n    github.com/project-slug: {slug}" if slug else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}{annotations}\n"
            f"spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n")


def run(scenario):
    facts, links = facts_from_scenario(scenario)
    result = reconcile(facts, links)
    inferred = infer_drafts(result)
    return {d.name: (d, inferred[d.key]) for d in result.services}


def test_an_entity_in_a_central_catalog_belongs_to_the_repository_its_slug_names():
    catalog = "---\n".join([
        component("orders-api", "group:default/commerce", "acme/orders-api"),
        component("fx-rates", "group:finance", "acme/fx-rates"),
        component("elsewhere", "group:finance", "other-org/elsewhere"),  # a repository we do not read
    ])
    services = run(company([repo("software-catalog", catalog), repo("orders-api"), repo("fx-rates")],
                           teams=[{"slug": "commerce"}, {"slug": "finance"}]))
    orders, orders_owner = services["orders-api"]
    assert orders.repo == "acme/orders-api" and "catalog_info" in orders.sources
    assert orders.owner_evidence["signals"]["catalog_info"] == ["group:default/commerce"]
    assert orders_owner["owner"] == "commerce"
    assert services["fx-rates"][1]["owner"] == "finance"
    hub, hub_owner = services["software-catalog"]
    assert hub.owner_evidence["signals"]["catalog_info"] == [] and "catalog_info" not in hub.sources
    assert hub_owner["owner"] is None
    assert "elsewhere" not in services


def test_a_namespaced_group_is_the_team_of_that_name():
    services = run(company([repo("ledger", component("ledger", "group:platform/payments"))],
                           teams=[{"slug": "payments"}]))
    ledger, owner = services["ledger"]
    assert ledger.owner_evidence["signals"]["catalog_info"] == ["group:platform/payments"]
    assert owner["owner"] == "payments"


def test_a_user_owner_counts_for_their_team_and_is_never_a_team_of_their_name():
    members = [{"login": "jdoe", "email": "jdoe@acme.example"}, {"login": "loner"}]
    teams = [{"slug": "payments", "members": ["jdoe"]}, {"slug": "loner-team", "members": []}]
    services = run(company([repo("payouts", component("payouts", "user:jdoe")),
                            repo("side-project", component("side-project", "user:loner"))], teams, members))
    assert services["payouts"][1]["owner"] == "payments"
    side, owner = services["side-project"]
    assert side.owner_evidence["signals"]["catalog_info"] == ["user:default/loner"]
    assert owner["owner"] is None  # a person in no team owns nothing on their own: never a team named "loner"


def test_an_email_owner_is_a_person_and_a_contact_never_a_team_named_after_the_mailbox():
    members = [{"login": "jdoe", "email": "jdoe@acme.example"}]
    teams = [{"slug": "payments", "members": ["jdoe"]}, {"slug": "billing", "members": []}]
    services = run(company([repo("receipts", component("receipts", "jdoe@acme.example")),
                            repo("invoices", component("invoices", "billing@acme.example"))], teams, members))
    receipts, owner = services["receipts"]
    assert receipts.owner_evidence["signals"]["catalog_info"] == ["user:jdoe"]
    assert receipts.owner_evidence["signals"]["contacts"] == ["jdoe@acme.example"]
    assert owner["owner"] == "payments"
    invoices, owner = services["invoices"]
    assert invoices.owner_evidence["signals"]["catalog_info"] == []
    assert invoices.owner_evidence["signals"]["contacts"] == ["billing@acme.example"]
    assert owner["owner"] is None  # not the billing team: the address is a mailbox, not a team reference


@pytest.mark.parametrize("attrs,expected", [
    ({"owner": "payments", "owner_kind": "group", "owner_ref": "group:default/payments"}, ("group:default/payments", None)),
    ({"owner": "payments", "owner_kind": "group"}, ("group:payments", None)),  # stored before owner_ref existed
    ({"owner": "jdoe", "owner_kind": "user"}, ("user:jdoe", None)),
    ({"owner": "Jane@Acme.Example", "owner_kind": "group"}, ("user:jane", "Jane@Acme.Example")),
    ({"owner": "nobody@acme.example", "owner_kind": "user"}, (None, "nobody@acme.example")),
    ({"owner": None}, (None, None)),
])
def test_catalog_owner(attrs, expected):
    assert catalog_owner(attrs, {"jane@acme.example": "jane"}) == expected


def test_a_long_dotted_owner_is_read_in_linear_time():
    import time

    start = time.process_time()
    assert catalog_owner({"owner": "a@" + "b." * 200_000 + "c:"}, {}) == ("a@" + "b." * 200_000 + "c:", None)
    assert time.process_time() - start < 1.0
