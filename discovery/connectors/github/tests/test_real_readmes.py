"""README summaries as public repositories write their READMEs (issue 15 §2): labels before badge rows,
link lines, donation blurbs, setup instructions, greetings and notices before the sentence that says
what the project is. Cases: ``real_files/readmes/``."""
import time

import pytest

from discovery.connectors.github.readme import is_summary, readme_description
from discovery.connectors.github.tests.real_files import cases, check


@pytest.mark.parametrize("case", cases("readmes"))
def test_readme_description_facts(case):
    check(case)


@pytest.mark.parametrize("text,summary", [
    ("Releases:", False), ("Build status:", False), ("To install, run npm i -g tilegen.", False),
    ("pip install acme-orders", False), ("Please consider donating via PayPal.", False),
    ("Documentation: https://docs.acme.example", False),
    ("Usage tracking for the billing team.", True), ("Clone of the legacy scheduler, rewritten in Go.", True),
    ("This service exposes the following endpoints:" + " and more" * 4, True),
])
def test_is_summary(text, summary):
    assert is_summary(text) is summary


@pytest.mark.parametrize("name,text", [
    ("README.md", "Welcome" + " hi" * 60_000 + "."),
    ("README.md", "To " * 60_000 + "\n\nx is y."),
    ("README.md", ("[a](https://b) " * 5_000 + "\n\n") * 10),
    ("README.rst", "please consider " * 30_000),
    ("README", "donate " * 50_000 + ":"),
])
def test_hostile_readmes_stay_linear(name, text):
    start = time.process_time()
    readme_description(name, text)
    assert time.process_time() - start < 1.0
