from django.core.management.base import BaseCommand

from portal.tenancy import create_tenant


class Command(BaseCommand):
    help = "Create a tenant (schema, <name>.localhost domain, default workspace). --reset drops it first."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--reset", action="store_true")

    def handle(self, *args, name, reset, **options):
        tenant = create_tenant(name, reset=reset)
        self.stdout.write(f"tenant {tenant.name} (schema {tenant.schema_name}) at http://{name}.localhost:8000/")
