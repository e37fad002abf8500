"""Run control from a shell, as the API and the admin do it: cancel, retry failed jobs, backfill a selection.
Each is an audit event with who (``--actor``, default manage.py) and why (``--reason``, required)."""
import json as jsonlib
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from discovery import runs, workflow
from discovery.choices import RunPriority
from discovery.models import Connection, Run
from discovery.reporting import run_rows
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Cancel a run, retry its failed jobs, or backfill a connection's selection (full read), with a reason."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        actions = parser.add_subparsers(dest="action", required=True)
        for name, target, about in (("cancel", "run", "cancel a queued or running run"),
                                    ("retry", "run", "scan again what a run's failed jobs covered"),
                                    ("backfill", "connection", "read a connection's selection again in full")):
            sub = actions.add_parser(name, help=about)
            sub.add_argument(target, help=f"{target} id")
            sub.add_argument("--reason", required=True, help="why (kept in the audit trail)")
            sub.add_argument("--actor", default="manage.py", help="who, for the audit trail")
            sub.add_argument("--json", action="store_true")
            if name != "cancel":
                sub.add_argument("--priority", choices=RunPriority.values, default=RunPriority.NORMAL)
            if name == "backfill":
                for key in ("accounts", "regions", "kinds", "repos"):
                    sub.add_argument(f"--{key[:-1]}", dest=key, action="append", help=f"narrow to these {key}")

    def handle(self, *args, tenant, action, reason, actor, json: bool, **options):
        reason = reason.strip()[:500]
        if not reason:
            raise CommandError("--reason must say why")
        with tenant_scope(tenant):
            try:
                with transaction.atomic():
                    touched = getattr(self, f"_{action}")(reason=reason, actor=actor, **options)
            except workflow.PriorityBusy as exc:
                raise CommandError(str(exc)) from None
            rows = run_rows(Run.objects.filter(pk__in=[r.pk for r in touched]).select_related("connection"))
        if json:
            self.stdout.write(jsonlib.dumps(rows, indent=2, default=str))
            return
        for row in rows:
            self.stdout.write(f"{row['id']}  {row['kind']:<9} {(row['connection'] or '-'):<28} {row['status']}")

    @staticmethod
    def _run(run_id) -> Run:
        run = Run.objects.filter(pk=run_id).first() if _is_uuid(run_id) else None
        if run is None:
            raise CommandError("unknown run id for this tenant")
        return run

    def _cancel(self, *, run, reason, actor, **_) -> list[Run]:
        found = self._run(run)
        if not runs.cancel_run(found, actor=actor, reason=reason):
            raise CommandError(f"run is {found.status}; only queued or running runs can be cancelled")
        return [found]

    def _retry(self, *, run, reason, actor, priority, **_) -> list[Run]:
        result = workflow.retry_failed(self._run(run), trigger="command", requested_by=actor, reason=reason,
                                       priority=priority)
        if result is None:
            raise CommandError("this run has no failed jobs left to retry")
        return _queued(result)

    def _backfill(self, *, connection, reason, actor, priority, **options) -> list[Run]:
        found = Connection.objects.filter(pk=connection).first() if _is_uuid(connection) else None
        if found is None:
            raise CommandError("unknown connection id for this tenant")
        selection = {key: options[key] for key in ("accounts", "regions", "kinds", "repos") if options.get(key)}
        # A selection is narrowed to what the connection has (selection.normalize_selection), never widened.
        return _queued(workflow.backfill(found, selection=selection or None, trigger="command", requested_by=actor,
                                         reason=reason, priority=priority))


def _queued(result: dict) -> list[Run]:
    return [*result["runs"], *([result["reconcile_run"]] if result["reconcile_run"] else []), *result["already_active"]]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
