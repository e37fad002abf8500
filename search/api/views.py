from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from search.api.serializers import SearchParamsSerializer, SearchResponseSerializer, plain_params
from search.backends.base import SearchError, SearchQuery
from search.query import search


class ServiceSearchView(APIView):
    @extend_schema(operation_id="services_search", tags=["search"], parameters=[SearchParamsSerializer],
                   responses={200: SearchResponseSerializer})
    def get(self, request):
        """Cmd+K search: services (end-of-life hidden unless asked), plus matching teams and repositories."""
        data = plain_params(request.query_params)
        if data is None:
            params = SearchParamsSerializer(data=request.query_params)
            params.is_valid(raise_exception=True)
            data = params.validated_data
        query = SearchQuery(q=data["q"], limit=data["limit"], filters=data["filters"], include_eol=data["include_eol"])
        try:
            result = search(query)
        except SearchError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        # Built by the backend in the response shape already; the serializer documents it (tests check the match).
        return Response(result)
