"""``manage.py slack_install_link <tenant> [--by NAME]``: a one-hour link that installs the Slack app into the
tenant through Slack's OAuth flow (what the tenant API gives its admins)."""
from django.core.management.base import BaseCommand

from portal.tenancy import get_tenant
from slackbot import install_links


class Command(BaseCommand):
    help = "Print a link that installs the Slack app into a tenant (valid for an hour)."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--by", default="cli", help="who asked (recorded with the installation)")

    def handle(self, *args, tenant, by, **options):
        token = install_links.issue(get_tenant(tenant), by)
        url = install_links.install_url(token)
        self.stdout.write(url)
        if url.startswith("/"):
            self.stderr.write("(a path: set ROSTER_SLACK_PUBLIC_URL to the public host Slack calls for a whole URL)")
