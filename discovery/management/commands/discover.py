import json as jsonlib
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from discovery import workflow
from discovery.choices import RunPriority, ScanMode
from discovery.models import ACTIVE_STATUSES, Connection, Run
from discovery.reporting import run_rows
from portal.tenancy import tenant_scope
from portal.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Discover now: scan the tenant's connections (or one), then reconcile the catalog."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--connection", action="append", help="connection id (repeatable); default: all")
        parser.add_argument("--wait", action="store_true", help="block until done and print the runs")
        parser.add_argument("--timeout", type=float, default=600)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--mode", choices=ScanMode.values, default=ScanMode.AUTO)
        parser.add_argument("--priority", choices=RunPriority.values, default=RunPriority.NORMAL,
                            help="high: go before every waiting normal job (one high discovery at a time)")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args, tenant, connection, wait, timeout, json: bool, mode, priority, reason, **options):
        with tenant_scope(tenant):
            workspace = Workspace.default()
            if connection and Connection.objects.filter(pk__in=connection).count() != len(set(connection)):
                raise CommandError("unknown connection id for this tenant")
            try:
                with transaction.atomic():
                    result = workflow.discover_workspace(workspace, connection_ids=connection, trigger="command",
                                                         requested_by="manage.py", scan_mode=mode,
                                                         priority=priority, reason=reason[:500])
            except workflow.PriorityBusy as exc:
                raise CommandError(str(exc)) from None
            run_ids = [r.pk for r in result["runs"]]
            if result["reconcile_run"]:
                run_ids.append(result["reconcile_run"].pk)
            for active in result["already_active"]:
                self.stderr.write(f"connection {active.connection_id} already has run {active.pk} {active.status}")
            if wait:
                deadline = time.monotonic() + timeout
                while Run.objects.filter(pk__in=run_ids, status__in=ACTIVE_STATUSES).exists():
                    if time.monotonic() > deadline:
                        raise CommandError(f"runs still active after {timeout:.0f}s")
                    time.sleep(0.2)
            runs = list(Run.objects.filter(pk__in=run_ids).select_related("connection").order_by("kind", "created_at"))
            self._print(runs, json)

    def _print(self, runs, as_json):
        rows = run_rows(runs)
        if as_json:
            self.stdout.write(jsonlib.dumps(rows, indent=2, default=str))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']}  {row['kind']:<9} {row['connection'] or '-':<28} {row['status']:<9} "
                f"jobs {row['succeeded']}/{row['total']} ok, {row['failed']} failed  facts {row['facts']}  "
                f"{row['duration_seconds'] or '-'}s"
            )
            for failure in row["failures"]:
                self.stdout.write(f"    ! {failure.get('reason_code')}: {failure.get('item')}: "
                                  f"{failure.get('message')}  -> {failure.get('remediation')}")
