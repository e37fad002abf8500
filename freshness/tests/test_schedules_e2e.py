"""End to end: a real Celery beat (tenant-aware scheduler, a 2 s tick) starts a due scheduled read in the
tenant that owns it, through real workers, and starts it once."""
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from discovery.choices import ScanMode
from discovery.models import ACTIVE_STATUSES, Connection, Run
from freshness import schedules
from freshness.models import Schedule
from peers.demo import setup_tenant
from peers.scenario import load_scenario
from portal.models import Tenant
from tests.peers import drop_tenant, wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tenant(live_peers, live_workers, django_db_blocker):
    with django_db_blocker.unblock():
        # GitHub only: moto is shared by the session, and another module loads this company's AWS accounts.
        scenario = load_scenario(ROOT / "scenarios" / "sample-messy.yaml")
        setup_tenant({**scenario, "aws": {**scenario["aws"], "accounts": []}}, aws_endpoint=live_peers["aws"],
                     github_url=live_peers["github"], tenant_name="e2e-schedules")
        tenant = Tenant.objects.get(name="e2e-schedules")
        yield tenant
        drop_tenant(tenant)


@pytest.fixture
def beat(tmp_path, django_db_blocker):
    from django.db import connection

    from tests.peers import Process, worker_env

    proc = Process("beat", [sys.executable, "-m", "celery", "-A", "celery_app", "beat", "--loglevel", "INFO",
                            "-s", str(tmp_path / "beat-schedule")],
                   env={**worker_env(connection.settings_dict["NAME"]), "ROSTER_SCHEDULE_TICK_SECONDS": "2"})
    yield proc
    proc.stop()


def test_beat_starts_a_due_read_once_in_its_tenant_and_moves_the_schedule_on(tenant, django_db_blocker, beat):
    with django_db_blocker.unblock(), tenant_context(tenant):
        github = Connection.objects.get(provider="github")
        with transaction.atomic():
            schedules.ensure_schedules()
            Schedule.objects.filter(connection=github).update(next_incremental_at=timezone.now() - timedelta(minutes=1))

        def scheduled_runs():
            return list(Run.objects.filter(trigger="schedule", kind=Run.Kind.SCAN))

        [run] = wait_for(scheduled_runs)
        assert (run.connection_id, run.scan_mode) == (github.pk, ScanMode.INCREMENTAL)
        wait_for(lambda: not Run.objects.filter(trigger="schedule", status__in=ACTIVE_STATUSES).exists())
        run.refresh_from_db()
        assert run.status == "succeeded", run.failures
        reconcile = Run.objects.get(kind=Run.Kind.RECONCILE, group_id=run.group_id)
        assert reconcile.status == "succeeded", reconcile.failures
        schedule = Schedule.objects.get(connection=github)
        assert schedule.last_run_id == run.pk and schedule.next_incremental_at > timezone.now() + timedelta(hours=5)
        time.sleep(6)  # three more ticks: nothing else was due
        assert len(scheduled_runs()) == 1
