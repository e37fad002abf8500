"""Prometheus metrics at ``/metrics`` on the public host: queues, runs and jobs, computed when scraped.

Nothing is counted while work happens: a collector reads the broker's queue lengths and aggregates the runs
and jobs of every tenant at scrape time (three queries per tenant, each an aggregate), so the metrics are the
same whichever web process answers, and no worker code carries instrumentation.

Off unless ``ROSTER_METRICS_TOKEN`` is set; then a scrape must send ``Authorization: Bearer <token>``. Any
other request gets the 404 an unknown path gets. Labels are the tenant's name, run kinds and statuses,
queue names and failure reason codes: never a connection's configuration, a secret or an error message.

``portal`` imports no app: the discovery models are looked up by name (``apps.get_model``).
"""
from __future__ import annotations

import hmac
import logging
import os
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, F, Q, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tenants.utils import get_tenant_model, schema_context
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from portal.queues import worker_queues
from portal.redis_client import broker_client

log = logging.getLogger(__name__)

# celery_app.task_routes: the base queues and each discovery shard (portal.queues), each its own series, so an
# operator sees one tenant's pile in its shard and scales on sum(roster_queue_depth{queue=~"discovery.*"}).
QUEUES = tuple(worker_queues().split(","))
RUN_KINDS = ("scan", "reconcile")
RUN_STATUSES = ("queued", "running", "succeeded", "partial", "failed", "cancelled")
ACTIVE = ("queued", "running")
FAILURE_WINDOW = timedelta(hours=24)
RECENT_WINDOW = timedelta(hours=1)
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600)
# kombu's Redis transport keeps a queue's messages of priority 3, 6 and 9 in lists of their own.
PRIORITY_SEP, PRIORITY_STEPS = "\x06\x16", (3, 6, 9)
_REASON = re.compile(r"^[a-z0-9_]{1,64}$")


def _number(key: str) -> RawSQL:
    """``Job.stats[key]`` as a number; NULL when it is missing or not a number (old or odd rows never break
    a scrape)."""
    return RawSQL("CASE WHEN jsonb_typeof(stats -> %s) = 'number' THEN (stats ->> %s)::double precision END",
                  (key, key))


# --- the broker -------------------------------------------------------------------------------------------

def queue_depths() -> dict[str, int] | None:
    """Messages waiting in each Celery queue (every priority list of it), under the broker's key prefix;
    None when the broker is not Redis."""
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        return None
    prefix = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("global_keyprefix", "")
    with broker_client(url).pipeline(transaction=False) as pipe:
        for queue in QUEUES:
            for key in (queue, *(f"{queue}{PRIORITY_SEP}{p}" for p in PRIORITY_STEPS)):
                pipe.llen(prefix + key)
        lengths = pipe.execute()
    steps = 1 + len(PRIORITY_STEPS)
    return {queue: sum(lengths[i * steps:(i + 1) * steps]) for i, queue in enumerate(QUEUES)}


# --- one tenant --------------------------------------------------------------------------------------------


def tenant_figures(now) -> dict:
    """The runs and jobs of the schema the connection is in, aggregated: three queries."""
    Run = apps.get_model("discovery", "Run")
    Job = apps.get_model("discovery", "Job")
    runs = {(kind, status): n for kind, status, n in Run.objects.filter(
        Q(status__in=ACTIVE) | Q(created_at__gte=now - FAILURE_WINDOW)).values_list("kind", "status").annotate(
        n=Count("pk")).order_by()}
    failed = {}
    for reason, n in (Job.objects.filter(status="failed", finished_at__gte=now - FAILURE_WINDOW)
                      .annotate(reason=RawSQL("COALESCE(failure ->> 'reason_code', '')", ()))
                      .values_list("reason").annotate(n=Count("pk")).order_by()):
        reason = reason if _REASON.match(reason or "") else "other"
        failed[reason] = failed.get(reason, 0) + n
    finished = Q(finished_at__gte=now - RECENT_WINDOW, started_at__isnull=False, status__in=["succeeded", "failed"])
    jobs = Job.objects.filter(
        finished | Q(status="running", lease_expires_at__lt=now)).aggregate(
        throttled=Sum(_number("throttled"), filter=finished),
        wait_seconds=Sum(_number("wait_seconds"), filter=finished),
        leases_expired=Count("pk", filter=Q(status="running", lease_expires_at__lt=now)),
        durations=Count("pk", filter=finished),
        duration_sum=Sum(F("finished_at") - F("started_at"), filter=finished),
        **{f"le_{b}": Count("pk", filter=finished & Q(finished_at__lte=F("started_at") + timedelta(seconds=b)))
           for b in DURATION_BUCKETS},
    )
    return {"runs": runs, "failed": failed, "jobs": jobs}


# --- the collector -----------------------------------------------------------------------------------------


class RosterCollector:
    """Computes every family at each scrape (prometheus_client calls ``collect``)."""

    def collect(self):
        started = time.monotonic()
        now = timezone.now()
        up = GaugeMetricFamily("roster_metrics_source_up", "1 when the source answered this scrape, else 0",
                               labels=["source"])

        depth = GaugeMetricFamily("roster_queue_depth", "Messages waiting in a Celery queue (not yet taken by a "
                                  "worker)", labels=["queue"])
        try:
            depths = queue_depths()
        except Exception:  # the message may name the broker: it goes to the redacted log only
            log.exception("metrics: could not read the queue lengths")
            up.add_metric(["broker"], 0)
        else:
            up.add_metric(["broker"], 1 if depths is not None else 0)
            for queue, n in (depths or {}).items():
                depth.add_metric([queue], n)
        yield depth

        runs = GaugeMetricFamily("roster_runs", "Runs by kind and status: every queued or running run, and the "
                                 "others created in the last 24 hours", labels=["tenant", "kind", "status"])
        failed = GaugeMetricFamily("roster_jobs_failed_last_24h", "Jobs that failed in the last 24 hours, by "
                                   "reason code", labels=["tenant", "reason"])
        hits = GaugeMetricFamily("roster_rate_limit_hits_last_hour", "Upstream answers that said slow down, in "
                                 "jobs finished in the last hour", labels=["tenant"])
        waits = GaugeMetricFamily("roster_rate_limit_wait_seconds_last_hour", "Seconds jobs finished in the last "
                                  "hour spent in backoff and rate-limit waits", labels=["tenant"])
        expired = GaugeMetricFamily("roster_job_leases_expired", "Running jobs whose lease has expired (their "
                                    "worker stopped reporting)", labels=["tenant"])
        durations = HistogramMetricFamily("roster_job_duration_seconds", "How long jobs finished in the last hour "
                                          "ran", labels=["tenant"])
        tenants = 0
        database_ok = 1
        try:
            # schema_context puts the connection back in the schema it was in (the public one) after each tenant.
            for tenant in list(get_tenant_model().objects.exclude(schema_name="public").order_by("schema_name")):
                try:
                    with schema_context(tenant.schema_name):
                        figures = tenant_figures(now)
                except DatabaseError:
                    log.exception("metrics: could not read tenant %s", tenant.schema_name)
                    database_ok = 0
                    continue
                tenants += 1
                name = str(getattr(tenant, "name", "") or tenant.schema_name)
                for kind in RUN_KINDS:
                    for status in RUN_STATUSES:
                        runs.add_metric([name, kind, status], figures["runs"].get((kind, status), 0))
                for reason, n in sorted(figures["failed"].items()):
                    failed.add_metric([name, reason], n)
                jobs = figures["jobs"]
                hits.add_metric([name], jobs["throttled"] or 0)
                waits.add_metric([name], round(jobs["wait_seconds"] or 0.0, 3))
                expired.add_metric([name], jobs["leases_expired"] or 0)
                buckets = [(str(float(b)), jobs[f"le_{b}"]) for b in DURATION_BUCKETS] + [("+Inf", jobs["durations"])]
                total = jobs["duration_sum"]
                durations.add_metric([name], buckets, sum_value=total.total_seconds() if total else 0.0)
        except DatabaseError:
            log.exception("metrics: could not list the tenants")
            database_ok = 0
        up.add_metric(["database"], database_ok)
        yield from (runs, failed, hits, waits, expired, durations)
        yield GaugeMetricFamily("roster_tenants", "Tenants the metrics cover", value=tenants)
        yield up
        yield GaugeMetricFamily("roster_metrics_scrape_seconds", "How long computing these metrics took",
                                value=round(time.monotonic() - started, 4))


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(RosterCollector())


def configured_token() -> str:
    """The scrape token: the ``ROSTER_METRICS_TOKEN`` setting if present, else the environment variable."""
    token = getattr(settings, "ROSTER_METRICS_TOKEN", None)
    if token is None:
        token = os.environ.get("ROSTER_METRICS_TOKEN", "")
    return token.strip()


def authorized(request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@require_safe
def metrics(request):
    token = configured_token()
    if not token or not authorized(request, token):
        raise Http404()  # whether metrics exist here is not told either
    response = HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
