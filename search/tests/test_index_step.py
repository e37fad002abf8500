"""The index step of a discovery: whatever the catalog changed is searchable before the run ends, and
search wires its own receivers (catalog does not know who indexes it)."""
import pytest
from django.apps import apps
from django.db.models.signals import post_save

from catalog.models import Service
from search import tasks
from search.documents import service_key, team_key
from search.models import SearchDocument
from search.tests import factories
from search.tests.conftest import inside

pytestmark = pytest.mark.django_db
RUN = "6f1b0c1e-0000-4000-8000-000000000001"


def indexed(key):
    return SearchDocument.objects.filter(key=key).exists()


def test_changes_not_yet_indexed_are_indexed_and_gone_ones_removed(alpha):
    with inside(alpha):  # on_commit never runs in a test: nothing was indexed by the receivers
        payments = factories.team("payments")
        ledger = factories.service("ledger", owner=payments)
        cart = factories.service("cart")
        first = tasks.index_workspace(alpha.schema_name, "ws", RUN)
        assert (first["services"], first["teams"]) == (2, 1)
        assert indexed(service_key(ledger.pk)) and indexed(service_key(cart.pk)) and indexed(team_key(payments.pk))

        Service.objects.filter(pk=cart.pk).update(hidden=True)  # "not a service": no longer searchable
        ledger.description = "double-entry bookkeeping"
        ledger.save()
        second = tasks.index_workspace(alpha.schema_name, "ws", RUN)
        assert second["services"] == 2 and not indexed(service_key(cart.pk))
        assert tasks.index_workspace(alpha.schema_name, "ws", RUN)["services"] == 0  # up to date


def test_a_payload_for_another_tenant_fails_the_step(alpha, beta):
    with inside(alpha):
        with pytest.raises(tasks.ScopeMismatch):
            tasks.index_workspace(beta.schema_name, "ws", RUN)


def test_search_connects_its_own_receivers():
    assert apps.get_app_config("catalog").ready.__qualname__ == "AppConfig.ready"  # catalog wires nothing
    uids = {entry[0][0] for entry in post_save.receivers}  # (dispatch_uid, sender id), receiver, ...
    assert {"search.service.save", "search.resource.save", "search.team.save"} <= uids
