"""``POST /graphql``: authentication, the GraphQL rate limit (points per query), 502 for queries too big
to finish, then ``graphql_api`` plans and executes the query against the store."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from flask import Blueprint, Response, request

from .. import graphql_api
from ..rest import error
from ..web import emulator, faulted, json_response, urls

bp = Blueprint("graphql", __name__)


@bp.post("/graphql")
def graphql() -> Response:
    stop = faulted("graphql")
    if stop is not None:
        return stop
    emu = emulator()
    identity = emu.authenticate(request.headers.get("Authorization"))
    if identity is None:
        if request.headers.get("Authorization"):
            return json_response(error("Bad credentials", "https://docs.github.com/graphql"), 401)
        return json_response(error("This endpoint requires you to be authenticated.",
                                   "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"), 401)
    budget = emu.budget(identity, "graphql")
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return json_response(error("Problems parsing JSON", "https://docs.github.com/graphql"), 400,
                             budget.headers("graphql"))
    plan = graphql_api.prepare(body.get("query"), body.get("variables"), body.get("operationName"))
    if isinstance(plan, list):
        return json_response({"errors": plan}, 200, budget.headers("graphql"))
    limit = emu.faults.bad_gateway_over
    if limit and plan.node_count > limit:
        emu.count(bad_gateway=1)
        return json_response({"data": None, "errors": [{"message": (
            "Something went wrong while executing your query. This may be the result of a timeout, or it could "
            f"be a GitHub bug. Please include `{secrets.token_hex(8).upper()}` when reporting this issue.")}]}, 502)
    with emu.lock:
        if not plan.dry_run and plan.cost > budget.remaining:
            limited = True
        else:
            limited = False
            if not plan.dry_run:
                budget.used += plan.cost
                emu.stats["graphql_points"] += plan.cost
    if limited:
        emu.count(rate_limited=1)
        who = f"installation ID {identity.installation}" if identity.installation else f"user ID {identity.user_id}"
        headers = {**budget.headers("graphql"), "X-RateLimit-Remaining": "0"}
        return json_response({"errors": [{"type": "RATE_LIMITED", "message": f"API rate limit exceeded for {who}."}]},
                             200, headers)
    rate = {"__typename": "RateLimit", "cost": plan.cost, "limit": budget.limit, "remaining": budget.remaining,
            "used": budget.used, "nodeCount": plan.node_count,
            "resetAt": datetime.fromtimestamp(budget.reset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    result = graphql_api.execute(plan, emu.store, urls(), rate, identity.login)
    return json_response(result, 200, budget.headers("graphql"))
