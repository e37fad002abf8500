from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Print an API token for a user of the tenant, creating the user if missing."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("username")
        parser.add_argument("--staff", action="store_true", help="also let the user into the admin")

    def handle(self, *args, tenant, username, staff, **options):
        with tenant_scope(tenant):
            user, created = get_user_model().objects.get_or_create(username=username)
            if staff and not user.is_staff:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            token, _ = Token.objects.get_or_create(user=user)
            self.stdout.write(token.key)
