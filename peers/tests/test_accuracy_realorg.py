"""The realorg style's shape: code-named repositories, shared platform data, people who left, nested teams,
unowned services and two-region deploys (its accuracy bar is test_accuracy_styles.py)."""
from collections import Counter

from peers.generate_scenario import generate


def test_realorg_truth_holds_what_the_style_models():
    doc = generate("realorg", name="realorg-shape", n_services=40, seed=4)
    services = doc["truth"]["services"]
    org = doc["github"]["orgs"][0]
    members = {m["login"] for m in org["members"]}
    in_teams = {login for t in org["teams"] for login in t["members"]}
    per_repo = Counter(s["repo"] for s in services if s["repo"])
    code_named = [s for s in services if s["repo"] and per_repo[s["repo"]] == 1 and s["repo"].split("/")[1] != s["name"]]
    assert code_named and all(s["repo"].split("/")[1] in s["aliases"] for s in code_named)
    assert max(per_repo.values()) == 2  # an API and its worker from one code-named repository
    assert [s["owner"] for s in services if s["name"] == "platform-core"] == ["platform"]
    assert sum(s["owner"] is None for s in services) >= 2   # nobody owns them, and the truth says so
    two_regions = [s for s in services if {r.split("/")[1] for r in s["resources"]} >= {"us-east-1", "eu-west-1"}]
    assert two_regions
    alumni = members - in_teams
    assert alumni and any(c["author"] in alumni for r in org["repos"] for c in r["commits"])
    assert any(t["parent"] for t in org["teams"]) and any(
        sum(login in t["members"] for t in org["teams"] if t["parent"] not in (None, "engineering")) > 1
        for login in in_teams)
