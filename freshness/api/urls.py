from rest_framework.routers import SimpleRouter

from freshness.api import views

router = SimpleRouter()
router.register("schedules", views.ScheduleViewSet, basename="schedule")
router.register("github-webhooks/deliveries", views.InboundDeliveryViewSet, basename="github-delivery")
router.register("github-webhooks", views.GithubWebhookViewSet, basename="github-webhook-config")
urlpatterns = router.urls
