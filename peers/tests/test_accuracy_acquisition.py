"""The acquisition style (two GitHub orgs, two companies' AWS accounts, same-slug teams, services moving between
them) reconciled and scored: every generated company must clear the bar."""
import json

import pytest

from peers.accuracy import evaluate
from peers.generate_scenario import generate
from peers.scenario import parse_scenario


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("services", [24, 60])
def test_acquisition_companies_clear_the_bar(seed, services):
    # JSON is YAML: the loader fills the defaults in, much faster than dumping YAML first
    doc = parse_scenario(json.dumps(generate("acquisition", name=f"acq-{seed}-{services}", n_services=services, seed=seed)))
    report, _ = evaluate(doc)
    message = report.problems()
    assert report.accuracy >= 0.97, message
    assert report.recall >= 0.98, message
    assert report.resource_coverage >= 0.97, message
    assert report.duplicates == [], message
    assert report.excluded_repo_entries == [], message


def test_the_style_has_two_orgs_sharing_team_slugs_and_services_that_span_both():
    doc = generate("acquisition", name="acq-shape", n_services=40, seed=4)
    orgs = {o["login"]: o for o in doc["github"]["orgs"]}
    assert list(orgs) == ["tessaro", "quillpay"]
    assert {"payments", "platform"} <= {t["slug"] for t in orgs["tessaro"]["teams"]} & {t["slug"] for t in orgs["quillpay"]["teams"]}
    owners = {s["owner"] for s in doc["truth"]["services"]}
    assert {"tessaro/payments", "quillpay/payments"} <= owners and "payments" not in owners
    accounts = {a["id"]: a["name"] for a in doc["aws"]["accounts"]}
    spans = [s for s in doc["truth"]["services"]
             if {accounts[r.split(":", 1)[1].split("/")[0]].split("-")[0] for r in s["resources"]} == {"tessaro", "quillpay"}]
    assert spans, "a service migrating between the two companies' accounts"
    moved = [r["name"] for r in orgs["quillpay"]["repos"] if r["archived"] and r["name"] in
             {x["name"] for x in orgs["tessaro"]["repos"]}]
    assert moved and all(f"quillpay/{m}" in doc["truth"]["excluded_repos"] for m in moved)
