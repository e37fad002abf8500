"""`manage.py accuracy`: a readable report, and JSON that a script can read (not a quoted repr)."""
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.models import Service, Team

pytestmark = pytest.mark.django_db
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "sample-messy.yaml"


def test_json_is_an_object_with_the_figures_and_the_problems(in_alpha, capsys):
    team = Team.objects.create(slug="nobody", name="Nobody")
    Service.objects.create(name="not-in-truth", key="not-in-truth", owner=team)
    call_command("accuracy", "alpha", "--scenario", str(SCENARIO), "--json")
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    assert data["entries"] == 1 and data["matched"] == 0 and data["precision"] == 0.0
    assert data["truth_services"] > 0 and data["recall"] == 0.0
    assert any(entry.startswith("not-in-truth") for entry in data["unmatched_entries"])


def test_text_report_names_the_figures_and_what_was_wrong(in_alpha, capsys):
    call_command("accuracy", "alpha", "--scenario", str(SCENARIO))
    out = capsys.readouterr().out
    assert "recall" in out and "missed services" in out and "Report(" not in out
