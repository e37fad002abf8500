"""End to end: a small generated company discovered through real Celery workers, its webhooks delivered to a
receiver in this process (a real HTTP server in a thread), signed and exactly once; a receiver that answers
500 and then 200 gets a retry; a dead one gets its subscription turned off.

No beat runs here: deliveries arrive only because a run queued or finished asks for a fan-out when it
commits (notifications.receivers), and retries only through the workers' own countdowns."""
import os
import time
from collections import Counter

import pytest
from django.conf import settings
from django.db import transaction
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts.testing import user_with_token
from audit.models import AuditEvent
from catalog.models import DiscoveryEvent
from discovery import workflow
from discovery.models import ACTIVE_STATUSES, Run
from notifications import signing, subscriptions
from notifications.models import Delivery, Subscription
from notifications.tests.receiver import Receiver, assert_valid
from peers.demo import setup_tenant
from peers.generate_scenario import dump, generate
from peers.scenario import parse_scenario
from portal.models import Tenant
from portal.workspaces.models import Workspace
from tests.peers import drop_tenant

pytestmark = pytest.mark.e2e
TENANT = "e2e-hooks"
# The workers this session starts read these (tests.peers passes the environment on): quick retries, and a
# subscription turned off after three failures, so the tests take seconds. Set when the module is collected,
# before any worker starts; an operator's own values win.
for key, value in {"ROSTER_WEBHOOK_BACKOFF_SECONDS": "1", "ROSTER_WEBHOOK_BACKOFF_MAX_SECONDS": "2",
                   "ROSTER_WEBHOOK_DISABLE_AFTER_FAILURES": "3", "ROSTER_WEBHOOK_TIMEOUT_SECONDS": "5"}.items():
    os.environ.setdefault(key, value)


@pytest.fixture(scope="module")
def company(live_peers, live_workers, django_db_blocker):
    scenario = parse_scenario(dump(generate("legacy", name=TENANT, n_services=8, seed=5)))
    with django_db_blocker.unblock():
        setup_tenant(scenario, aws_endpoint=live_peers["aws"], github_url=live_peers["github"], tenant_name=TENANT)
        tenant = Tenant.objects.get(name=TENANT)
        yield tenant
        drop_tenant(tenant)


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.3)
    return found


def subscribe(tenant, url: str, name: str, events=None) -> tuple[Subscription, str]:
    with tenant_context(tenant):
        sub = Subscription(workspace=Workspace.default(), name=name, url=url, events=events)
        return sub, subscriptions.create(sub, actor="e2e")


def admin_api(tenant) -> APIClient:
    with tenant_context(tenant):
        _, token = user_with_token("e2e-hooks-admin", "admin")
    client = APIClient(HTTP_HOST=f"{TENANT}.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def verified(received, secret: str) -> bool:
    h = received.headers
    return signing.verify(secret, received.body, h["x-roster-timestamp"], h["x-roster-signature"])


def test_a_discovery_is_told_signed_and_exactly_once(company, django_db_blocker):
    with Receiver() as receiver, django_db_blocker.unblock():
        sub, secret = subscribe(company, receiver.url(), "everything-about-runs",
                                ["service.discovered", "run.queued", "run.finished"])
        with tenant_context(company):
            with transaction.atomic():
                result = workflow.discover_workspace(Workspace.default(), trigger="test")
            ids = [r.pk for r in result["runs"]] + [result["reconcile_run"].pk]
            wait_for(lambda: not Run.objects.filter(pk__in=ids, status__in=ACTIVE_STATUSES).exists(), 240,
                     "discovery finished")
            scans = Run.objects.filter(pk__in=ids, kind=Run.Kind.SCAN).count()
            discovered = DiscoveryEvent.objects.filter(event_type="service_created").count()
            expected = Counter({"service.discovered": discovered, "run.queued": scans, "run.finished": scans + 1})
            wait_for(lambda: Counter(Delivery.objects.filter(subscription=sub, status="succeeded")
                                     .values_list("event_type", flat=True)) == expected, 60, "every event delivered")
            deliveries = {str(pk) for pk in Delivery.objects.filter(subscription=sub).values_list("pk", flat=True)}
            statuses = set(Run.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert discovered >= 8 and statuses == {"succeeded"}
    got = receiver.requests
    assert Counter(r.headers["x-roster-event"] for r in got) == expected
    assert all(verified(r, secret) for r in got)
    assert {r.headers["x-roster-delivery"] for r in got} == deliveries and len(got) == len(deliveries)  # once each
    assert len({r.json["id"] for r in got}) == len(got)
    for received in got:
        assert_valid(received.json)
    finished = [r.json["data"] for r in got if r.json["type"] == "run.finished"]
    assert {f["status"] for f in finished} == {"succeeded"} and {f["run"]["id"] for f in finished} == {
        str(pk) for pk in ids}
    service = next(r.json["data"]["service"] for r in got if r.json["type"] == "service.discovered")
    # The workers' setting, which is this process's too (both read .run/env): https://{host} unless set there.
    assert service["url"] == settings.ROSTER_WEBHOOK_CONSOLE_URL.format(host=f"{TENANT}.localhost") + \
        f"/services/{service['id']}"


def test_a_receiver_answering_500_then_200_gets_a_retry(company, django_db_blocker):
    with Receiver(statuses=[500]) as receiver, django_db_blocker.unblock():
        sub, secret = subscribe(company, receiver.url("/flaky"), "flaky")
        response = admin_api(company).post(f"/api/v1/webhooks/subscriptions/{sub.pk}/test/")
        assert response.status_code == 202, response.content
        with tenant_context(company):
            ping = Delivery.objects.get(pk=response.json()["id"])
            wait_for(lambda: Delivery.objects.filter(pk=ping.pk, status="succeeded").exists(), 30, "the retry")
            attempts = list(ping.attempt_log.order_by("number"))
    assert [(a.number, a.status_code, a.succeeded) for a in attempts] == [(1, 500, False), (2, 200, True)]
    assert (attempts[1].started_at - attempts[0].started_at).total_seconds() >= 0.9  # the 1 s backoff
    assert [r.headers["x-roster-delivery"] for r in receiver.requests] == [str(ping.pk)] * 2
    assert all(verified(r, secret) for r in receiver.requests)
    assert receiver.requests[0].body == receiver.requests[1].body


def test_a_dead_receiver_gets_its_subscription_turned_off(company, django_db_blocker):
    with Receiver() as gone:
        dead = gone.url("/dead")  # a port nobody listens on any more
    with django_db_blocker.unblock():
        sub, _ = subscribe(company, dead, "dead")
        api = admin_api(company)
        assert api.post(f"/api/v1/webhooks/subscriptions/{sub.pk}/test/").status_code == 202
        with tenant_context(company):
            wait_for(lambda: Subscription.objects.filter(pk=sub.pk, active=False).exists(), 30,
                     "the subscription turned off")
            sub.refresh_from_db()
            told = AuditEvent.objects.filter(action="webhook.disabled", object_id=str(sub.pk)).first()
            [ping] = sub.deliveries.all()
            errors = list(ping.attempt_log.values_list("error", flat=True))
        shown = api.get(f"/api/v1/webhooks/subscriptions/{sub.pk}/").json()
    assert sub.disabled_reason == "3 deliveries in a row failed" and told is not None
    assert shown["active"] is False and shown["disabled_at"] and shown["disabled_reason"] == sub.disabled_reason
    assert ping.status == "failed" and ping.attempts == 3 and "could not connect" in ping.last_error
    assert len(errors) == 3 and all(e.startswith("could not connect to 127.0.0.1") for e in errors)
