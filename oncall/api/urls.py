"""Include under /api/v1/ before the catalog's URLs: routing answers for services, ARNs and teams."""
from django.urls import path, re_path

from oncall.api import views

urlpatterns = [
    path("services/<uuid:pk>/routing/", views.ServiceRoutingView.as_view(), name="service-routing"),
    # The ARN as catalog's resources/<arn>/service/ takes it: everything up to the last "/routing".
    re_path(r"^resources/(?P<arn>.+)/routing/?$", views.ResourceRoutingView.as_view(), name="resource-routing"),
    path("teams/<uuid:pk>/routing/", views.TeamRoutingView.as_view(), name="team-routing"),
]
