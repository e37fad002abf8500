import json as jsonlib

from django.core.management.base import BaseCommand

from discovery.models import Run
from discovery.reporting import run_rows
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Run history of a tenant, newest first."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, tenant, limit, json: bool, **options):
        with tenant_scope(tenant):
            rows = run_rows(Run.objects.select_related("connection").order_by("-created_at")[:limit])
        if json:
            self.stdout.write(jsonlib.dumps(rows, indent=2, default=str))
            return
        for row in rows:
            self.stdout.write(f"{row['created_at'][:19]}  {row['id']}  {row['kind']:<9} "
                              f"{(row['connection'] or '-'):<28} {row['status']:<9} "
                              f"{row['succeeded']}/{row['total']} jobs ok  facts {row['facts']}")
