"""The bundled scenarios and the scenario generator: every company loads, is internally consistent,
and its truth can be derived from its own data by a careful reader (owners backed by signals, names
visible, repositories linked to their infrastructure)."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from codeowners import CodeOwners
from rapidfuzz import fuzz

from peers.generate_scenario import STYLES, dump, generate, main
from peers.scenario import REF_KINDS, load_scenario, parse_ref, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = ROOT / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))
SHARED = ROOT.parent / "shared" / "scenarios"  # the shared samples beside the checkout, when present
TRUTH_KINDS = ("stack",) + REF_KINDS
OWNER_KEYS = {"team", "owner", "owning-team", "squad"}
MONOREPO_ROOTS = ("services", "apps")
BUNDLED = {"serverless-co": ("serverless", 60), "multi-account-co": ("multi-account", 60), "users-co": ("users", 50),
           "drift-co": ("drift", 60), "legacy-co": ("legacy", 50)}  # name -> (style, services), seed 42
EXPECTED = {"sample-company.yaml", "sample-messy.yaml"} | {f"{name}.yaml" for name in BUNDLED}


@lru_cache(maxsize=None)
def _load_file(path: Path) -> dict:
    return load_scenario(path)


@lru_cache(maxsize=None)
def _generated(style: str, seed: int) -> dict:
    # A JSON round trip instead of YAML keeps this fast; test_generated_yaml_loads covers the YAML path.
    return json.loads(json.dumps(generate(style, name=f"gen-{style}", n_services=24, seed=seed)))


def _docs() -> list:
    files = [pytest.param(p, id=p.name) for p in SCENARIOS]
    gens = [pytest.param((s, seed), id=f"gen-{s}-{seed}") for s in STYLES for seed in (3, 11)]
    return files + gens


def _doc(which) -> dict:
    return _load_file(which) if isinstance(which, Path) else _generated(*which)


# ------------------------------------------------------------------------------------------ indexing

class Index:
    """Resources by truth ref, with the tags a discovery would see (stack tags copied onto members).

    Reads optional keys with .get so generator output can be checked without the (slow) YAML loader.
    """

    def __init__(self, doc: dict):
        self.resources: dict[str, dict] = {}
        self.tags: dict[str, dict] = {}      # as discovery sees them
        self.declared: dict[str, dict] = {}  # as written, once: what a reader counts
        self.duplicates: list[str] = []
        self.problems: list[str] = []
        self.stacked: set[str] = set()       # truth refs of resources that live in a stack
        for acct in doc["aws"]["accounts"]:
            for region in acct.get("regions") or []:
                self._region(acct["id"], region)
        # Several orgs (an acquisition): a team is named ``org/slug`` when another org has the same slug
        orgs = doc["github"]["orgs"]
        slug_orgs: Counter = Counter(t["slug"] for org in orgs for t in org["teams"])
        self.members, self.by_email, self.teams = {}, {}, {}
        self.teams_of: dict[str, set[str]] = defaultdict(set)
        self.repos, self.repo_org = {}, {}
        self.perms: dict[str, dict[str, str]] = defaultdict(dict)
        self.team_key: dict[tuple[str, str], str] = {}
        for org in orgs:
            login = org["login"]
            for t in org["teams"]:
                self.team_key[(login, t["slug"])] = f"{login}/{t['slug']}" if slug_orgs[t["slug"]] > 1 else t["slug"]
            self.members.update({m["login"]: m for m in org["members"]})
            self.by_email.update({str(m["email"]).lower(): m["login"] for m in org["members"] if m["email"]})
            for t in org["teams"]:
                key = self.team_key[(login, t["slug"])]
                self.teams[key] = {**t, "org": login}
                for m in t.get("members") or []:
                    self.teams_of[m].add(key)
                for repo, perm in (t.get("repos") or {}).items():
                    self.perms[f"{login}/{repo}"][key] = perm
            for r in org["repos"]:
                self.repos[f"{login}/{r['name']}"] = r
                self.repo_org[f"{login}/{r['name']}"] = login
        # Terraform text per folder name (services/claims-intake/*.tf -> claimsintake): a reader of an
        # infrastructure repository ties a resource named in a service's folder to that service
        self.tf_folders: dict[str, str] = defaultdict(str)
        for r in self.repos.values():
            for path, text in (r.get("files") or {}).items():
                if path.endswith(".tf") and "/" in path:
                    self.tf_folders[_norm(path.rsplit("/", 2)[-2])] += text
        # whose an account is: the org whose repositories deploy most of its services (twice any other's)
        per_account: dict[str, Counter] = defaultdict(Counter)
        for svc in doc["truth"]["services"]:
            if svc.get("repo") and svc["repo"] in self.repo_org:
                for acct in {ref.split(":", 1)[1].split("/")[0] for ref in svc.get("resources") or []}:
                    per_account[acct][self.repo_org[svc["repo"]]] += 1
        self.account_org = {}
        for acct, counts in per_account.items():
            (org, n), *rest = counts.most_common(2)
            if not rest or n >= 2 * rest[0][1]:
                self.account_org[acct] = org

    def _region(self, acct: str, region: dict) -> None:
        pre = f"{acct}/{region['name']}/"
        local: dict[str, str] = {}  # in-region ref -> truth ref

        def add(kind: str, name: str, local_ref: str, item: dict) -> None:
            truth = f"{kind}:{pre}{name}"
            if truth in self.resources:
                self.duplicates.append(truth)
            self.resources[truth] = item
            self.tags[truth] = dict(item.get("tags") or {})
            self.declared[truth] = dict(item.get("tags") or {})
            local[local_ref] = truth

        for cluster in region.get("ecs_clusters") or []:
            for svc in cluster["services"]:
                add("ecs", svc["name"], f"ecs:{cluster['name']}/{svc['name']}", svc)
        for fn in region.get("lambdas") or []:
            add("lambda", fn["name"], f"lambda:{fn['name']}", fn)
        for api in region.get("apis") or []:
            add("api", api["name"], f"api:{api['name']}", api)
        for db in region.get("rds_instances") or []:
            add("rds", db["id"], f"rds:{db['id']}", db)
        for q in region.get("sqs_queues") or []:
            add("sqs", q["name"], f"sqs:{q['name']}", q)
        in_stack: Counter = Counter()
        for stack in region.get("stacks") or []:
            truth = f"stack:{pre}{stack['name']}"
            if truth in self.resources:
                self.duplicates.append(truth)
            self.resources[truth] = stack
            self.tags[truth] = dict(stack.get("tags") or {})
            self.declared[truth] = dict(stack.get("tags") or {})
            for ref in stack.get("resources") or []:
                parse_ref(ref)
                if ref not in local:
                    self.problems.append(f"stack {stack['name']} in {pre}: unknown resource {ref}")
                    continue
                in_stack[ref] += 1
                self.stacked.add(local[ref])
                self.tags[local[ref]] = {**self.tags[local[ref]], **(stack.get("tags") or {})}
        self.problems += [f"{ref} in {pre} belongs to {n} stacks" for ref, n in in_stack.items() if n > 1]
        for alarm in region.get("alarms") or []:
            if alarm.get("target") is not None and alarm["target"] not in local:
                self.problems.append(f"alarm {alarm['name']} in {pre}: unknown target {alarm['target']}")
        functions = {fn["name"] for fn in region.get("lambdas") or []}
        queues = {q["name"] for q in region.get("sqs_queues") or []}
        for api in region.get("apis") or []:
            self.problems += [f"api {api['name']}: unknown integration {f}" for f in api.get("integrations") or []
                              if f not in functions]
        for fn in region.get("lambdas") or []:
            if fn.get("sqs_trigger") and fn["sqs_trigger"] not in queues:
                self.problems.append(f"lambda {fn['name']}: unknown trigger queue {fn['sqs_trigger']}")

    # -- owner signals ------------------------------------------------------------------------------
    def team_from_text(self, value: str, org: str | None = None) -> str | None:
        """The team a name means; a bare name two orgs' teams share means ``org``'s team, or none."""
        v = str(value).strip().lower().lstrip("@")
        if v in self.teams:
            return v
        written, _, v = v.rpartition("/")
        org = written if (written, v.replace(" ", "-")) in self.team_key else org
        v = v.replace(" ", "-")
        by_slug, by_name = set(), set()  # a slug match wins over a display-name match
        for (slug_org, slug), key in self.team_key.items():
            if v in (slug, slug + "-team", "team-" + slug, "group:" + slug):
                by_slug.add((slug_org, key))
            elif str(self.teams[key]["name"]).lower().replace(" ", "-") == v:
                by_name.add((slug_org, key))
        found = by_slug or by_name
        keys = {key for o, key in found if o == org} or {key for _, key in found}
        return next(iter(keys)) if len(keys) == 1 else None

    def team_of_owners(self, owners: list[tuple[str, str]], org: str | None = None) -> str | None:
        """The one team every listed owner belongs to (unknown people are ignored)."""
        sets = []
        for kind, who in owners:
            if kind == "TEAM":
                sets.append({self.team_from_text(who, org) or who.rsplit("/", 1)[-1]})
            elif kind == "USERNAME" and who.lstrip("@") in self.members:
                sets.append(self.teams_of[who.lstrip("@")])
            elif kind == "EMAIL" and who.lower() in self.by_email:
                sets.append(self.teams_of[self.by_email[who.lower()]])
        common = set.intersection(*sets) if sets else set()
        return next(iter(common)) if len(common) == 1 else None

    def codeowners_team(self, repo: dict, path: str, org: str | None = None) -> str | None:
        for where in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):  # GitHub's precedence
            if where in repo["files"]:
                return self.team_of_owners(CodeOwners(repo["files"][where]).of(path), org)
        return None

    def catalog_team(self, text: str | None, org: str | None = None) -> str | None:
        if not text:
            return None
        owner = str((yaml.safe_load(text).get("spec") or {}).get("owner") or "")
        return self.team_from_text(owner.removeprefix("group:").removeprefix("default/"), org)

    def commit_team(self, repo: dict, org: str | None = None) -> str | None:
        counts: Counter = Counter()
        for c in repo["commits"]:
            teams = self.teams_of.get(c["author"], set())
            # someone in teams of two orgs speaks, in a repository of one, for their team there
            for t in {t for t in teams if self.teams[t]["org"] == org} or teams:
                counts[t] += 1
        top = counts.most_common(2)
        if not top or (len(top) == 2 and top[0][1] == top[1][1]):
            return None
        return top[0][0]

    def signals(self, service: dict, shared_repo: bool) -> dict[str, set[str]]:
        """Which teams each kind of evidence names for ``service``."""
        out: dict[str, set[str]] = defaultdict(set)
        # the org bare team names mean: the repository's, else the one that runs the service's account
        accounts = {self.account_org.get(ref.split(":", 1)[1].split("/")[0]) for ref in service["resources"]}
        org = self.repo_org.get(service["repo"]) if service["repo"] else (accounts.pop() if len(accounts) == 1 else None)
        tagged: Counter = Counter()  # tags written per team; a lone stale tag among many is outvoted
        for ref in service["resources"]:
            tagged.update({t for k, v in self.declared.get(ref, {}).items()
                           if k.lower() in OWNER_KEYS and (t := self.team_from_text(v, org))})
        if tagged:
            top = max(tagged.values())
            out["tags"] = {t for t, n in tagged.items() if n == top}
        if service["repo"]:
            repo = self.repos[service["repo"]]
            if shared_repo:  # monorepo: only the service's own folder speaks for it
                folder = service_folder(repo, service["name"]) or f"services/{service['name']}"
                sources = {"codeowners": self.codeowners_team(repo, f"{folder}/main.go", org),
                           "catalog": self.catalog_team(repo["files"].get(f"{folder}/catalog-info.yaml"), org)}
            else:
                sources = {"codeowners": self.codeowners_team(repo, "src/main.py", org),
                           "catalog": self.catalog_team(repo["files"].get("catalog-info.yaml"), org),
                           "commits": self.commit_team(repo, org)}
                out["permissions"] = {t for t, p in self.perms[service["repo"]].items() if p in ("admin", "maintain")}
            for kind, team in sources.items():
                if team:
                    out[kind].add(team)
        team = self.infra_folder_team(service["name"])
        if team:
            out["infra_codeowners"].add(team)
        return {k: v for k, v in out.items() if v}

    def infra_folder_team(self, name: str) -> str | None:
        """The team CODEOWNERS gives the service's own Terraform folder (``services/<name>/``) in an
        infrastructure repository; a catch-all rule says who runs that repository, not who owns the service."""
        for repo in self.repos.values():
            tf = sorted(p for p in repo["files"] if p.startswith(f"services/{name}/") and p.endswith(".tf"))
            for where in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):
                if tf and where in repo["files"]:
                    owners, _, pattern, _ = CodeOwners(repo["files"][where]).matching_line(tf[0])
                    if pattern and pattern.strip() not in ("*", "/*", "**", "/**", "/"):
                        return self.team_of_owners(owners)
                    break
        return None


def service_folder(repo: dict, name: str) -> str | None:
    """A monorepo service's folder: ``services/<name>`` or ``apps/<name>``, the layouts monorepos use."""
    return next((f"{root}/{name}" for root in MONOREPO_ROOTS if any(p.startswith(f"{root}/{name}/") for p in repo["files"])),
                None)


@lru_cache(maxsize=None)
def _index_for(which) -> Index:
    return Index(_doc(which))


def _shared_repos(doc: dict) -> set[str]:
    counts = Counter(s["repo"] for s in doc["truth"]["services"] if s["repo"])
    return {r for r, n in counts.items() if n > 1}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# ------------------------------------------------------------------------------------------ bundled files

def test_bundle_holds_every_company_and_the_samples_unchanged():
    assert EXPECTED <= {p.name for p in SCENARIOS}
    assert (SCENARIO_DIR / "README.md").is_file()
    for name in ("sample-company.yaml", "sample-messy.yaml"):
        if (SHARED / name).exists():
            assert (SCENARIO_DIR / name).read_bytes() == (SHARED / name).read_bytes()
    for path in SCENARIOS:
        if not path.name.startswith("sample-"):
            assert path.stat().st_size < 420_000, f"{path.name} is too big for the bundle"
        assert path.name.removesuffix(".yaml") == _load_file(path)["name"]


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_companies_are_the_generator_output(name):
    style, count = BUNDLED[name]
    assert (SCENARIO_DIR / f"{name}.yaml").read_text() == dump(generate(style, name=name, n_services=count, seed=42))


@pytest.mark.parametrize("which", _docs())
def test_aws_refs_resolve_inside_their_region(which):
    index = _index_for(which)
    assert index.problems == [], index.problems[:5]
    assert index.duplicates == [], "two resources of one kind share a name in a region: truth refs would be ambiguous"


@pytest.mark.parametrize("which", _docs())
def test_truth_resources_exist_and_belong_to_one_service(which):
    doc, index = _doc(which), _index_for(which)
    owner_of: dict[str, str] = {}
    for svc in doc["truth"]["services"]:
        for ref in svc["resources"]:
            kind = ref.split(":", 1)[0]
            assert kind in TRUTH_KINDS, ref
            assert ref in index.resources, f"{svc['name']}: {ref} is not declared in aws"
            assert ref not in owner_of, f"{ref} claimed by {owner_of[ref]} and {svc['name']}"
            owner_of[ref] = svc["name"]
    names = [s["name"] for s in doc["truth"]["services"]]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("which", _docs())
def test_truth_repos_exist_and_are_live(which):
    doc, index = _doc(which), _index_for(which)
    excluded = set(doc["truth"]["excluded_repos"])
    for svc in doc["truth"]["services"]:
        if svc["repo"]:
            repo = index.repos.get(svc["repo"])
            assert repo is not None, svc["repo"]
            assert not repo["archived"] and not repo["fork"], svc["repo"]
            assert svc["repo"] not in excluded
    assert excluded <= set(index.repos)


@pytest.mark.parametrize("which", _docs())
def test_people_and_permissions_are_declared(which):
    index = _index_for(which)
    for team in index.teams.values():
        assert set(team["members"]) <= set(index.members), team["slug"]
        assert team["parent"] is None or (team["org"], team["parent"]) in index.team_key
        for repo, perm in team["repos"].items():
            assert f"{team['org']}/{repo}" in index.repos, f"{team['slug']} -> {repo}"
            assert perm in ("pull", "triage", "push", "maintain", "admin")
    for repo in index.repos.values():
        assert repo["commits"], repo["name"]
        authors = {c["author"] for c in repo["commits"]}
        assert authors <= set(index.members), repo["name"]
        dates = [c["date"] for c in repo["commits"]]
        is_sample = isinstance(which, Path) and which.name.startswith("sample-")  # the samples' dates wobble
        assert dates == sorted(dates, reverse=True) or is_sample, f"{repo['name']}: commits not newest first"


@pytest.mark.parametrize("which", _docs())
def test_every_live_repo_is_one_service_or_excluded(which):
    doc, index = _doc(which), _index_for(which)
    excluded = set(doc["truth"]["excluded_repos"])
    services_of = defaultdict(list)
    for svc in doc["truth"]["services"]:
        if svc["repo"]:
            services_of[svc["repo"]].append(svc["name"])
    for full, repo in index.repos.items():
        if repo["archived"] or repo["fork"]:
            assert full in excluded, f"{full} is archived/forked but not excluded"
            continue
        if full in excluded:
            continue
        owners = services_of.get(full, [])
        assert owners, f"{full} is neither a service's repo nor excluded"
        if len(owners) > 1:  # a monorepo: each service has its own folder
            missing = [n for n in owners if not service_folder(repo, n)]
            assert missing == [], f"{full} hosts {owners} without a folder for {missing}"


@pytest.mark.parametrize("which", _docs())
def test_owners_are_backed_by_the_data(which):
    doc, index = _doc(which), _index_for(which)
    shared = _shared_repos(doc)
    for svc in doc["truth"]["services"]:
        signals = index.signals(svc, svc["repo"] in shared)
        named = {t for teams in signals.values() for t in teams}
        if svc["owner"] is None:
            assert not named, f"{svc['name']} has no truth owner but the data names {named}"
            continue
        assert svc["owner"] in index.teams
        support = [k for k, teams in signals.items() if svc["owner"] in teams]
        against = [k for k, teams in signals.items() if teams - {svc["owner"]}]
        assert support, f"{svc['name']}: nothing in the data says {svc['owner']} owns it ({signals})"
        if against:
            assert len(support) >= 2 and len(support) > len(against), f"{svc['name']}: {svc['owner']} vs {signals}"


@pytest.mark.parametrize("which", [p for p in _docs() if not p.id.startswith("sample-")])
def test_names_and_aliases_are_visible_in_the_data(which):
    """Not run on the samples: sample-messy has an alias (svc-account-gateway) that appears nowhere."""
    doc = _doc(which)
    text = dump({"aws": doc["aws"], "github": doc["github"]})
    for svc in doc["truth"]["services"]:
        assert any(n in text for n in [svc["name"], *svc["aliases"]]), svc["name"]
        for alias in svc["aliases"]:
            assert alias in text, f"{svc['name']}: alias {alias} appears nowhere"


@pytest.mark.parametrize("which", _docs())
def test_repos_are_linkable_to_their_infrastructure(which):
    """A reader can tie the repo to the infra: similar names, a tag naming the repo, or a file naming the infra."""
    doc, index = _doc(which), _index_for(which)
    for svc in doc["truth"]["services"]:
        if not svc["repo"] or not svc["resources"]:
            continue
        repo = index.repos[svc["repo"]]
        org, repo_name = svc["repo"].split("/", 1)
        repo_name = repo_name.removeprefix(f"{org}-")  # an org prefix on a repo name is noise to a reader
        infra = [ref.rsplit("/", 1)[1] for ref in svc["resources"]]
        files = "\n".join(repo["files"].values())
        def like(name: str) -> bool:
            return fuzz.partial_ratio(_norm(repo_name), _norm(name)) >= 85

        similar = any(like(n) for n in infra)
        tagged = any(repo_name.lower() in str(v).lower() or like(str(v))
                     for ref in svc["resources"] for v in index.tags[ref].values())
        mentioned = any(n in files for n in infra) or any(
            f"service: {m}" in files for m in re.findall(r"stack:[^/]+/[^/]+/(.+)-(?:prod|dev|staging)$", "\n".join(svc["resources"])))
        # a monorepo's folder named after the service, whose name every piece of its infra carries
        foldered = service_folder(repo, svc["name"]) is not None and all(svc["name"] in n for n in infra)
        assert similar or tagged or mentioned or foldered, f"{svc['name']}: nothing ties {svc['repo']} to {infra[:3]}"


@pytest.mark.parametrize("which", _docs())
def test_loose_resources_are_named_for_their_service(which):
    """Outside a stack only the name, a tag, or the Terraform folder of the service that names it says which
    service a resource belongs to."""
    doc, index = _doc(which), _index_for(which)
    for svc in doc["truth"]["services"]:
        names = {_norm(n) for n in [svc["name"], *svc["aliases"], (svc["repo"] or "/").split("/")[1]] if n}
        for ref in svc["resources"]:
            if ref.startswith("stack:") or ref in index.stacked:
                continue
            own = _norm(ref.rsplit("/", 1)[1])
            tagged = {_norm(str(v)) for v in index.tags[ref].values()}
            in_folder = any(f'"{ref.rsplit("/", 1)[1]}"' in index.tf_folders.get(n, "") for n in names)
            assert any(n in own for n in names) or names & tagged or in_folder, \
                f"{svc['name']}: {ref} is not recognisably its"


# ------------------------------------------------------------------------------------------ generator

@pytest.mark.parametrize("style", sorted(STYLES))
def test_generated_yaml_loads(style):
    doc = generate(style, name=f"yaml-{style}", n_services=8, seed=2)
    loaded = parse_scenario(dump(doc))
    assert loaded["truth"]["services"] == doc["truth"]["services"]
    assert loaded["github"]["orgs"][0]["repos"][0]["files"] == doc["github"]["orgs"][0]["repos"][0]["files"]


def test_generator_is_deterministic_for_a_seed():
    for style in STYLES:
        a = generate(style, name="det", n_services=20, seed=7)
        assert dump(a) == dump(generate(style, name="det", n_services=20, seed=7))
        assert dump(a) != dump(generate(style, name="det", n_services=20, seed=8))


def test_generator_honours_the_service_count_and_rejects_unknown_styles():
    for style in STYLES:
        assert len(generate(style, name="count", n_services=30, seed=1)["truth"]["services"]) == 30
    with pytest.raises(ValueError):
        generate("classic", name="x", n_services=20, seed=1)
    with pytest.raises(ValueError):
        generate("drift", name="x", n_services=3, seed=1)


def test_cli_writes_a_loadable_file(tmp_path):
    out = tmp_path / "co.yaml"
    assert main(["--style", "drift", "--name", "cli-co", "--services", "12", "--seed", "5", "-o", str(out)]) == 0
    doc = load_scenario(out)
    assert doc["name"] == "cli-co" and len(doc["truth"]["services"]) == 12


def _functions(doc: dict) -> list[str]:
    return [fn["name"] for a in doc["aws"]["accounts"] for r in a["regions"] for fn in r.get("lambdas", [])]


def _stacks(doc: dict) -> list[str]:
    return [s["name"] for a in doc["aws"]["accounts"] for r in a["regions"] for s in r.get("stacks", [])]


def _files(doc: dict) -> dict[str, dict]:
    return {r["name"]: r["files"] for r in doc["github"]["orgs"][0]["repos"]}


def test_serverless_style_uses_framework_conventions():
    doc = _generated("serverless", 3)
    files = _files(doc)
    services = {m.group(1) for f in files.values() if "serverless.yml" in f
                for m in [re.search(r"^service: (\S+)", f["serverless.yml"], re.M)] if m}
    assert len(services) >= 5
    stacks, functions = set(_stacks(doc)), _functions(doc)
    assert all(f"{s}-prod" in stacks for s in services if any(f.startswith(f"{s}-prod-") for f in functions))
    assert sum(1 for f in functions if re.match(r".+-(prod|dev)-[a-z]+$", f)) >= 10
    assert any("npx serverless deploy --stage prod" in f.get(".github/workflows/deploy.yml", "") for f in files.values())
    assert any("sam deploy --stack-name" in f.get(".github/workflows/deploy.yml", "") for f in files.values())
    apis = [a for acct in doc["aws"]["accounts"] for r in acct["regions"] for a in r.get("apis", [])]
    assert any(a["type"] == "HTTP" for a in apis)
    assert any(fn.get("sqs_trigger") for acct in doc["aws"]["accounts"] for r in acct["regions"] for fn in r.get("lambdas", []))


def test_multi_account_style_spreads_services_over_accounts():
    doc = _generated("multi-account", 3)
    accounts = {a["name"]: a for a in doc["aws"]["accounts"]}
    assert {"initech-shared", "initech-prod", "initech-staging", "initech-dev"} <= set(accounts)
    assert {r["name"] for r in accounts["initech-prod"]["regions"]} >= {"us-east-1"}
    shared_ecr = [e for r in accounts["initech-shared"]["regions"] for e in r.get("ecr_repositories", [])]
    assert shared_ecr and all(not r.get("ecr_repositories") for n, a in accounts.items() if n != "initech-shared"
                              for r in a["regions"])
    per_service = [len({ref.split(":")[1].split("/")[0] for ref in s["resources"]}) for s in doc["truth"]["services"]]
    assert max(per_service) >= 3
    assert any(re.match(r"^[A-Z][A-Za-z]+(Stack-(prod|staging|dev)|(Prod|Staging|Dev)Stack)", s) for s in _stacks(doc))
    assert any("cdk deploy" in f.get(".github/workflows/deploy.yml", "") for f in _files(doc).values())


def test_users_style_names_people_and_hides_some_owners():
    doc = _generated("users", 3)
    live = [r for r in doc["github"]["orgs"][0]["repos"] if not r["archived"] and not r["fork"]]
    paths = [p for r in live for p in r["files"] if p.endswith("CODEOWNERS")]
    assert paths and set(paths) <= {"docs/CODEOWNERS", ".github/CODEOWNERS"}
    text = "\n".join(r["files"][p] for r in live for p in r["files"] if p.endswith("CODEOWNERS"))
    assert "@" + doc["github"]["orgs"][0]["login"] + "/" not in text, "this style names people, not teams"
    assert re.search(r"\S+@hooli\.test", text) and re.search(r"(^|\s)@[a-z]", text, re.M)
    assert sum(1 for r in live if not any(p.endswith("CODEOWNERS") for p in r["files"])) >= 2
    teams = doc["github"]["orgs"][0]["teams"]
    parents = {t["parent"] for t in teams if t["parent"]}
    assert len(parents) >= 3 and any(t["parent"] in parents - {None} and t["slug"] in parents for t in teams)
    assert _shared_repos(doc), "the monorepo hosts several services"


def test_drift_style_spells_tags_many_ways():
    doc = _generated("drift", 3)
    keys = {k for a in doc["aws"]["accounts"] for r in a["regions"] for s in r.get("stacks", []) for k in s["tags"]}
    assert len(keys & {"team", "Team", "owner", "Owner", "owning-team", "squad"}) >= 4
    assert keys & {"github_repo", "repository"}
    drifted = [s for s in doc["truth"]["services"] if len(s["aliases"]) >= 2]
    assert len(drifted) >= len(doc["truth"]["services"]) // 2


def test_legacy_style_is_full_of_dead_repos():
    doc = _generated("legacy", 3)
    repos = doc["github"]["orgs"][0]["repos"]
    assert sum(r["archived"] for r in repos) >= 5 and sum(r["fork"] for r in repos) >= 3
    truth = doc["truth"]["services"]
    assert sum(1 for s in truth if not s["repo"] and s["resources"]) >= 2
    assert sum(1 for s in truth if s["repo"] and not s["resources"]) >= 3
    assert not [s for s in truth if s["resources"] and all(r.startswith(("rds:", "sqs:")) for r in s["resources"])]


def test_terraform_style_declares_everything_in_one_infrastructure_repository():
    doc = _generated("terraform", 3)
    regions = [r for a in doc["aws"]["accounts"] for r in a["regions"]]
    assert not [s for r in regions for s in r.get("stacks", [])]           # no CloudFormation at all
    repos = {r["name"]: r for r in doc["github"]["orgs"][0]["repos"]}
    live = repos["terraform-live"]["files"]
    assert "larkspur/terraform-live" in doc["truth"]["excluded_repos"]
    folders = {p.split("/")[1] for p in live if p.startswith("services/") and p.endswith(".tf")}
    assert len(folders) >= 10 and 'module "' in live["environments/prod.tf"]
    assert all(f"/services/{f}/" in live["CODEOWNERS"] or f in {s["name"] for s in doc["truth"]["services"]
                                                                  if s["owner"] is None} for f in folders)
    tags = [t for r in regions for kind in ("lambdas", "sqs_queues", "rds_instances") for x in r.get(kind, [])
            for t in [x["tags"]]] + [s["tags"] for r in regions for c in r.get("ecs_clusters", []) for s in c["services"]]
    assert sum(1 for t in tags if not t) >= 3 and {k for t in tags for k in t} >= {"Name", "ManagedBy"}
    truth = doc["truth"]["services"]
    assert [s for s in truth if s["owner"] is None and not s["repo"]]       # the orphan nobody owns


def test_monorepo_style_hosts_services_per_folder():
    doc = _generated("monorepo", 3)
    shared = _shared_repos(doc)
    assert 2 <= len(shared) <= 4
    files = _files(doc)
    text = {r: "\n".join(f.values()) for r, f in files.items()}
    for full in shared:
        repo_files = files[full.split("/", 1)[1]]
        owners_file = repo_files.get(".github/CODEOWNERS") or repo_files["CODEOWNERS"]
        assert owners_file.splitlines()[1].startswith("* "), "a root rule for the host team"
        assert any(p.startswith(("libs/", "packages/")) for p in repo_files), "shared code that is no service"
    hosts = {s["repo"]: Counter(t["owner"] for t in doc["truth"]["services"] if t["repo"] == s["repo"]) for s in
             doc["truth"]["services"] if s["repo"] in shared}
    assert all(len(owners) >= 2 for owners in hosts.values()), "every monorepo hosts a guest team's service"
    workflows = "\n".join(t for r, t in text.items())
    assert "matrix.service" in workflows or "dorny/paths-filter" in workflows
    assert re.search(r"paths: \[.*(services|apps)/[a-z-]+/\*\*", workflows) or "dorny/paths-filter" in workflows


def test_monorepo_style_deploys_serverless_and_sam_apps_from_their_folders():
    """Some services of a monorepo are Serverless Framework or SAM apps deployed from their own folder; the
    service is the folder, and the app's own name, when it differs, is an alias."""
    apps, renamed, sam = 0, 0, 0
    for seed in range(1, 9):
        doc = _generated("monorepo", seed)
        truth = {s["name"]: s for s in doc["truth"]["services"]}
        for files in _files(doc).values():
            workflows = "\n".join(t for p, t in files.items() if p.startswith(".github/workflows/"))
            for path, text in files.items():
                m = re.fullmatch(r"(services|apps)/([a-z-]+)/(serverless\.yml|samconfig\.toml)", path)
                if not m:
                    continue
                folder, name = f"{m.group(1)}/{m.group(2)}", m.group(2)
                assert f"cd {folder} &&" in workflows or f"working-directory: {folder}" in workflows \
                    or f"--template-file {folder}/" in workflows or "matrix.folder" in workflows
                own = re.search(r'^(?:service: |stack_name = ")([A-Za-z-]+?)(?:-prod|-staging)?"?$', text, re.M).group(1)
                apps += 1
                sam += m.group(3) == "samconfig.toml"
                if own != name:
                    renamed += 1
                    assert own in truth[name]["aliases"]
    assert apps >= 4 and sam >= 1 and renamed >= 1
