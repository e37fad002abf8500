"""GraphQL: GitHub's schema enforced, the discovery query returns the scenario exactly, cursors, cost."""
from __future__ import annotations

import pytest

from peers.github_emulator import create_app, start_in_thread

from .conftest import ORG, graphql, org_of, repo_of

DISCOVERY = """
query($org:String!,$cursor:String){ organization(login:$org){ repositories(first:50, after:$cursor,
  orderBy:{field:NAME,direction:ASC}){ pageInfo{hasNextPage endCursor} nodes{ name description isArchived isFork
  pushedAt primaryLanguage{name} languages(first:10){edges{size node{name}}} repositoryTopics(first:20){nodes{topic{name}}}
  defaultBranchRef{name target{... on Commit{history(first:50){nodes{committedDate author{user{login}}}}}}}
  co1: object(expression:"HEAD:CODEOWNERS"){... on Blob{text}}
  co2: object(expression:"HEAD:.github/CODEOWNERS"){... on Blob{text}}
  wf: object(expression:"HEAD:.github/workflows"){... on Tree{entries{name path object{... on Blob{text byteSize isBinary}}}}}
} } } rateLimit{cost remaining resetAt} }
"""


def _discover(http, base, org=ORG, path="/graphql"):
    repos, cursor, pages = [], None, []
    while True:
        resp = graphql(http, base, DISCOVERY, {"org": org, "cursor": cursor}, path=path)
        assert resp.status_code == 200
        body = resp.json()
        assert "errors" not in body, body.get("errors")
        conn = body["data"]["organization"]["repositories"]
        repos += conn["nodes"]
        pages.append(body["data"]["rateLimit"])
        if not conn["pageInfo"]["hasNextPage"]:
            return repos, pages
        cursor = conn["pageInfo"]["endCursor"]


def test_discovery_query_returns_the_scenario(emulator, http, messy):
    repos, pages = _discover(http, emulator)
    scenario = org_of(messy)["repos"]
    assert [r["name"] for r in repos] == sorted((r["name"] for r in scenario), key=str.lower)
    assert len(pages) == 1  # 41 repos, 50 a page
    for got in repos:
        want = repo_of(messy, got["name"])
        assert got["description"] == (want["description"] or None)
        assert (got["isArchived"], got["isFork"], got["pushedAt"]) == (want["archived"], want["fork"], want["pushed_at"])
        assert got["primaryLanguage"] == ({"name": want["language"]} if want["language"] else None)
        assert {e["node"]["name"]: e["size"] for e in got["languages"]["edges"]} == want["languages"]
        assert [n["topic"]["name"] for n in got["repositoryTopics"]["nodes"]] == want["topics"]
        assert got["defaultBranchRef"]["name"] == want["default_branch"]
        history = got["defaultBranchRef"]["target"]["history"]["nodes"]
        assert [(c["committedDate"], c["author"]["user"]["login"]) for c in history] == [
            (c["date"], c["author"]) for c in want["commits"][:50]]
        files = want["files"]
        assert got["co1"] == ({"text": files["CODEOWNERS"]} if "CODEOWNERS" in files else None)
        assert got["co2"] == ({"text": files[".github/CODEOWNERS"]} if ".github/CODEOWNERS" in files else None)
        workflows = {p: t for p, t in files.items() if p.startswith(".github/workflows/")}
        if workflows:
            assert {e["path"]: e["object"]["text"] for e in got["wf"]["entries"]} == workflows
            assert all(e["object"]["byteSize"] == len(workflows[e["path"]].encode()) and not e["object"]["isBinary"]
                       for e in got["wf"]["entries"])
        else:
            assert got["wf"] is None
    # 1 repositories request + 50 x (languages, topics, history) = 151 -> cost 2
    assert pages[0]["cost"] == 2


def test_graphql_rate_limit_decreases_by_cost(emulator, http):
    q = "{ rateLimit { cost limit remaining used resetAt nodeCount } }"
    a = graphql(http, emulator, q).json()["data"]["rateLimit"]
    b = graphql(http, emulator, q).json()["data"]["rateLimit"]
    assert (a["cost"], a["limit"], a["nodeCount"]) == (1, 5000, 0)
    assert b["remaining"] == a["remaining"] - 1 and b["used"] == a["used"] + 1
    dry = graphql(http, emulator, "{ rateLimit(dryRun: true) { remaining } }").json()["data"]["rateLimit"]
    assert dry["remaining"] == b["remaining"]
    resp = graphql(http, emulator, q)
    assert resp.headers["X-RateLimit-Resource"] == "graphql"
    assert int(resp.headers["X-RateLimit-Remaining"]) == resp.json()["data"]["rateLimit"]["remaining"]


def test_cost_follows_githubs_rule(emulator, http):
    q = """{ organization(login: "globex") { teams(first: 100) { nodes {
        members(first: 50) { nodes { login } } repositories(first: 60) { nodes { name } } } } }
        rateLimit { cost nodeCount } }"""
    rate = graphql(http, emulator, q).json()["data"]["rateLimit"]
    # requests: 1 (teams) + 100 (members per team) + 100 (repos per team) = 201 -> 2 points
    assert rate == {"cost": 2, "nodeCount": 100 + 100 * 50 + 100 * 60}


@pytest.mark.parametrize("query,message,type_", [
    ('{ organization(login: "globex") { foo } }', "Field 'foo' doesn't exist on type 'Organization'", None),
    ('{ repository(owner: "globex", name: "search-hub") { name starz } }',
     "Field 'starz' doesn't exist on type 'Repository'", None),
    ('{ organization(login: "globex") { repositories(first: 101) { nodes { name } } } }',
     "Requesting 101 records on the `repositories` connection exceeds the `first` limit of 100 records.",
     "EXCESSIVE_PAGINATION"),
    ('{ organization(login: "globex") { teams { nodes { slug } } } }',
     "You must provide a `first` or `last` value to properly paginate the `teams` connection.",
     "MISSING_PAGINATION_BOUNDARIES"),
    ('{ organization(login: "globex") { login }', None, None),
])
def test_queries_github_rejects_fail(emulator, http, query, message, type_):
    resp = graphql(http, emulator, query)
    assert resp.status_code == 200  # GitHub answers query errors with 200
    body = resp.json()
    assert "data" not in body and len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["locations"] and error["locations"][0]["line"] >= 1
    if message:
        assert error["message"] == message
    if type_:
        assert error["type"] == type_


def test_first_limit_applies_to_variables_and_nested_connections(emulator, http):
    q = """query($n: Int!) { organization(login: "globex") { repositories(first: 5) {
        nodes { languages(first: $n) { totalSize } } } } }"""
    body = graphql(http, emulator, q, {"n": 150}).json()
    assert body["errors"][0]["path"] == ["organization", "repositories", "nodes", "languages"]
    assert "exceeds the `first` limit of 100 records" in body["errors"][0]["message"]


def test_cursor_pagination_walks_every_repo_once(emulator, http, messy):
    q = """query($cursor: String) { organization(login: "globex") {
        repositories(first: 7, after: $cursor, isFork: false) { totalCount
          edges { cursor node { name } } pageInfo { hasNextPage endCursor hasPreviousPage } } } }"""
    names, cursor, pages = [], None, 0
    while True:
        conn = graphql(http, emulator, q, {"cursor": cursor}).json()["data"]["organization"]["repositories"]
        assert conn["pageInfo"]["hasPreviousPage"] == (pages > 0)
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        names += [e["node"]["name"] for e in conn["edges"]]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        cursor = conn["pageInfo"]["endCursor"]
    expected = [r["name"] for r in org_of(messy)["repos"] if not r["fork"]]
    assert names == expected and conn["totalCount"] == len(expected)
    assert pages == -(-len(expected) // 7)
    bad = graphql(http, emulator, q, {"cursor": "bm9wZQ=="}).json()
    assert bad["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"


def test_filters_archived_and_fork(emulator, http, messy):
    q = """{ organization(login: "globex") { active: repositories(first: 1, isArchived: false, isFork: false) { totalCount }
        archived: repositories(isArchived: true) { totalCount } all: repositories { totalCount } } }"""
    org = graphql(http, emulator, q).json()["data"]["organization"]
    repos = org_of(messy)["repos"]
    assert org["active"]["totalCount"] == sum(1 for r in repos if not r["archived"] and not r["fork"])
    assert org["archived"]["totalCount"] == sum(1 for r in repos if r["archived"]) > 0
    assert org["all"]["totalCount"] == len(repos)


def test_members_and_teams_match_scenario(emulator, http, messy):
    q = """{ organization(login: "globex") { login name
        membersWithRole(first: 100) { totalCount nodes { login name email } }
        teams(first: 100) { nodes { slug name description parentTeam { slug }
          members(first: 100, membership: IMMEDIATE) { nodes { login } }
          repositories(first: 100) { edges { permission node { name } } } } }
        team(slug: "payments") { slug } } }"""
    org = graphql(http, emulator, q).json()["data"]["organization"]
    want = org_of(messy)
    assert (org["login"], org["name"]) == (want["login"], want["name"])
    assert org["membersWithRole"]["nodes"] == [{"login": m["login"], "name": m["name"], "email": m["email"]}
                                               for m in want["members"]]
    perms = {"pull": "READ", "triage": "TRIAGE", "push": "WRITE", "maintain": "MAINTAIN", "admin": "ADMIN"}
    for got, team in zip(org["teams"]["nodes"], want["teams"], strict=True):
        assert (got["slug"], got["name"], got["description"]) == (team["slug"], team["name"], team["description"])
        assert (got["parentTeam"] or {}).get("slug") == team["parent"]
        assert [n["login"] for n in got["members"]["nodes"]] == team["members"]
        assert {e["node"]["name"]: e["permission"] for e in got["repositories"]["edges"]} == {
            n: perms[p] for n, p in team["repos"].items()}
    assert org["team"] == {"slug": "payments"}


def test_objects_blobs_and_trees(emulator, http, messy):
    want = repo_of(messy, "search-hub")
    q = """{ repository(owner: "globex", name: "search-hub") { nameWithOwner url
        readme: object(expression: "master:README.md") { __typename ... on Blob { text byteSize isTruncated } }
        missing: object(expression: "HEAD:nope/README.md") { __typename }
        wrongBranch: object(expression: "nope:README.md") { __typename }
        root: object(expression: "HEAD:") { ... on Tree { entries { name type } } }
        head: object(expression: "HEAD") { ... on Commit { oid message } } } }"""
    repo = graphql(http, emulator, q).json()["data"]["repository"]
    assert repo["nameWithOwner"] == "globex/search-hub" and repo["url"] == f"{emulator}/globex/search-hub"
    assert repo["readme"] == {"__typename": "Blob", "text": want["files"]["README.md"],
                              "byteSize": len(want["files"]["README.md"].encode()), "isTruncated": False}
    assert repo["missing"] is None and repo["wrongBranch"] is None
    assert {"name": ".github", "type": "tree"} in repo["root"]["entries"]
    assert repo["head"]["message"] == want["commits"][0]["message"]


def test_not_found_errors(emulator, http):
    body = graphql(http, emulator, '{ organization(login: "nope") { login } }').json()
    assert body["data"] == {"organization": None}
    assert body["errors"][0]["type"] == "NOT_FOUND" and body["errors"][0]["path"] == ["organization"]
    assert body["errors"][0]["message"] == "Could not resolve to an Organization with the login of 'nope'."


def test_unmodelled_fields_are_empty_not_invented(emulator, http):
    q = """{ repository(owner: "globex", name: "search-hub") { stargazerCount
        issues(first: 5) { totalCount nodes { title } } licenseInfo { name } } }"""
    body = graphql(http, emulator, q).json()
    assert "errors" not in body
    assert body["data"]["repository"] == {"stargazerCount": 0, "issues": {"totalCount": 0, "nodes": []},
                                          "licenseInfo": None}


def test_unmodelled_booleans_and_enums_are_not_made_up(emulator, http):
    # a documented default where GitHub documents one (new repositories allow merge commits)
    q = '{ repository(owner: "globex", name: "search-hub") { name mergeCommitAllowed mergeCommitTitle } }'
    body = graphql(http, emulator, q).json()
    assert body == {"data": {"repository": {"name": "search-hub", "mergeCommitAllowed": True,
                                            "mergeCommitTitle": "MERGE_MESSAGE"}}}
    # no first enum value (DISABLED) and no false: GitHub's FORBIDDEN field error, the parent is null
    q = '{ organization(login: "globex") { login ipAllowListEnabledSetting } }'
    body = graphql(http, emulator, q).json()
    assert body["data"] == {"organization": None}
    assert body["errors"][0]["type"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["organization", "ipAllowListEnabledSetting"]
    # nullable fields the scenario does not model are null
    q = '{ organization(login: "globex") { requiresTwoFactorAuthentication } }'
    assert graphql(http, emulator, q).json() == {"data": {"organization": {"requiresTwoFactorAuthentication": None}}}


def test_variables_as_a_json_string(emulator, http, messy):
    q = "query($login: String!) { organization(login: $login) { login } }"
    for variables in ('{"login": "globex"}', {"login": "globex"}):
        resp = http.post(f"{emulator}/graphql", json={"query": q, "variables": variables})
        assert resp.json() == {"data": {"organization": {"login": "globex"}}}
    assert http.post(f"{emulator}/graphql", json={"query": "{ viewer { login } }", "variables": ""}).json()[
        "data"]["viewer"]["login"]
    for bad in ('{"login": ', "[1]", "3"):
        resp = http.post(f"{emulator}/graphql", json={"query": q, "variables": bad})
        assert resp.status_code == 200 and resp.json() == {"errors": [{"message": "Variables are invalid JSON."}]}


def test_viewer_is_the_tokens_owner(emulator, http, messy):
    org = org_of(messy)
    members = [m if isinstance(m, dict) else {"login": m} for m in org["members"]]
    owner = next((m for m in members if m.get("role") == "admin"), members[0])["login"]
    body = graphql(http, emulator, "{ viewer { login isViewer } }").json()
    assert body == {"data": {"viewer": {"login": owner, "isViewer": True}}}
    assert http.get(f"{emulator}/user").json()["login"] == owner
    # a configured owner per token, and a default owner
    other = members[-1]["login"]
    base, stop = start_in_thread(create_app(messy, tokens={"a": other, "b": None}, viewer=members[1]["login"],
                                            warm_schema=False))
    try:
        import requests

        for token, login in (("a", other), ("b", members[1]["login"])):
            headers = {"Authorization": f"token {token}"}
            assert requests.get(f"{base}/user", headers=headers).json()["login"] == login
            resp = requests.post(f"{base}/graphql", headers=headers, json={"query": "{ viewer { login } }"})
            assert resp.json() == {"data": {"viewer": {"login": login}}}
    finally:
        stop()


def test_auth_and_enterprise_path(emulator, http):
    import requests

    resp = requests.post(f"{emulator}/graphql", json={"query": "{ rateLimit { cost } }"},
                         headers={"Authorization": "bearer nope"})
    assert resp.status_code == 401 and resp.json()["message"] == "Bad credentials"
    assert requests.post(f"{emulator}/graphql", json={"query": "{ rateLimit { cost } }"}).status_code == 401
    body = graphql(http, emulator, '{ organization(login: "globex") { login } }', path="/api/graphql").json()
    assert body == {"data": {"organization": {"login": "globex"}}}


def test_rate_limited_when_points_run_out(messy):
    import requests

    base, stop = start_in_thread(create_app(messy, tokens=["t"], graphql_rate_limit=3))
    try:
        session = requests.Session()
        session.headers["Authorization"] = "token t"
        first = graphql(session, base, DISCOVERY, {"org": ORG})
        assert first.json()["data"]["rateLimit"]["remaining"] == 1
        second = graphql(session, base, DISCOVERY, {"org": ORG})
        assert second.status_code == 200 and second.headers["X-RateLimit-Remaining"] == "0"
        assert second.json()["errors"][0]["type"] == "RATE_LIMITED"
        assert "API rate limit exceeded" in second.json()["errors"][0]["message"]
        cheap = graphql(session, base, "{ rateLimit { remaining } }")
        assert cheap.json()["data"]["rateLimit"]["remaining"] == 0
    finally:
        stop()
