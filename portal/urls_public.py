"""URL root for hosts that are not a tenant: a landing page and the health check, no tenant data."""
from django.urls import path

from portal import views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("healthz", views.healthz, name="healthz"),
]
