"""URL root for hosts that are not a tenant: a landing page, the health check and the operator's metrics
(``portal.metrics``: aggregates over every tenant, behind a token, 404 without one); no tenant data.
Slack calls here too (slackbot.urls): its requests name their workspace, which picks the tenant."""
from django.urls import include, path

from portal import metrics, views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("slack/", include("slackbot.urls")),  # commands and events (signed by Slack); install, oauth_redirect
]
