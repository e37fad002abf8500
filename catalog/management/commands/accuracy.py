import json as jsonlib


from django.core.management.base import BaseCommand, CommandError

from catalog.accuracy import score
from catalog.export import catalog_document
from peers.scenario import ScenarioError, load_scenario
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Score the tenant's catalog against a scenario's truth (precision, recall, owner/repo accuracy, ...)."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--scenario", required=True)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, tenant, scenario, json: bool, **options):
        try:
            truth = load_scenario(scenario)
        except ScenarioError as exc:
            raise CommandError(str(exc)) from exc
        with tenant_scope(tenant):
            report = score(catalog_document(tenant), truth)
        data = report.as_dict() if hasattr(report, "as_dict") else report
        if json:
            self.stdout.write(jsonlib.dumps(data, indent=2, default=str))
            return
        self.stdout.write(report.render() if hasattr(report, "render") else str(data))
