"""The tenant API's Slack routes (portal.urls: ``path("api/v1/", include("slackbot.api_urls"))``)."""
from django.urls import path

from slackbot import api

urlpatterns = [
    path("slack/install-link/", api.InstallLinkView.as_view(), name="slack-install-link"),
]
