from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts import tokens
from accounts.roles import Role, set_role
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Print a new API token for a user of the tenant, creating the user if missing, with the given role."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("username")
        parser.add_argument("--role", choices=[r.value for r in Role], default=None,
                            help="set the user's role (new users default to viewer)")
        parser.add_argument("--read-only", action="store_true", help="the token may only read")
        parser.add_argument("--expires-days", type=float, default=None, help="the token expires after this")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, tenant, username, role, read_only, expires_days, name, **options):
        with tenant_scope(tenant):
            user, created = get_user_model().objects.get_or_create(username=username)
            if role or created:
                set_role(user, role or Role.VIEWER, actor="manage.py", reason="api_token command")
            _, key = tokens.issue(user, name=name, read_only=read_only, expires_in_days=expires_days,
                                  actor="manage.py")
            self.stdout.write(key)
