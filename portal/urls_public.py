"""URL root for hosts that are not a tenant: a landing page, the health check and the operator's metrics
(``portal.metrics``: aggregates over every tenant, behind a token, 404 without one); no tenant data."""
from django.urls import path

from portal import metrics, views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
]
