"""catalog-info.yaml as public repositories write it (issue 15 §2): project slugs, owner references
with their kind and namespace, e-mail owners, scaffolder placeholders. Cases: ``real_files/catalog_info/``."""
import pytest

from discovery.connectors.github.catalog_info import is_email, is_placeholder, parse_catalog_info
from discovery.connectors.github.tests.real_files import cases, check


@pytest.mark.parametrize("case", cases("catalog_info"))
def test_catalog_info_facts(case):
    check(case)


@pytest.mark.parametrize("value,placeholder", [
    ("${{ values.name }}", True), ("${{values.name | dump}}", True), ("{{ cookiecutter.x }}", True),
    ("{%- if x %}", True), ("<%= name %>", True), ("${NAME}", True),
    ("orders-api", False), ("cost: $5", False), ("a{b}", False), (None, False),
])
def test_placeholders(value, placeholder):
    assert is_placeholder(value) is placeholder


@pytest.mark.parametrize("value,email", [
    ("jane.doe@acme.example", True), ("mailto:ops@acme.example", True), ("ops@mail.acme.example", True),
    ("@acme/payments", False), ("group:payments", False), ("jane@localhost", False), ("a@b@c.d", False),
])
def test_emails(value, email):
    assert is_email(value) is email


def test_hostile_owner_and_slug_values_are_read_in_bounded_time():
    import time

    dotted = "a@" + "b." * 50_000 + "c:"
    braces = "{" * 150  # deeper flow nesting than 200 costs the whole document (safe_yaml)
    text = (f"kind: Component\nmetadata:\n  name: x\n  annotations:\n    github.com/project-slug: '{'a/' * 50_000}'\n"
            f"    backstage.io/source-location: 'url:https://{'github' * 20_000}'\nspec:\n  owner: '{dotted}'\n"
            f"---\nkind: Component\nmetadata: {{name: y}}\nspec: {{owner: '{braces}'}}\n")
    start = time.process_time()
    entities, warnings = parse_catalog_info(text)
    assert time.process_time() - start < 1.0
    assert [(e["name"], e["owner"], e["project_slug"]) for e in entities] == [("x", None, None), ("y", None, None)]
    assert any("longer than" in w["reason"] for w in warnings)
    assert any("placeholder" in w["reason"] for w in warnings)
    dotted_email = "a@" + "b." * 100 + "c"
    start = time.process_time()
    assert is_email(dotted_email) and not is_email(dotted_email + ":")
    assert time.process_time() - start < 0.1
