import json

from django.core.management.base import BaseCommand

from discovery.models import Fact
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Export a tenant's facts as JSON lines, one fact each with its provenance."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--kind", action="append")

    def handle(self, *args, tenant, kind, **options):
        with tenant_scope(tenant):
            facts = Fact.objects.order_by("kind", "external_id")
            if kind:
                facts = facts.filter(kind__in=kind)
            for fact in facts.iterator(chunk_size=2000):
                self.stdout.write(json.dumps({
                    "kind": fact.kind, "external_id": fact.external_id, "name": fact.name, "account": fact.account,
                    "region": fact.region, "attributes": fact.attributes, "tags": fact.tags,
                    "provenance": fact.provenance, "first_seen": fact.first_seen.isoformat(),
                    "last_seen": fact.last_seen.isoformat(),
                    "last_seen_run": str(fact.last_seen_run_id) if fact.last_seen_run_id else None,
                }, sort_keys=True))
