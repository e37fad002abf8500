"""Include under /api/v1/ before the catalog's URLs: the services resource, with corrections."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from ownership.api.views import AccuracyTrendView, CorrectableServiceViewSet, WeightsResetView, WeightsView

router = SimpleRouter()
router.register("services", CorrectableServiceViewSet, basename="service")
urlpatterns = [
    path("dashboard/accuracy-trend/", AccuracyTrendView.as_view(), name="accuracy-trend"),
    path("ownership/weights/", WeightsView.as_view(), name="ownership-weights"),
    path("ownership/weights/reset/", WeightsResetView.as_view(), name="ownership-weights-reset"),
    *router.urls,
]
