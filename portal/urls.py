"""URL root for tenant hosts (<tenant>.localhost)."""
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import console, views

urlpatterns = [
    path("", console.console, name="home"),  # the web console (portal.console)
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),  # sign-in with GitHub / OpenID Connect (accounts.signin)
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("discovery.api.urls")),
    path("api/v1/", include("search.api.urls")),  # before the catalog: services/search is not a service id
    path("api/v1/", include("ownership.api.urls")),  # the services resource, with corrections (PATCH)
    path("api/v1/", include("freshness.api.urls")),  # schedules, GitHub webhook secrets and deliveries
    path("api/v1/", include("notifications.api.urls")),  # webhooks out: subscriptions and their deliveries
    path("api/v1/", include("oncall.api.urls")),  # routing: services/<id>/routing, resources/<arn>/routing
    path("api/v1/", include("slackbot.api_urls")),  # the Slack app's install link (admins)
    path("api/v1/", include("catalog.api.urls")),
    path("webhooks/", include("freshness.urls")),  # GitHub's deliveries, signed (freshness.receiving)
    # Last: every other path that is not the API, the admin, sign-in, static files or the health check is a
    # console route (/services/..., /teams/..., /runs/..., /onboarding), answered with the console's page.
    re_path(r"^(?!(?:api|admin|accounts|static|webhooks)(?:/|$)|healthz$)(?P<path>.+)$", console.console,
            name="console"),
]
