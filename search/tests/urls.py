"""The tenant URLconf with the search routes included before the catalog's (as portal.urls must do)."""
from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("api/v1/", include("search.api.urls")), *portal_urlpatterns]
