"""The big-account generator: size, mix, determinism, and that the loader takes what it writes."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from peers.aws_loader import load_aws
from peers.big_account import generate_big_account, main
from peers.scenario import parse_ref, parse_scenario

KINDS = ("stacks", "ecs_clusters", "lambdas", "apis", "rds_instances", "sqs_queues", "ecr_repositories", "alarms")


def counts(doc: dict[str, Any]) -> Counter:
    total = Counter()
    for region in doc["aws"]["accounts"][0]["regions"]:
        total.update({k: len(region[k]) for k in KINDS})
        total["ecs_services"] += sum(len(c["services"]) for c in region["ecs_clusters"])
    return total


def test_size_mix_and_references() -> None:
    doc = generate_big_account()
    total = counts(doc)
    assert 5000 <= sum(total.values()) < 5010
    assert all(total[k] > 100 for k in ("stacks", "lambdas", "apis", "rds_instances", "sqs_queues", "ecs_services",
                                         "ecr_repositories", "alarms"))
    account = doc["aws"]["accounts"][0]
    assert account["id"] == "210987654321" and [r["name"] for r in account["regions"]] == ["us-east-1", "eu-west-1"]
    member_kinds, standalone_lambdas = Counter(), 0
    for region in account["regions"]:
        names = {
            "ecs": [f"{c['name']}/{s['name']}" for c in region["ecs_clusters"] for s in c["services"]],
            "lambda": [f["name"] for f in region["lambdas"]], "api": [a["name"] for a in region["apis"]],
            "rds": [d["id"] for d in region["rds_instances"]], "sqs": [q["name"] for q in region["sqs_queues"]],
        }
        assert all(len(v) == len(set(v)) for v in names.values())
        refs = [parse_ref(r) for s in region["stacks"] for r in s["resources"]]
        assert len(refs) == len(set(refs)) and all(name in names[kind] for kind, name in refs)
        member_kinds.update(kind for kind, _ in refs)
        standalone_lambdas += len(set(names["lambda"]) - {n for k, n in refs if k == "lambda"})
        assert all(fn in names["lambda"] for a in region["apis"] for fn in a["integrations"])
        assert all(f["sqs_trigger"] in names["sqs"] for f in region["lambdas"] if f["sqs_trigger"])
        assert all(parse_ref(a["target"])[1] in names[parse_ref(a["target"])[0]] for a in region["alarms"])
    assert set(member_kinds) == {"ecs", "lambda", "rds", "sqs", "api"} and standalone_lambdas > 100
    assert doc["github"]["orgs"] == [] and doc["truth"]["services"] == []


def test_same_seed_same_account() -> None:
    assert generate_big_account(400, seed=3) == generate_big_account(400, seed=3)
    assert generate_big_account(400, seed=3) != generate_big_account(400, seed=4)


def test_cli_writes_yaml_the_loader_takes(tmp_path: Path, moto_endpoint: str) -> None:
    out = tmp_path / "big.yaml"
    main(["--resources", "60", "--account", "888888888888", "--seed", "2", "-o", str(out)])
    doc = parse_scenario(out.read_text())
    report = load_aws(doc, moto_endpoint)
    loaded = report.accounts["888888888888"]
    expected = counts(doc)
    assert loaded.warnings == [] and report.warnings == []
    assert {k: loaded.counts[k] for k in ("stacks", "ecs_clusters", "ecs_services", "lambdas", "rds_instances",
                                          "sqs_queues", "ecr_repositories", "alarms")} == {
        k: expected[k] for k in ("stacks", "ecs_clusters", "ecs_services", "lambdas", "rds_instances", "sqs_queues",
                                 "ecr_repositories", "alarms")}
    assert loaded.counts["rest_apis"] + loaded.counts["http_apis"] == expected["apis"]
