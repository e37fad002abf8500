from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from catalog.api import dashboard, views

router = DefaultRouter()
router.register("teams", views.TeamViewSet, basename="team")
router.register("discovery-events", views.DiscoveryEventViewSet, basename="discovery-event")
urlpatterns = [
    path("dashboard/ownership-coverage/", dashboard.OwnershipCoverageView.as_view(), name="ownership-coverage"),
    path("dashboard/health/", dashboard.HealthOverviewView.as_view(), name="health-overview"),
    re_path(r"^resources/(?P<arn>.+)/service/?$", views.ResourceServiceView.as_view(), name="resource-service"),
    *router.urls,
]
