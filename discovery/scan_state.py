"""What a connector needs from Roster's own records, read here so connectors stay plain code, and what it
hands back to keep.

GitHub jobs get whether teams were read in full recently, each repository's pushedAt as of the last
successful run (the incremental watermark) and the ETags of earlier conditional requests; they give back
the ETags they learned. AWS jobs get the connection's config, secret and the job's coordinates and, in an
incremental run, what the last successful run of the selection stored about each resource (``_aws_known``).
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from discovery import ratelimit
from discovery.choices import ScanMode
from discovery.facts import GH_REPO
from discovery.models import Fact, Job, Run, RunStatus

# Incremental scans trust what they skip for this long; then a run reads everything again, which is also
# how deleted repositories and changed teams are noticed. Both are per-connection settings.
FULL_RESCAN_HOURS = 24
TEAMS_REFRESH_HOURS = 6
ETAG_TIMEOUT = 7 * 24 * 3600


def aws_state(connection, job: Job, secret: dict):
    from discovery.connectors.aws.job import AwsScanState

    return AwsScanState(config=connection.config, secret=secret, external_id=connection.external_id,
                        connection_name=connection.name, scanner=job.scanner, account=job.account,
                        region=job.region, batch_size=settings.ROSTER_FACT_BATCH_SIZE,
                        known=_aws_known(connection, job), limiter=ratelimit.aws_limiter(job.account))


def _aws_known(connection, job: Job):
    """For an incremental run after a successful one of the same selection: the job's facts that run (or a later
    one) saw, with the attributes the connector compares (``MARKERS``); None means: read everything."""
    from discovery.connectors.aws.scanners import MARKERS, Known
    from discovery.planning import kinds_for_groups

    if job.run.scan_mode != ScanMode.INCREMENTAL:
        return None
    previous = (Run.objects.filter(connection=connection, selection_hash=job.run.selection_hash, kind=Run.Kind.SCAN,
                                   status=RunStatus.SUCCEEDED, created_at__lt=job.run.created_at)
                .order_by("-created_at").first())
    if previous is None:
        return None
    known = {}
    for kind in (k for k in kinds_for_groups([job.scanner]) if k in MARKERS):
        marker = MARKERS[kind]
        facts = Fact.objects.filter(connection=connection, kind=kind, account=job.account, region=job.region,
                                    last_seen__gte=previous.created_at)
        if marker.complete:  # a fact whose detail read failed is read again
            facts = facts.filter(attributes__has_key=marker.complete)
        rows = facts.values_list("external_id", *(f"attributes__{name}" for name in marker.compare))
        known[kind] = {external_id: dict(zip(marker.compare, values)) for external_id, *values in rows.iterator()}
    return Known(known)


def github_state(connection, job: Job, secret: dict):
    from discovery.connectors.github.job import GithubScanState

    teams = job.scanner == "github_teams"
    return GithubScanState(
        config=connection.config, secret=secret, scanner=job.scanner,
        selected_repos=frozenset(job.run.selection.get("repos") or []),
        teams_read_recently=teams and _previous_full_read(connection, job, TEAMS_REFRESH_HOURS,
                                                          "teams_refresh_hours") is not None,
        known_pushed_at=None if teams else _known_pushed_at(connection, job),
        etags=cache.get(_etag_key(connection, job)) or {},
    )


def keep(connection, job: Job, learned: dict) -> None:
    """Store what a job's scanner learned for the next job of the same connection and scanner."""
    if learned.get("etags"):
        # Read again rather than reuse the job's copy: another run may have added ETags meanwhile.
        key = _etag_key(connection, job)
        cache.set(key, {**(cache.get(key) or {}), **learned["etags"]}, timeout=ETAG_TIMEOUT)


def _etag_key(connection, job: Job) -> str:
    # Per tenant too: the cache key function adds the schema.
    return f"gh-etags:{connection.pk}:{job.scanner}"


def _previous_full_read(connection, job: Job, max_age_hours: float, setting: str) -> Run | None:
    """The last successful run of this selection in which this scanner read everything (not incrementally),
    if it is recent enough to trust; None means: read everything now."""
    if connection.config.get("always_full") or job.run.scan_mode == ScanMode.FULL:
        return None
    since = timezone.now() - timedelta(hours=float(connection.config.get(setting, max_age_hours)))
    previous = (Job.objects.filter(run__connection=connection, run__selection_hash=job.run.selection_hash,
                                   run__status=RunStatus.SUCCEEDED, scanner=job.scanner,
                                   status=RunStatus.SUCCEEDED, stats__extra__mode="full", started_at__gte=since)
                .exclude(run=job.run).order_by("-started_at").first())
    return previous.run if previous else None


def _known_pushed_at(connection, job: Job) -> dict[str, str] | None:
    """pushedAt per repository as of the last successful run of this selection, or None for a full scan."""
    if _previous_full_read(connection, job, FULL_RESCAN_HOURS, "full_rescan_hours") is None:
        return None
    previous = (Run.objects.filter(connection=connection, selection_hash=job.run.selection_hash,
                                   status=RunStatus.SUCCEEDED, kind=Run.Kind.SCAN)
                .exclude(pk=job.run.pk).order_by("-created_at").first())
    return dict(Fact.objects.filter(connection=connection, kind=GH_REPO, last_seen__gte=previous.created_at)
                .values_list("name", "attributes__pushed_at"))
