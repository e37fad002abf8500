"""Pagination with a ceiling: ``?limit=`` cannot ask for the whole table in one answer."""
from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500
