"""Include under /api/v1/ BEFORE the catalog's URLs, so services/search is not read as a service id."""
from django.urls import path

from search.api.views import PaletteIndexView, ServiceSearchView

urlpatterns = [
    path("services/search/index", PaletteIndexView.as_view(), name="service-search-index"),
    path("services/search", ServiceSearchView.as_view(), name="service-search"),
    path("services/search/", ServiceSearchView.as_view(), name="service-search-slash"),
]
