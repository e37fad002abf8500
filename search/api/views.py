import time

from django.http import HttpResponse
from django.db import connection
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from search.api.serializers import SearchParamsSerializer, SearchResponseSerializer, plain_params
from search.backends.base import SearchError, SearchQuery
from search.palette import palette_index, version
from search.query import answer


class JsonThen(HttpResponse):
    """A JSON body, then ``after()`` once the server has sent it (WSGI servers close the response after
    writing it): the cache write of a miss does not delay the answer."""

    def __init__(self, body: bytes, after=None):
        super().__init__(body, content_type="application/json")
        self._after = after

    def close(self):
        try:
            super().close()
        finally:
            after, self._after = self._after, None
            if after is not None:
                after()


class ServiceSearchView(APIView):
    renderer_classes = [JSONRenderer]  # JSON only (errors too): nothing to negotiate on every keystroke
    @extend_schema(operation_id="services_search", tags=["search"], parameters=[SearchParamsSerializer],
                   responses={200: SearchResponseSerializer})
    def get(self, request):
        """Cmd+K search: services (end-of-life hidden unless asked), plus matching teams and repositories."""
        started = time.perf_counter()
        data = plain_params(request.query_params)
        if data is None:
            params = SearchParamsSerializer(data=request.query_params)
            params.is_valid(raise_exception=True)
            data = params.validated_data
        query = SearchQuery(q=data["q"], limit=data["limit"], filters=data["filters"], include_eol=data["include_eol"])
        try:
            result = answer(query, started)
        except SearchError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        # The backend's JSON in the response shape already, sent as is (no renderer: JSON only); the
        # serializer documents it and the tests check the match.
        return JsonThen(result.render(), after=result.store)


# Compressed: 10,000 services are ~2 MB of JSON and ~10x less gzipped. The body reflects nothing a client
# sends and holds no secret, so compression cannot leak one (BREACH needs both).
@method_decorator(gzip_page, name="dispatch")
class PaletteIndexView(APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(operation_id="services_search_index", tags=["search"],
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=(
                       "{truncated, fields: {services, teams, repositories}, services: [[...]], teams: [[...]], "
                       "repositories: [[...]]}: one array per entry, in the order of its fields.")),
                              304: OpenApiResponse(description="Unchanged since the If-None-Match version.")})
    def get(self, request):
        """The palette's local index (search.palette): every searchable service, team and repository, compact,
        versioned with an ETag so the browser revalidates it for the price of a 304."""
        etag = version(connection.schema_name)
        if etag and etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(palette_index(), content_type="application/json")
        if etag:
            response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"  # always revalidated: a correction shows at once
        response["Vary"] = "Cookie, Authorization"
        return response
