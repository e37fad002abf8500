import os

from django.core.management.base import BaseCommand, CommandError

from peers.demo import setup_tenant
from peers.scenario import ScenarioError, load_scenario


class Command(BaseCommand):
    help = ("Create or reset the tenant named after a roster-scenario/1 file, load its AWS part into moto and its "
            "GitHub part into the emulator, and connect the tenant to both.")

    def add_arguments(self, parser):
        parser.add_argument("scenario")
        parser.add_argument("--tenant", help="tenant name (default: the scenario's name)")
        parser.add_argument("--aws-endpoint", default=os.environ.get("ROSTER_AWS_ENDPOINT_URL", ""))
        parser.add_argument("--github-url", default=os.environ.get("ROSTER_GITHUB_EMULATOR_URL", ""))

    def handle(self, *args, scenario, tenant, aws_endpoint, github_url, **options):
        if not aws_endpoint or not github_url:
            raise CommandError("the local peers are not configured: run `make up` first")
        try:
            data = load_scenario(scenario)
        except ScenarioError as exc:
            raise CommandError(str(exc)) from exc
        result = setup_tenant(data, aws_endpoint=aws_endpoint, github_url=github_url, tenant_name=tenant)
        self.stdout.write(f"tenant {result['tenant']}: {len(result['connections'])} connections "
                          f"({len(data['aws']['accounts'])} AWS accounts, {len(data['github']['orgs'])} GitHub orgs)")
