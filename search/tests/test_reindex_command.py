"""manage.py reindex: rebuilds a tenant and prints counts and index lag."""
import json

import pytest
from django.core.management import CommandError, call_command

from search.tests import factories
from search.tests.conftest import inside

pytestmark = pytest.mark.django_db


def test_reindex_reports_counts_and_lag(alpha, capsys):
    with inside(alpha):
        factories.service("ledger-api", repo="acme/ledger", owner=factories.team("ledgers"))
    call_command("reindex", alpha.name)
    out = capsys.readouterr().out
    assert (f"{alpha.name} ({alpha.schema_name}, postgres): 1 services, 1 teams, 1 repositories indexed "
            "(3 written, the rest unchanged), 0 removed") in out
    assert "lag before: 1 pending" in out and "lag after:  0 pending" in out

    call_command("reindex", alpha.name, "--json")
    report = json.loads(capsys.readouterr().out)[0]
    assert report["services"] == 1 and report["written"] == 0 and report["lag_after"]["pending"] == 0
    assert report["lag_after"]["recent"]["count"] == 1


def test_reindex_needs_a_known_tenant(alpha):
    with pytest.raises(CommandError):
        call_command("reindex", "no-such-tenant")
    with pytest.raises(CommandError):
        call_command("reindex")
