"""Include under /api/v1/ before the catalog's URLs: the services resource, with corrections."""
from rest_framework.routers import SimpleRouter

from ownership.api.views import CorrectableServiceViewSet

router = SimpleRouter()
router.register("services", CorrectableServiceViewSet, basename="service")
urlpatterns = router.urls
