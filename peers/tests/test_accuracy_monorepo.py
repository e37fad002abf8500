"""The product metric on generated monorepo companies (style ``monorepo``): services per folder, owners per
path, deploys per service, per matrix row or per paths-filter output, each found as its own catalog entry."""
import json

import pytest

from peers.accuracy import evaluate, format_table
from peers.generate_scenario import generate
from peers.scenario import parse_scenario


@pytest.mark.parametrize("size", [24, 60])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_monorepo_companies_meet_the_accuracy_bar(seed, size):
    # JSON is YAML: the loader fills the optional keys without a slow YAML dump of the generated document
    doc = parse_scenario(json.dumps(generate("monorepo", name=f"monorepo-{size}-{seed}", n_services=size, seed=seed)))
    report, row = evaluate(doc)
    print("\n" + format_table([row]))
    detail = report.problems()
    assert report.accuracy >= 0.97, detail
    assert report.recall >= 0.98, detail
    assert report.resource_coverage >= 0.97, detail
    assert report.duplicates == [], detail
    assert report.excluded_repo_entries == [], detail
