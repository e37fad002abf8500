import dataclasses
import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from portal.tenancy import tenant_names, tenant_scope
from search import indexing
from search.backends.base import SearchError


def _lag_line(lag: dict) -> str:
    recent = lag["recent"]
    pending = f"{lag['pending']} pending"
    if lag["pending"]:
        pending += f" (oldest change waiting {lag['oldest_pending_seconds']}s)"
    if not recent["count"]:
        return f"{pending}; no changes in the last {recent['window_seconds']}s"
    return (f"{pending}; changes in the last {recent['window_seconds']}s: n={recent['count']} "
            f"p50 {recent['p50_ms']} ms, p95 {recent['p95_ms']} ms, max {recent['max_ms']} ms")


class Command(BaseCommand):
    help = "Rebuild the search index of a tenant (or --all) and report index lag before and after."

    def add_arguments(self, parser):
        parser.add_argument("tenant", nargs="*")
        parser.add_argument("--all", action="store_true", help="every tenant")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, tenant, json: bool, **options):
        names = tenant_names() if options["all"] else tenant
        if not names:
            raise CommandError("name a tenant (or --all)")
        reports = []
        for name in names:
            with tenant_scope(name):
                try:
                    report = indexing.rebuild()
                except SearchError as exc:
                    raise CommandError(f"{name}: {exc}") from exc
            reports.append({"tenant": name, **dataclasses.asdict(report)})
            if not json:
                self.stdout.write(
                    f"{name} ({report.schema}, {report.backend}): {report.services} services, {report.teams} teams, "
                    f"{report.repositories} repositories indexed ({report.written} written, the rest unchanged), "
                    f"{report.removed} removed, in {report.seconds}s")
                self.stdout.write(f"  lag before: {_lag_line(report.lag_before)}")
                self.stdout.write(f"  lag after:  {_lag_line(report.lag_after)}")
        if json:
            self.stdout.write(jsonlib.dumps(reports, indent=2))
