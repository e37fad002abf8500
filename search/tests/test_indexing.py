"""Indexing: the on-commit signal path through Celery, single changes, rebuild and the lag report."""
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from catalog.models import Service, ServiceResource
from search import indexing, tasks
from search.documents import repository_key, service_key, team_key
from search.models import SearchDocument, SearchHit
from search.signals import connect_signals
from search.tests import factories
from search.tests.conftest import inside

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signals_connected():
    connect_signals()
    connect_signals()  # idempotent: a second call must not double the work


def doc(key):
    return SearchDocument.objects.filter(key=key).first()


def hit(key):
    return SearchHit.objects.filter(key=key).values_list("payload", flat=True).first()


def test_a_committed_change_is_indexed_by_the_celery_task(alpha, eager_celery, django_capture_on_commit_callbacks):
    with inside(alpha):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            svc = factories.service("invoice-renderer", repo="acme/invoices", tech_stack=["Kotlin"])
        assert doc(service_key(svc.pk)) is None  # nothing before commit
        assert len(callbacks) == 1  # one save, one task
        callbacks[0]()  # the commit
        row = doc(service_key(svc.pk))
        assert hit(service_key(svc.pk))["name"] == "invoice-renderer" and row.languages == ["Kotlin"]
        assert row.source_updated_at == svc.updated_at and row.indexed_at >= svc.updated_at
        assert hit(repository_key("acme/invoices"))["services"] == ["invoice-renderer"]

        with django_capture_on_commit_callbacks(execute=True):
            svc.name = "invoice-pdf-renderer"
            svc.repo = "acme/pdf"
            svc.save()
        assert hit(service_key(svc.pk))["name"] == "invoice-pdf-renderer"
        assert doc(repository_key("acme/invoices")) is None  # the old repository lost its only service
        assert doc(repository_key("acme/pdf")) is not None

        with django_capture_on_commit_callbacks(execute=True):
            ServiceResource.objects.create(service=svc, external_id="arn:aws:lambda:us-east-1:1:function:pdf",
                                           kind="lambda_function", name="pdf")
        assert hit(service_key(svc.pk))["aws_services"] == ["lambda"]

        with django_capture_on_commit_callbacks(execute=True):
            svc.delete()
        assert doc(service_key(svc.pk)) is None
        assert doc(repository_key("acme/pdf")) is None


def test_a_rolled_back_change_queues_nothing(alpha, eager_celery, django_capture_on_commit_callbacks):
    with inside(alpha):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    factories.service("never-committed")
                    raise RuntimeError("abort")
            except RuntimeError:
                pass
        assert callbacks == []
        assert not SearchHit.objects.filter(payload__name="never-committed").exists()


def test_team_changes_reach_the_services_that_show_the_team(alpha, eager_celery, django_capture_on_commit_callbacks):
    with inside(alpha):
        with django_capture_on_commit_callbacks(execute=True):
            team = factories.team("payments", "Payments Team")
            svc = factories.service("payment-gateway", owner=team)
        assert hit(team_key(team.pk))["services_count"] == 1
        with django_capture_on_commit_callbacks(execute=True):
            team.name, team.slug = "Money Movement", "money"
            team.save()
        assert hit(team_key(team.pk))["display_name"] == "Money Movement"
        assert hit(service_key(svc.pk))["team_name"] == "Money Movement"
        assert doc(service_key(svc.pk)).team == "money"
        with django_capture_on_commit_callbacks(execute=True):
            team.delete()
        assert doc(team_key(team.pk)) is None
        assert hit(service_key(svc.pk))["team_slug"] == ""


def test_hiding_a_service_removes_it(alpha):
    with inside(alpha):
        svc = factories.service("soon-hidden")
        indexing.index_service(svc.pk)
        Service.objects.filter(pk=svc.pk).update(hidden=True)
        outcome = indexing.index_service(svc.pk)
        assert outcome.deleted == [service_key(svc.pk)]
        assert doc(service_key(svc.pk)) is None


def test_the_task_refuses_a_payload_for_another_schema(alpha, beta, eager_celery):
    with inside(alpha):
        svc = factories.service("only-in-alpha")
    with inside(beta):
        result = tasks.index_service.apply(args=[alpha.schema_name, str(svc.pk)],
                                           headers={"_schema_name": beta.schema_name}).get()
        assert result == {"refused": True}
        assert not SearchDocument.objects.exists()
    with inside(alpha):
        result = tasks.index_service.apply(args=[alpha.schema_name, str(svc.pk)],
                                           headers={"_schema_name": alpha.schema_name}).get()
        assert result["indexed"] == 1


def test_rebuild_reports_counts_and_lag(alpha):
    with inside(alpha):
        team = factories.team("platform")
        first = factories.service("alpha-api", owner=team, repo="acme/alpha")
        factories.service("alpha-worker", owner=team, repo="acme/alpha")
        factories.service("gone", hidden=True)
        SearchDocument.objects.create(key="service-stale", kind="service", ref="stale", name_norm="stale",
                                      names="stale", indexed_at=timezone.now())
        before = indexing.lag_report()
        assert before["pending"] == 2 and before["oldest_pending_seconds"] >= 0

        report = indexing.rebuild()
        assert (report.services, report.teams, report.repositories, report.removed) == (2, 1, 1, 1)
        assert report.lag_before["pending"] == 2
        assert report.lag_after["pending"] == 0
        assert report.lag_after["recent"]["count"] == 2 and report.lag_after["recent"]["max_ms"] >= 0
        assert not SearchDocument.objects.filter(key="service-stale").exists()

        # Rebuilding an unchanged catalog keeps when each version first became searchable (the lag).
        indexed_at = doc(service_key(first.pk)).indexed_at
        assert indexing.rebuild().removed == 0
        assert doc(service_key(first.pk)).indexed_at == indexed_at

        # A change not yet indexed shows up as pending, with the age of the oldest one.
        Service.objects.filter(pk=first.pk).update(updated_at=timezone.now() + timedelta(seconds=1))
        assert indexing.lag_report()["pending"] == 1
        indexing.index_service(first.pk)
        assert indexing.lag_report()["pending"] == 0
        assert doc(service_key(first.pk)).indexed_at > indexed_at
