import dataclasses
import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from peers.accuracy import score
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
        if json:
            self.stdout.write(jsonlib.dumps(dataclasses.asdict(report), indent=2, default=str))
            return
        figures = report.figures()
        self.stdout.write("\n".join(f"{name:<18} {value:.3f}" if isinstance(value, float) else f"{name:<18} {value}"
                                     for name, value in figures.items()))
        problems = report.problems()
        self.stdout.write(problems if problems else "no problems: every truth service matched exactly")
