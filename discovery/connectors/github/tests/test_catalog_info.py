import pytest

from discovery.connectors.github.catalog_info import parse_catalog_info, parse_entity_ref

MULTI = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payment-gateway
  description: Handles checkout payments
  tags: [payments, java, 42]
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  system: system:checkout
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: beta
  owner: user:alice
  system: checkout
  definition: {$text: ./openapi.yaml}
---
kind: Component
metadata:
  name: broken
  description: [unclosed
---
- just
- a list
---
kind: system
metadata: {name: checkout}
spec: {owner: payments}
---
kind: Group
metadata:
  name: payments
spec:
  type: team
  children: []
---
kind: Component
spec: {owner: nobody}
---
kind: Resource
metadata: {name: payments-db, namespace: data}
spec: {owner: "group:data/dba", type: database}
...
---
"""


@pytest.fixture(scope="module")
def parsed():
    return parse_catalog_info(MULTI)


def test_entities_survive_a_broken_document(parsed):
    entities, _ = parsed
    assert [(e["entity_kind"], e["name"]) for e in entities] == [
        ("Component", "payment-gateway"), ("API", "payments-api"), ("System", "checkout"),
        ("Group", "payments"), ("Resource", "payments-db"),
    ]


def test_owner_and_system_refs_are_normalized(parsed):
    by_name = {e["name"]: e for e in parsed[0]}
    gw = by_name["payment-gateway"]
    assert (gw["owner"], gw["owner_kind"], gw["system"]) == ("payments", "group", "checkout")
    assert (gw["type"], gw["lifecycle"], gw["description"]) == ("service", "production", "Handles checkout payments")
    assert gw["tags"] == ["payments", "java", "42"]
    api = by_name["payments-api"]
    assert (api["owner"], api["owner_kind"], api["system"]) == ("alice", "user", "checkout")
    assert (by_name["checkout"]["owner"], by_name["checkout"]["owner_kind"]) == ("payments", "group")
    assert by_name["payments"]["owner"] is None
    db = by_name["payments-db"]
    assert (db["owner"], db["owner_kind"], db["namespace"]) == ("dba", "group", "data")


def test_warnings_name_the_bad_documents(parsed):
    _, warnings = parsed
    reasons = [w["reason"] for w in warnings]
    assert len(warnings) == 3
    assert reasons[0].startswith("invalid YAML")
    assert warnings[0]["line"] == 27  # the line with the unclosed flow sequence
    assert "not a mapping" in reasons[1] and warnings[1]["line"] == 28
    assert "no metadata.name" in reasons[2]


@pytest.mark.parametrize("ref,expected", [
    ("group:default/payments", ("group", "default", "payments")),
    ("group:payments", ("group", "default", "payments")),
    ("payments", ("group", "default", "payments")),
    ("default/payments", ("group", "default", "payments")),
    ("user:alice", ("user", "default", "alice")),
    ("User:Default/Alice", ("user", "Default", "Alice")),
    ({"kind": "Group", "name": "ops"}, ("group", "default", "ops")),
    ("", None), (None, None), (["x"], None), (True, None), ("group:", None),
])
def test_parse_entity_ref(ref, expected):
    assert parse_entity_ref(ref, "group") == expected


@pytest.mark.parametrize("text", [
    "", None, "---\n", "key: [", "\t- tab\n", "a: *undefined_alias\n", "!!python/object:os.system {}\n",
    "[" * 5000, "\x00\x01", "kind: Component\nmetadata: 5\n", "kind: [1]\nmetadata: {name: x}\n",
])
def test_never_raises(text):
    entities, warnings = parse_catalog_info(text)
    assert entities == []
    assert all({"line", "reason"} <= set(w) for w in warnings)


def test_unsafe_tags_are_refused_not_executed():
    entities, warnings = parse_catalog_info("!!python/object/apply:os.system ['true']\n")
    assert entities == [] and "invalid YAML" in warnings[0]["reason"]


def test_crlf_bom_and_single_document():
    text = "\ufeffapiVersion: v1\r\nkind: Component\r\nmetadata:\r\n  name: svc\r\nspec:\r\n  owner: team-a\r\n"
    entities, warnings = parse_catalog_info(text)
    assert warnings == []
    assert [(e["name"], e["owner"], e["owner_kind"]) for e in entities] == [("svc", "team-a", "group")]


def test_alias_and_merge_bombs_cost_only_their_document():
    import time

    merge_bomb = "m0: &m0 {k: v}\n" + "".join(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], x{i}: v}}\n"
                                             for i in range(1, 25))
    laughs = "l0: &l0 [" + ", ".join(["lol"] * 9) + "]\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    ok = "kind: Component\nmetadata: {name: fine, tags: &t [a, b]}\nspec: {owner: team, also: *t}\n"
    start = time.process_time()
    entities, warnings = parse_catalog_info(f"{merge_bomb}---\n{laughs}---\n{ok}")
    assert time.process_time() - start < 1.0
    assert [e["name"] for e in entities] == ["fine"] and entities[0]["tags"] == ["a", "b"]
    assert [w["line"] for w in warnings] == [1, 26]
    assert all("expands to more than" in w["reason"] for w in warnings)
