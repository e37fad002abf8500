"""``manage.py slack_connect <tenant> <slack_team_id> [--bot-token xoxb-...]``: map a Slack workspace to a tenant
without the OAuth flow (operators who install the app by hand, the local Slack peer). The bot token may also
come from the SLACK_BOT_TOKEN environment variable (kept out of the shell history); with one, Slack is asked
(auth.test) whether it belongs to that workspace before anything is stored."""
import os

from django.core.management.base import BaseCommand, CommandError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import WebClient

from portal.tenancy import get_tenant
from slackbot import endpoints, workspaces


class Command(BaseCommand):
    help = "Connect a Slack workspace (team id T...) to a tenant, optionally with the app's bot token."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("team_id")
        parser.add_argument("--bot-token", help="the app's bot token (xoxb-...); default: $SLACK_BOT_TOKEN")
        parser.add_argument("--team-name", default="", help="shown in Roster (default: what Slack says)")

    def handle(self, *args, tenant, team_id, bot_token, team_name, **options):
        tenant = get_tenant(tenant)
        token = (bot_token or os.environ.get("SLACK_BOT_TOKEN") or "").strip() or None
        details = {}
        if token is not None:
            details = self.check_token(token, team_id)
            team_name = team_name or details.pop("team_name", "")
        try:
            installation = workspaces.connect(tenant, team_id, by="cli", team_name=team_name, bot_token=token,
                                              **details)
        except workspaces.WorkspaceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Slack workspace {team_id} ({installation.team_name or 'unnamed'}) now answers for tenant "
                          f"{tenant.name}; bot token: {'yes' if installation.has_bot_token else 'no (commands only)'}")

    def check_token(self, token: str, team_id: str) -> dict:
        if not token.startswith("xoxb-"):
            raise CommandError("the bot token must be a Slack bot token (xoxb-...)")
        try:
            answer = WebClient(token=token, base_url=endpoints.api_url(), timeout=10).auth_test()
        except SlackApiError as exc:
            raise CommandError(f"Slack refused the bot token ({exc.response.get('error')})") from None
        except (SlackClientError, OSError) as exc:
            raise CommandError(f"Slack could not be reached at {endpoints.api_url()} ({type(exc).__name__})") from None
        if answer.get("team_id") != team_id:
            raise CommandError(f"the bot token belongs to workspace {answer.get('team_id')}, not {team_id}")
        return {"team_name": answer.get("team") or "", "bot_user_id": answer.get("user_id") or "",
                "bot_id": answer.get("bot_id") or "", "enterprise_id": answer.get("enterprise_id") or ""}
