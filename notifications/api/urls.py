"""Include under /api/v1/ (before the catalog's): webhook subscriptions and their deliveries."""
from rest_framework.routers import SimpleRouter

from notifications.api import views

router = SimpleRouter()
router.register("webhooks/subscriptions", views.SubscriptionViewSet, basename="webhook-subscription")
router.register("webhooks/deliveries", views.DeliveryViewSet, basename="webhook-delivery")
urlpatterns = router.urls
