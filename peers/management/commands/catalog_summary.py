from django.core.management.base import BaseCommand

from peers.accuracy import score
from catalog.export import catalog_document
from catalog.models import Service, Team
from peers.scenario import load_scenario
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "One-line summary of a tenant's catalog, scored against a scenario's truth when given."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--scenario")

    def handle(self, *args, tenant, scenario, **options):
        with tenant_scope(tenant):
            services = Service.objects.filter(hidden=False).exclude(lifecycle="eol")
            total = services.count()
            owned = services.filter(ownership_status="owned").count()
            teams = Team.objects.count()
            line = (f"Discovered {total} services, {teams} teams, "
                    f"{(100.0 * owned / total if total else 0):.0f}% owned")
            if scenario:
                report = score(catalog_document(tenant), load_scenario(scenario))
                line += (f", accuracy {report.accuracy:.2f} vs truth (precision {report.precision:.2f}, "
                         f"recall {report.recall:.2f}, owner {report.owner_accuracy:.2f}, repo "
                         f"{report.repo_accuracy:.2f}, resources {report.resource_coverage:.2f})")
        self.stdout.write(line)
