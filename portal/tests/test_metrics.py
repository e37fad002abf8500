"""/metrics: the operator's Prometheus endpoint on the public host, behind a token, computed when scraped."""
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context
from prometheus_client.parser import text_string_to_metric_families

from discovery import runs
from discovery.models import Job, Run, RunStatus
from discovery.tests.factories import ConnectionFactory

TOKEN = "metrics-" + uuid.uuid4().hex
SECRET = "ghp_" + "S3cr3t" * 6
ROLE = "arn:aws:iam::999988887777:role/HiddenDiscoveryRole"


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("ROSTER_METRICS_TOKEN", TOKEN)
    return TOKEN


def scrape(host="localhost", auth=f"Bearer {TOKEN}"):
    headers = {"HTTP_AUTHORIZATION": auth} if auth is not None else {}
    return Client(HTTP_HOST=host).get("/metrics", secure=True, **headers)


def samples(response) -> dict:
    """{(name, frozenset(labels)): value} of a scrape."""
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_without_a_configured_token_there_are_no_metrics(db, monkeypatch):
    monkeypatch.delenv("ROSTER_METRICS_TOKEN", raising=False)
    assert scrape().status_code == 404
    assert scrape(auth="Bearer ").status_code == 404


@pytest.mark.parametrize("auth", [None, "", "Bearer", f"Bearer {TOKEN}x", f"Token {TOKEN}", TOKEN,
                                  f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}"])
def test_a_scrape_without_the_token_is_told_nothing(db, token, auth):
    response = scrape(auth=auth)
    assert response.status_code == 404
    assert b"roster_" not in response.content


def test_metrics_are_served_on_the_public_host_only(tenant_alpha, token):
    found = samples(scrape())
    assert ("roster_tenants", frozenset()) in found
    for host in ("alpha.localhost", "beta.localhost"):
        response = scrape(host=host)
        assert b"roster_queue_depth" not in response.content and b"roster_runs" not in response.content


def test_runs_and_jobs_of_each_tenant_are_counted(tenant_alpha, tenant_beta, token):
    before = samples(scrape())
    now = timezone.now()
    with tenant_context(tenant_alpha):
        run = runs.create_scan_run(ConnectionFactory(), selection={"kinds": ["lambda"]})
        job = run.jobs.get()
        Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
        # A finished job that was throttled, one that failed, one whose worker stopped reporting.
        Job.objects.filter(pk=job.pk).update(
            status=RunStatus.SUCCEEDED, started_at=now - timedelta(seconds=12), finished_at=now,
            stats={"throttled": 3, "wait_seconds": 1.5, "retries": 1, "facts_by_kind": {}})
        Job.objects.create(run=run, key="aws:1:us-east-1:ecs", scanner="aws", status=RunStatus.FAILED,
                           started_at=now - timedelta(seconds=2), finished_at=now,
                           failure={"reason_code": "access_denied", "message": ROLE, "item": ROLE},
                           stats={"throttled": "many"})  # not a number: ignored, never a failed scrape
        Job.objects.create(run=run, key="aws:1:us-east-1:rds", scanner="aws", status=RunStatus.FAILED,
                           started_at=now - timedelta(seconds=400), finished_at=now,
                           failure={"reason_code": "Something Odd!", "message": "x"})
        Job.objects.create(run=run, key="aws:1:us-east-1:sqs", scanner="aws", status=RunStatus.RUNNING,
                           started_at=now - timedelta(minutes=20), lease_expires_at=now - timedelta(minutes=5))
        Job.objects.create(run=run, key="aws:1:us-east-1:sns", scanner="aws", status=RunStatus.RUNNING,
                           started_at=now, lease_expires_at=now + timedelta(minutes=5))
        runs.create_reconcile_run(run.workspace_id, trigger="test")
    found = samples(scrape())

    def delta(name, **labels):
        return value(found, name, **labels) - value(before, name, **labels)

    assert delta("roster_runs", tenant="alpha", kind="scan", status="running") == 1
    assert delta("roster_runs", tenant="alpha", kind="reconcile", status="queued") == 1
    assert delta("roster_runs", tenant="beta", kind="scan", status="running") == 0
    assert delta("roster_jobs_failed_last_24h", tenant="alpha", reason="access_denied") == 1
    assert delta("roster_jobs_failed_last_24h", tenant="alpha", reason="other") == 1  # not a reason code: not a label
    assert delta("roster_rate_limit_hits_last_hour", tenant="alpha") == 3
    assert delta("roster_rate_limit_wait_seconds_last_hour", tenant="alpha") == 1.5
    assert delta("roster_job_leases_expired", tenant="alpha") == 1
    assert delta("roster_job_duration_seconds_count", tenant="alpha") == 3
    assert delta("roster_job_duration_seconds_bucket", tenant="alpha", le="5.0") == 1
    assert delta("roster_job_duration_seconds_bucket", tenant="alpha", le="15.0") == 2
    assert delta("roster_job_duration_seconds_bucket", tenant="alpha", le="300.0") == 2
    assert delta("roster_job_duration_seconds_bucket", tenant="alpha", le="600.0") == 3
    assert delta("roster_job_duration_seconds_sum", tenant="alpha") == pytest.approx(414)
    assert value(found, "roster_tenants") >= 2
    assert value(found, "roster_metrics_source_up", source="database") == 1


def test_queue_depth_per_queue_under_the_broker_key_prefix(db, token, settings):
    prefix = f"metrics-test-{uuid.uuid4().hex}:"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                                                "global_keyprefix": prefix}
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    keys = [prefix + "discovery", prefix + "catalog", prefix + "catalog\x06\x169", prefix + "discovery.3\x06\x166",
            "discovery"]
    try:
        client.lpush(keys[0], "a", "b")
        client.lpush(keys[1], "c")
        client.lpush(keys[2], "d")  # a priority-9 message of the catalog queue
        client.lpush(keys[3], "e", "f", "g")  # normal-priority discovery jobs of the tenants in shard 3
        found = samples(scrape())
        assert value(found, "roster_queue_depth", queue="discovery") == 2
        assert value(found, "roster_queue_depth", queue="catalog") == 2
        assert value(found, "roster_queue_depth", queue="default") == 0
        assert value(found, "roster_queue_depth", queue="discovery.3") == 3
        assert value(found, "roster_queue_depth", queue="discovery.4") == 0
        assert value(found, "roster_metrics_source_up", source="broker") == 1
        client.delete(*keys[:4])
        assert value(samples(scrape()), "roster_queue_depth", queue="discovery") == 0
    finally:
        client.delete(*keys[:4])


def test_an_unreachable_broker_is_reported_without_its_address(db, token, settings):
    settings.CELERY_BROKER_URL = "redis://:hunter2-broker-password@127.0.0.1:1/0"
    response = scrape()
    found = samples(response)
    assert value(found, "roster_metrics_source_up", source="broker") == 0
    assert ("roster_runs", frozenset({("tenant", "alpha"), ("kind", "scan"), ("status", "queued")})) in found
    assert b"hunter2" not in response.content and b"127.0.0.1:1" not in response.content


def test_no_secret_or_configuration_of_a_tenant_appears(tenant_alpha, token):
    with tenant_context(tenant_alpha):
        connection = ConnectionFactory(name="secret-connection-name", config={
            "account_id": "999988887777", "role_arn": ROLE, "regions": ["us-east-1"], "environment": "hidden-env"})
        connection.set_secret({"token": SECRET})
        connection.save()
        run = runs.create_scan_run(connection)
        run.jobs.update(status=RunStatus.FAILED, finished_at=timezone.now(), failure={
            "reason_code": "access_denied", "message": f"cannot assume {ROLE} with {SECRET}", "item": ROLE})
    body = scrape().content.decode()
    assert "access_denied" in body  # the failure is counted ...
    for leak in (SECRET, ROLE, "999988887777", "hidden-env", "secret-connection-name", connection.external_id,
                 settings.SECRET_KEY, settings.DATABASES["default"]["PASSWORD"] or SECRET):
        assert leak not in body  # ... by its reason code only
