from rest_framework.routers import DefaultRouter

from discovery.api import views

router = DefaultRouter()
router.register("connections", views.ConnectionViewSet, basename="connection")
router.register("runs", views.RunViewSet, basename="run")
router.register("discovery", views.DiscoveryViewSet, basename="discovery")
router.register("facts", views.FactViewSet, basename="fact")
urlpatterns = router.urls
