"""The acquisition style's shape: two GitHub orgs sharing team slugs, services that span both companies
(its accuracy bar is test_accuracy_styles.py)."""
from peers.generate_scenario import generate


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
