import json

from django.core.management.base import BaseCommand

from catalog.export import catalog_document
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Print the tenant's catalog as roster-catalog/1 JSON."

    def add_arguments(self, parser):
        parser.add_argument("tenant")

    def handle(self, *args, tenant, **options):
        with tenant_scope(tenant):
            self.stdout.write(json.dumps(catalog_document(tenant), indent=2))
