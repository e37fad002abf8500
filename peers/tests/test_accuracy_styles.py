"""Companies built differently (issue 15 §1), generated and scored through the connector's builders, reconcile
and ownership: every style must meet ``peers.accuracy.STYLE_BAR`` on a few seeds and sizes. What each style
models is in scenarios/README.md; its own shape checks sit in test_accuracy_<style>.py."""
import json

import pytest

from peers.accuracy import STYLE_BAR, below_bar, evaluate
from peers.generate_scenario import generate
from peers.scenario import parse_scenario

STYLES = ("monorepo", "terraform", "acquisition", "realorg")


@pytest.mark.parametrize("size", [24, 60])
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("style", STYLES)
def test_companies_built_differently_meet_the_bar(style, seed, size):
    # JSON is YAML: the loader fills in the format's defaults without a slow YAML dump
    doc = parse_scenario(json.dumps(generate(style, name=f"{style}-{size}-{seed}", n_services=size, seed=seed)))
    report, _ = evaluate(doc)
    assert below_bar(report) == [], report.problems()


def test_the_bar_names_every_shortfall():
    doc = parse_scenario(json.dumps(generate("realorg", name="bar", n_services=24, seed=1)))
    report, _ = evaluate(doc)
    report.recall, report.duplicates = 0.5, [{"name": "x"}]
    assert below_bar(report) == ["recall 0.500 < 0.98", "1 duplicates"]
    assert below_bar(report, {**STYLE_BAR, "recall": 0.4}) == ["1 duplicates"]
