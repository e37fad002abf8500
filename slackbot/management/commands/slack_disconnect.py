"""``manage.py slack_disconnect <slack_team_id>``: forget a workspace (its tenant mapping and bot token)."""
from django.core.management.base import BaseCommand, CommandError

from slackbot import workspaces


class Command(BaseCommand):
    help = "Disconnect a Slack workspace from its tenant (the app then answers it 'not connected')."

    def add_arguments(self, parser):
        parser.add_argument("team_id")

    def handle(self, *args, team_id, **options):
        if not workspaces.disconnect(team_id, by="cli", reason="manage.py slack_disconnect"):
            raise CommandError(f"no tenant has Slack workspace {team_id!r}")
        self.stdout.write(f"Slack workspace {team_id} disconnected")
