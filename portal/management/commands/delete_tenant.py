from django.core.management.base import BaseCommand, CommandError

from portal.tenancy import get_tenant
from portal.tenant_deletion import delete_tenant


class Command(BaseCommand):
    help = "Delete a tenant and all its data (schema, secrets, search documents, Redis keys). Irreversible."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--yes", action="store_true", help="do it (without it, only say what would go)")
        parser.add_argument("--reason", default="")

    def handle(self, *args, tenant, yes, reason, **options):
        target = get_tenant(tenant)
        if not yes:
            raise CommandError(f"this deletes tenant {tenant!r} (schema {target.schema_name}) and everything in it; "
                               "add --yes to go ahead")
        result = delete_tenant(target, actor="manage.py", reason=reason)
        self.stdout.write(f"deleted tenant {result['tenant']} (schema {result['schema']}, "
                          f"{result['redis_keys']} Redis keys)")
