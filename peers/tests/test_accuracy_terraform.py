"""The terraform style (Larkspur Mutual: resources made by Terraform in one infrastructure repository, no
CloudFormation) against the product bar, on a few generated companies."""
import json

import pytest

from peers.accuracy import evaluate
from peers.generate_scenario import generate
from peers.scenario import parse_scenario


@pytest.mark.parametrize("size", [24, 60])
@pytest.mark.parametrize("seed", [1, 3, 5])
def test_terraform_companies_meet_the_bar(seed, size):
    doc = generate("terraform", name="terraform-co", n_services=size, seed=seed)
    report, row = evaluate(parse_scenario(json.dumps(doc)))  # a JSON round trip: JSON is YAML, defaults filled in
    problems = report.problems()
    assert row["accuracy"] >= 0.97, problems
    assert row["recall"] >= 0.98, problems
    assert row["resource_coverage"] >= 0.97, problems
    assert report.duplicates == [], problems
    assert report.excluded_repo_entries == [], problems
