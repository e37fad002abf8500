"""A small catalog for the Slack app's tests: plain rows, then the search index rebuilt."""
from catalog.models import Service, ServiceResource, Team
from search import indexing

LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:payments-api-handler"
QUEUE = "arn:aws:sqs:us-east-1:111111111111:payments-settlements"


def team(slug: str, name: str, **fields) -> Team:
    routing = {k: fields.pop(k) for k in ("slack_channel", "contact_email") if k in fields}
    known = {f.name for f in Team._meta.get_fields()}
    return Team.objects.create(slug=slug, name=name, **fields, **{k: v for k, v in routing.items() if k in known})


def service(name: str, owner: Team | None, *, status: str = "owned", confidence: float = 0.9,
            candidates: list | None = None, **fields) -> Service:
    fields.setdefault("key", name)
    return Service.objects.create(name=name, owner=owner, ownership_status=status, owner_confidence=confidence,
                                  owner_source=fields.pop("owner_source", "codeowners"),
                                  owner_candidates=candidates or [], **fields)


def company() -> dict:
    """Payments owns payments-api (CODEOWNERS, commits); checkout-web is a close call; legacy-batch has nobody."""
    payments = team("payments", "Payments", slack_channel="#payments", contact_email="payments@example.com",
                    members=["alice"])
    checkout = team("checkout", "Checkout")
    api = service("payments-api", payments, confidence=0.92, repo="acme/payments-api",
                  aliases=["payapi"], candidates=[
                      {"team": "payments", "score": 0.92, "signals": {"codeowners": 1.0, "commits": 0.72}},
                      {"team": "checkout", "score": 0.31, "signals": {"commits": 0.28}}])
    ServiceResource.objects.create(service=api, external_id=LAMBDA, kind="lambda_function",
                                   name="payments-api-handler")
    ServiceResource.objects.create(service=api, external_id=QUEUE, kind="sqs_queue", name="payments-settlements")
    web = service("checkout-web", checkout, status="ambiguous", confidence=0.55, repo="acme/checkout-web",
                  candidates=[{"team": "checkout", "score": 0.55, "signals": {"tags": 1.0}},
                              {"team": "payments", "score": 0.5, "signals": {"commits": 0.6}}])
    batch = service("legacy-batch", None, status="unowned", confidence=0.0, owner_source="",
                    candidates=[{"team": "checkout", "score": 0.3, "signals": {"tags": 0.5}}])
    orders = [service("orders-api", checkout), service("orders-worker", checkout)]
    indexing.rebuild()
    return {"payments": payments, "checkout": checkout, "api": api, "web": web, "batch": batch, "orders": orders}
