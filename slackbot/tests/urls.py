"""The tenant URL conf with the Slack API routes included (as portal.urls must do)."""
from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("api/v1/", include("slackbot.api_urls")), *portal_urlpatterns]
