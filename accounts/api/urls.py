from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import views

router = DefaultRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("tokens", views.TokenViewSet, basename="token")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("tenant/delete/", views.TenantDeleteView.as_view(), name="tenant-delete"),
    *router.urls,
]
