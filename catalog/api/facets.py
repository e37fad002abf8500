"""Facet counts of the services list (``?facets=true``): how many services each filter value would match.

Disjunctive, as shop filters are: a facet's counts apply every filter but its own, so choosing a team still
shows the other teams' counts. All facets are one SQL statement (a UNION ALL over the filtered querysets'
own SQL, parameters kept bound), so the list costs one query more with facets, however large the catalog.
"""
from django.db import connection
from django.db.models import F
from rest_framework.exceptions import ValidationError

from catalog.api.filters import ServiceFilterSet
from portal.pagination import BoundedLimitOffsetPagination

# facet (also its filter's parameter) -> the Service field counted
SCALARS = {"team": "owner__slug", "lifecycle": "lifecycle", "tier": "tier", "ownership_status": "ownership_status",
           "health": "health"}
LISTS = {"language": "tech_stack", "environment": "environments", "source": "sources"}  # JSON lists: each element
FACETS = (*SCALARS, *LISTS)
TRUE, FALSE = {"true", "1"}, {"false", "0", ""}
MAX_VALUES = 200  # per facet, the most frequent first: the answer stays bounded whatever the catalog holds

SCALAR_SQL = ("SELECT %s::text, f.facet_value::text, count(*) FROM ({}) f "
              "WHERE f.facet_value IS NOT NULL AND f.facet_value <> '' GROUP BY 2")
# a JSON value that is not a list (never written so, but typed as any JSON) counts as empty
LIST_SQL = ("SELECT %s::text, e.v, count(*) FROM ({}) f CROSS JOIN LATERAL jsonb_array_elements_text("
            "CASE WHEN jsonb_typeof(f.facet_value) = 'array' THEN f.facet_value ELSE '[]'::jsonb END) AS e(v) "
            "WHERE e.v <> '' GROUP BY 2")


def facet_counts(queryset, params, request=None) -> dict[str, dict[str, int]]:
    """{facet: {value: services}} for ``queryset`` (not yet filtered) under the request's ``params``, which the
    caller has validated (ServiceFilterSet) already."""
    parts, args = [], []
    for name in FACETS:
        others = params.copy()
        others.pop(name, None)
        others.pop("ordering", None)
        filtered = ServiceFilterSet(others, queryset=queryset, request=request).qs.order_by()
        field = SCALARS.get(name) or LISTS[name]
        sql, sql_params = filtered.annotate(facet_value=F(field)).values("facet_value").query.sql_with_params()
        parts.append((SCALAR_SQL if name in SCALARS else LIST_SQL).format(sql))
        args += [name, *sql_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), args)
        rows = cursor.fetchall()
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for name, value, n in sorted(rows, key=lambda r: (r[0], -r[2], r[1])):
        if len(counts[name]) < MAX_VALUES:
            counts[name][value] = n
    return counts


class FacetedPagination(BoundedLimitOffsetPagination):
    """The services list's page; documents the ``facets`` it carries when asked (the view adds them)."""

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        body["properties"]["facets"] = {
            "type": "object", "description": "With ?facets=true: services per value of each filter, every "
            "other filter applied", "required": list(FACETS),
            "properties": {name: {"type": "object", "additionalProperties": {"type": "integer"}} for name in FACETS},
        }
        return body


def wants_facets(params) -> bool:
    """``?facets=true``; anything but a boolean is a 400 naming the parameter."""
    value = params.get("facets", "false").lower()
    if value not in TRUE | FALSE:
        raise ValidationError({"facets": ["true or false"]})
    return value in TRUE

