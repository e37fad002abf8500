import functools
import random
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from discovery import facts
from discovery.connectors.github.repo_facts import repo_batch, team_batch

ROOT = Path(__file__).resolve().parents[4]
WF = ".github/workflows/deploy.yml"


def find_scenario(name: str) -> Path:
    for candidate in (ROOT.parent / "shared" / "scenarios" / name, ROOT / "scenarios" / name):
        if candidate.exists():
            return candidate
    pytest.skip(f"scenario {name} not found")


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # trusted test data; the C loader is 10x faster
    return yaml.load(find_scenario(name).read_text(encoding="utf-8"), Loader=loader)


def as_fetched(repo: dict) -> dict:
    """A scenario repo in the shape the GitHub connector hands to repo_batch."""
    return {
        "name": repo["name"], "description": repo.get("description", ""), "url": f"https://github.test/{repo['name']}",
        "primary_language": repo.get("language"), "languages": repo.get("languages") or {},
        "topics": repo.get("topics") or [], "archived": repo.get("archived", False), "fork": repo.get("fork", False),
        "default_branch": repo.get("default_branch", "main"), "pushed_at": repo.get("pushed_at"),
        "files": dict(repo.get("files") or {}), "truncated_files": [],
        "commits": [{"login": c.get("author"), "date": c.get("date"), "email": None} for c in repo.get("commits") or []],
    }


def by_kind(batch, kind):
    return [f for f in batch.facts if f.kind == kind]


def expected_targets(files: dict) -> set[tuple]:
    """What the sample workflows name, read with plain patterns independent of deploy_targets."""
    found = set()
    for path, text in files.items():
        if not path.startswith(".github/workflows/"):
            continue
        for block in re.findall(r"amazon-ecs-deploy-task-definition@\S+\n((?:\s{8,}.*\n?)+)", text):
            service = re.search(r"service:\s*(\S+)", block)
            cluster = re.search(r"cluster:\s*(\S+)", block)
            found.add(("ecs_service", service.group(1), cluster.group(1) if cluster else "default", None, None))
        for stack in re.findall(r"--stack-name\s+(\S+)", text):
            found.add(("cloudformation_stack", stack, None, None, None))
        for acct, region, repo in re.findall(r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9._/-]+)", text):
            found.add(("ecr_image", repo, None, acct, region))
    return found


@pytest.fixture(scope="module", params=["sample-messy.yaml", "sample-company.yaml"])
def scenario(request):
    data = load(request.param)
    batches = {}
    for org in data["github"]["orgs"]:
        for repo in org["repos"]:
            batches[(org["login"], repo["name"])] = (repo, repo_batch(org["login"], as_fetched(repo)))
    return data, batches


def test_every_workflow_target_of_the_samples_is_found(scenario):
    _, batches = scenario
    expected_total = 0
    for (org, name), (repo, batch) in batches.items():
        found = {(t.attributes["target_kind"], t.name, t.attributes["cluster"],
                  t.attributes["account"] if t.attributes["target_kind"] == "ecr_image" else None,
                  t.attributes["region"] if t.attributes["target_kind"] == "ecr_image" else None)
                 for t in by_kind(batch, facts.GH_DEPLOY_TARGET)}
        expected = expected_targets(repo.get("files") or {})
        expected_total += len(expected)
        assert expected <= found, f"{org}/{name}: missing {expected - found}"
    assert expected_total > 20  # the samples name 29 and 190 targets; the check must not pass vacuously


def test_samples_are_clean_and_complete(scenario):
    _, batches = scenario
    for (org, name), (repo, batch) in batches.items():
        assert batch.warnings == [], f"{org}/{name}: {batch.warnings}"
        [fact] = by_kind(batch, facts.GH_REPO)
        attrs = fact.attributes
        assert fact.external_id == f"github:repo/{org}/{name}" and fact.account == org and fact.region == ""
        assert set(attrs) <= facts.ATTRIBUTE_WHITELIST[facts.GH_REPO]
        assert sum(attrs["commit_authors"].values()) == len(repo.get("commits") or [])
        assert attrs["readme_description"] and not attrs["readme_description"].startswith(("#", "[", "!"))
        files = repo.get("files") or {}
        locations = [p for p in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS") if p in files]
        assert attrs["codeowners_path"] == (locations[0] if locations else None)
        rules = by_kind(batch, facts.GH_CODEOWNER_RULE)
        if locations:
            lines = [ln for ln in files[locations[0]].splitlines() if ln.strip() and not ln.startswith("#")]
            assert [r.attributes["pattern"] for r in rules] == [ln.split()[0] for ln in lines]
        assert attrs["has_catalog_info"] == ("catalog-info.yaml" in files)
        declared = {link.target_id for link in batch.links if link.relation == facts.DECLARES}
        assert declared == {f.external_id for f in batch.facts if f.kind != facts.GH_REPO}


def test_sample_messy_risk_indexer():
    data = load("sample-messy.yaml")
    repo = next(r for o in data["github"]["orgs"] for r in o["repos"] if r["name"] == "risk-indexer-svc")
    batch = repo_batch("globex", as_fetched(repo))
    targets = {(t.attributes["target_kind"], t.name): t.attributes for t in by_kind(batch, facts.GH_DEPLOY_TARGET)}
    ecs = targets[("ecs_service", "riskindexer")]
    assert (ecs["cluster"], ecs["source"], ecs["path"], ecs["line"]) == \
        ("staging", "amazon-ecs-deploy-task-definition", WF, 20)
    ecr = targets[("ecr_image", "risk-indexer-svc")]
    assert (ecr["account"], ecr["region"], ecr["source"]) == ("495501513693", "us-east-1", "docker")
    [entity] = by_kind(batch, facts.GH_CATALOG_ENTITY)
    assert (entity.name, entity.attributes["owner"], entity.attributes["owner_kind"]) == ("risk-indexer", "risk", "group")
    [rule] = by_kind(batch, facts.GH_CODEOWNER_RULE)
    assert rule.external_id == "github:codeowners/globex/risk-indexer-svc/2"
    assert rule.attributes == {"repo": "globex/risk-indexer-svc", "path": "CODEOWNERS", "line": 2, "pattern": "*",
                               "owners": ["@globex/risk"], "order": 0}
    repo_fact = by_kind(batch, facts.GH_REPO)[0].attributes
    assert repo_fact["commit_authors"]["samwang"] == 8
    assert repo_fact["last_commit_at"] == "2026-10-14T10:00:00Z"
    assert repo_fact["workflow_files"] == [".github/workflows/ci.yml", WF]


def test_team_batch_over_sample_orgs():
    for name in ("sample-messy.yaml", "sample-company.yaml"):
        for org in load(name)["github"]["orgs"]:
            batch = team_batch(org["login"], org["teams"], org["members"], org_info={"name": org.get("name")})
            kinds = Counter(f.kind for f in batch.facts)
            assert kinds == {facts.GH_ORG: 1, facts.GH_MEMBER: len(org["members"]), facts.GH_TEAM: len(org["teams"])}
            relations = Counter(link.relation for link in batch.links)
            assert relations[facts.MEMBER_OF] == sum(len(set(t["members"])) for t in org["teams"])
            assert relations[facts.HAS_PERMISSION] == sum(len(t["repos"]) for t in org["teams"])
            assert relations[facts.CHILD_OF] == sum(1 for t in org["teams"] if t.get("parent"))
            for fact in batch.facts:
                assert set(fact.attributes) <= facts.ATTRIBUTE_WHITELIST[fact.kind]


def test_team_batch_shapes_and_permissions():
    teams = [
        {"slug": "platform", "name": "Platform", "members": ["alice", {"login": "bob"}, "alice"],
         "repos": {"infra": "ADMIN", "docs": "read", "api": "WRITE"}},
        {"slug": "sre", "parent": {"slug": "platform"}, "repos": [{"name": "infra", "permission": "maintain"}]},
        {"name": "no slug"}, "not a dict", {"slug": "platform"},
    ]
    batch = team_batch("acme", teams, [{"login": "alice", "name": "Alice", "email": "a@x"}, {"name": "anon"}, 5])
    assert [f.name for f in batch.facts] == ["acme", "alice", "platform", "sre"]
    assert batch.facts[2].attributes["members"] == ["alice", "bob"]
    assert batch.facts[3].attributes["parent"] == "platform"
    perms = {(link.source_id, link.target_id): link.attributes["permission"]
             for link in batch.links if link.relation == facts.HAS_PERMISSION}
    assert perms == {("github:team/acme/platform", "github:repo/acme/infra"): "admin",
                     ("github:team/acme/platform", "github:repo/acme/docs"): "pull",
                     ("github:team/acme/platform", "github:repo/acme/api"): "push",
                     ("github:team/acme/sre", "github:repo/acme/infra"): "maintain"}
    child = [link for link in batch.links if link.relation == facts.CHILD_OF]
    assert [(c.source_id, c.target_id) for c in child] == [("github:team/acme/sre", "github:team/acme/platform")]
    assert team_batch("acme", None, None).facts[0].kind == facts.GH_ORG


def reasons(batch):
    return Counter(w["reason_code"] for w in batch.warnings)


def test_nasty_files():
    big_workflow = ("jobs:\n  d:\n    steps:\n      - run: sam deploy --stack-name early-stack\n"
                    + ("      - run: echo " + "x" * 400 + "\n") * 2000)
    repo = {
        "name": "svc", "languages": None, "topics": "nope", "commits": [5, {"login": None, "date": "garbage"},
                                                                     {"login": "a", "date": "2026-01-02T00:00:00+02:00"},
                                                                     {"login": "a", "date": "2026-01-01T23:00:00Z"}],
        "truncated_files": ["docs/huge.md"],
        "files": {
            "README.md": "# T\n\nCaf\xe9 latte service.\n".encode("latin-1"),       # not UTF-8
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",                    # binary
            "notes.bin": None,                                                    # GraphQL gave no text
            ".github/workflows/big.yml": big_workflow,                            # over the cap
            "CODEOWNERS": "\ufeff* @org/a\n!neg @b\n*.js no-at-sign\n",
            "catalog-info.yaml": "kind: Component\nmetadata: {name: svc}\nspec: {owner: team-a}\n---\n: [\n",
            WF: "jobs:\n  d:\n    steps:\n      - run: aws ecs update-service --cluster c --service $SVC\n",
            ".github/workflows/broken.yml": "jobs: [\n  - run: aws lambda update-function-code --function-name fb\n",
            "surrogates.txt": "bad \udcff text",
            7: "a non-string path",
            "weird": 12345,
        },
    }
    batch = repo_batch("org", repo, max_file_bytes=100_000)
    counts = reasons(batch)
    assert counts == {"non_utf8_file": 2, "binary_file": 3, "file_truncated": 2, "invalid_codeowners_line": 2,
                      "invalid_yaml": 2, "unresolved_expression": 1}
    items = {w["item"] for w in batch.warnings}
    assert {"org/svc:README.md", "org/svc:logo.png", "org/svc:CODEOWNERS", "org/svc:catalog-info.yaml",
            "org/svc:docs/huge.md", "org/svc:.github/workflows/big.yml", f"org/svc:{WF}"} <= items
    attrs = by_kind(batch, facts.GH_REPO)[0].attributes
    assert attrs["readme_description"] == "Caf\ufffd latte service."
    assert attrs["files_truncated"] == [".github/workflows/big.yml", "docs/huge.md"]
    assert attrs["commit_authors"] == {"a": 2} and attrs["last_commit_at"] == "2026-01-01T23:00:00Z"
    assert attrs["languages"] == {} and attrs["topics"] == []
    names = {f.name for f in by_kind(batch, facts.GH_DEPLOY_TARGET)}
    assert names == {"early-stack", "fb"}  # the truncated file still yields what its first part says
    assert [f.name for f in by_kind(batch, facts.GH_CATALOG_ENTITY)] == ["svc"]
    assert [f.attributes["pattern"] for f in by_kind(batch, facts.GH_CODEOWNER_RULE)] == ["*"]


def test_cap_splitting_a_multibyte_character_is_not_an_encoding_error():
    text = ("# T\n\n" + "é" * 200).encode("utf-8")
    batch = repo_batch("o", {"name": "r", "files": {"README.md": text}}, max_file_bytes=106)
    assert reasons(batch) == {"file_truncated": 1}


def test_duplicate_targets_become_one_fact_per_id():
    wf = ("jobs:\n  d:\n    steps:\n      - run: aws ecs update-service --cluster staging --service app\n"
          "      - run: aws ecs update-service --cluster prod --service app\n")
    batch = repo_batch("o", {"name": "r", "files": {WF: wf}})
    [target] = by_kind(batch, facts.GH_DEPLOY_TARGET)
    assert target.external_id == "github:deploy/o/r/ecs_service/app" and target.attributes["cluster"] == "staging"


def test_one_name_deployed_to_several_regions_keeps_every_place():
    wf = ("jobs:\n  d:\n    strategy:\n      matrix:\n        region: [us-east-1, eu-west-1]\n"
          "    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n"
          "        with: {role-to-assume: 'arn:aws:iam::123456789012:role/deploy', aws-region: '${{ matrix.region }}'}\n"
          "      - run: aws ecs update-service --cluster shared --service checkout-api\n"
          "      - run: aws ecs update-service --cluster shared --service checkout-api --force-new-deployment\n")
    batch = repo_batch("o", {"name": "r", "files": {WF: wf}})
    targets = by_kind(batch, facts.GH_DEPLOY_TARGET)
    assert sorted((t.attributes["account"], t.attributes["region"]) for t in targets) == [
        ("123456789012", "eu-west-1"), ("123456789012", "us-east-1")]  # one fact per place, none repeated
    # the first place keeps the id such a fact always had (stored facts are updated, not replaced);
    # the other carries its place, outside the first one's id prefix
    assert targets[0].external_id == "github:deploy/o/r/ecs_service/checkout-api"
    assert targets[1].external_id == (
        f"github:deploy/o/r/ecs_service/checkout-api@123456789012:{targets[1].attributes['region']}")
    assert len({link.target_id for link in batch.links}) == 2


def test_monorepo_catalog_files():
    files = {"catalog-info.yaml": "kind: System\nmetadata: {name: platform}\n",
             "services/a/catalog-info.yaml": "kind: Component\nmetadata: {name: a}\nspec: {owner: 'group:x', system: platform}\n",
             "services/b/catalog-info.yml": "kind: Component\nmetadata: {name: a}\n"}
    batch = repo_batch("o", {"name": "r", "files": files})
    entities = [(f.attributes["entity_kind"], f.name, f.attributes["owner"]) for f in by_kind(batch, facts.GH_CATALOG_ENTITY)]
    assert entities == [("System", "platform", None), ("Component", "a", "x")]


@pytest.mark.parametrize("repo", [None, 5, {}, {"name": None}, {"name": ""}, {"name": "x", "files": "nope"},
                                  {"name": "x", "files": {"CODEOWNERS": None, "catalog-info.yaml": None}}])
def test_degenerate_repos(repo):
    batch = repo_batch("o", repo)
    assert isinstance(batch, facts.Batch)


def test_random_garbage_never_raises():
    rng = random.Random(1234)
    paths = ["README.md", "README.rst", "CODEOWNERS", ".github/CODEOWNERS", "catalog-info.yaml", WF,
             ".github/workflows/x.yaml", "serverless.yml", "samconfig.toml", "template.yaml", "task-definition.json",
             "cdk.json", "Jenkinsfile", "buildspec.yml", "copilot/.workspace", "copilot/s/manifest.yml"]
    alphabet = "ab: -[]{}|>&;$\"'\\#!*?@/\n\t\r\x00é${{ }}aws ecs update-service --service sam deploy --stack-name "
    for _ in range(60):
        files = {}
        for path in paths:
            kind = rng.random()
            if kind < 0.4:
                files[path] = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
            elif kind < 0.6:
                files[path] = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
            else:
                words = alphabet.split(" ")
                files[path] = "\n".join(" ".join(rng.choice(words) for _ in range(8)) for _ in range(20))
        batch = repo_batch("o", {"name": "r", "files": files}, max_file_bytes=rng.choice([50, 1000, 262144]))
        assert by_kind(batch, facts.GH_REPO)
        for warning in batch.warnings:
            assert warning["reason_code"] in {"invalid_codeowners_line", "invalid_yaml", "unresolved_expression",
                                              "file_truncated", "binary_file", "non_utf8_file"}
