"""The tenant's Slack API: an admin asks for an install link (``POST /api/v1/slack/install-link/``), opens it,
and approves the app in Slack; the installation lands in this tenant (slackbot.oauth)."""
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.events import record
from slackbot import install_links
from slackbot.models import SlackInstallation


class InstallLinkView(APIView):
    @extend_schema(operation_id="slack_install_link", tags=["slack"], request=None, responses={200: inline_serializer(
        "SlackInstallLink", {"url": serializers.CharField(help_text="open within the hour; a path when the "
                                                                    "operator set no ROSTER_SLACK_PUBLIC_URL"),
                             "expires_in": serializers.IntegerField(),
                             "workspaces": serializers.ListField(child=serializers.CharField())})})
    def post(self, request):
        """A link that installs the Slack app into this tenant through Slack's OAuth flow (admins)."""
        by = request.user.get_username()
        token = install_links.issue(connection.tenant, by)
        record("slack.install_link_issued", actor=by)
        return Response({"url": install_links.install_url(token), "expires_in": install_links.MAX_AGE_SECONDS,
                         "workspaces": list(SlackInstallation.objects.values_list("team_id", flat=True))})
