"""Slack's routes, on the platform's public host (portal.urls_public): the workspace, not the host, picks
the tenant."""
from django.urls import path

from slackbot import views

urlpatterns = [
    path("commands", views.dispatch, name="slack-commands"),
    path("events", views.dispatch, name="slack-events"),
    path("install", views.install, name="slack-install"),
    path("oauth_redirect", views.oauth_redirect, name="slack-oauth-redirect"),
]
