import json
import os
import urllib.request

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from discovery.models import Connection
from freshness import receiving
from portal.tenancy import tenant_scope


class Command(BaseCommand):
    help = ("Give each of a tenant's GitHub connections a webhook secret and register the webhook in the local "
            "GitHub emulator, which then sends signed deliveries to this Roster as its state changes (the demo).")

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--base-url", required=True,
                            help="where the emulator reaches this Roster, e.g. http://acme.localhost:8000")
        parser.add_argument("--github-url", default=os.environ.get("ROSTER_GITHUB_EMULATOR_URL", ""))

    def handle(self, *args, tenant, base_url, github_url, **options):
        if not github_url:
            raise CommandError("the local GitHub emulator is not configured: run `make up` first")
        with tenant_scope(tenant):
            with transaction.atomic():
                hooks = [(conn, receiving.configure(conn)) for conn in Connection.objects.filter(provider="github")]
            for conn, secret in hooks:
                body = {"url": f"{base_url.rstrip('/')}/webhooks/github/{conn.pk}/", "secret": secret,
                        "events": ["*"], "org": conn.config.get("org", "")}
                request = urllib.request.Request(f"{github_url.rstrip('/')}/_emulator/hooks",
                                                 data=json.dumps(body).encode(), method="POST",
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as answer:
                    hook = json.loads(answer.read())
                self.stdout.write(f"{conn.name}: the emulator's hook {hook.get('id')} sends to {body['url']}")
