"""The outbox's fan-out on the real database: each source row becomes its events, once per subscription, the
cursor stops below a gap a transaction may still fill and moves past one that was rolled back, and a run
queued or finished asks for a fan-out through the broker once it commits."""
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.events import record
from catalog.models import DiscoveryEvent, RetirementHold
from discovery import runs
from discovery.models import Run
from discovery.tests.factories import ConnectionFactory
from notifications import fanout, subscriptions
from notifications.models import Delivery, FanOutCursor, Subscription
from notifications.tests.receiver import assert_valid
from portal.workspaces.models import Workspace
from search.tests.factories import service as make_service
from search.tests.factories import team as make_team

pytestmark = pytest.mark.django_db


def subscribe(workspace, name="ops", events=None, active=True) -> Subscription:
    sub = Subscription(workspace=workspace, name=name, url="http://127.0.0.1:9/hook", events=events, active=active)
    subscriptions.create(sub, actor="test")
    return sub


def reconcile_run(workspace) -> Run:
    return Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, selection_hash=uuid.uuid4().hex,
                              status="succeeded")


def created(service, run=None, **fields) -> DiscoveryEvent:
    return DiscoveryEvent.objects.create(run=run, service=service, service_name=service.name,
                                         event_type=fields.pop("event_type", "service_created"), **fields)


def types(workspace_deliveries) -> Counter:
    return Counter(d.event_type for d in workspace_deliveries)


def test_each_source_row_becomes_its_events_once_with_payloads_the_schemas_accept(workspace, tenant_alpha,
                                                                                  settings):
    settings.ROSTER_WEBHOOK_CONSOLE_URL = "https://{host}"  # the default (a local .run/env names its port)
    sub = subscribe(workspace)
    payments, billing = make_team("payments", "Payments"), make_team("billing", "Billing")
    checkout = make_service("checkout-api", owner=payments, ownership_status="ambiguous", runner_up=billing,
                            runner_up_score=0.61, confidence=0.7, owner_candidates=[{"team": "payments"}])
    run = reconcile_run(workspace)
    created(checkout, run, reason="stack_name")
    created(checkout, run, event_type="service_updated", field="name,resources", old_value={"name": "checkout",
            "resources": 1}, new_value={"name": "checkout-api", "resources": 2})
    created(checkout, run, event_type="service_updated", field="resources", old_value={"resources": 1},
            new_value={"resources": 2})                                     # not a rename: nothing
    created(checkout, run, event_type="ownership_changed", field="owner", old_value=None, new_value="payments",
            confidence=0.7, reason="codeowners")                          # and ambiguous: two events
    created(checkout, run, event_type="service_removed", field="lifecycle", old_value="deprecated", new_value="eol")
    created(checkout, run, event_type="repo_linked", field="repo", new_value="acme/checkout")  # not an event here
    RetirementHold.objects.create(run=run, total_services=10, services=[{"id": str(checkout.pk),
                                                                          "name": checkout.name, "to": "deprecated"}])
    scan = runs.create_scan_run(ConnectionFactory(name="aws", workspace=workspace), selection={"kinds": ["ecs"]})
    record("run.started", obj=scan, workspace_id=workspace.pk)             # not an event here
    record("run.finished", actor="worker", obj=scan, workspace_id=workspace.pk, status="partial", kind="scan",
           connection=str(scan.connection_id), succeeded=2, failed=1, facts=40)

    made = fanout.fan_out(workspace.pk)

    deliveries = list(Delivery.objects.filter(subscription=sub))
    assert sorted(made) == sorted(str(d.pk) for d in deliveries)
    assert types(deliveries) == Counter({"service.discovered": 1, "service.renamed": 1, "ownership.changed": 1,
                                         "ownership.ambiguous": 1, "service.retired": 1, "retirement.held": 1,
                                         "run.queued": 1, "run.finished": 1})
    for d in deliveries:
        assert_valid(d.payload)
        assert d.payload["type"] == d.event_type and d.payload["id"] == str(d.event_id)
        assert d.payload["tenant"] == {"schema": tenant_alpha.schema_name, "host": "alpha.localhost"}
        assert d.status == "pending" and d.next_attempt_at is not None
    by_type = {d.event_type: d.payload["data"] for d in deliveries}
    assert by_type["service.discovered"]["service"]["url"] == f"https://alpha.localhost/services/{checkout.pk}"
    assert by_type["service.discovered"]["service"]["owner"] == {"slug": "payments", "name": "Payments"}
    assert by_type["service.renamed"] | {"service": None, "run": None} == {
        "service": None, "field": "name", "old": "checkout", "new": "checkout-api", "run": None}
    assert by_type["ownership.ambiguous"]["runner_up"] == {"slug": "billing", "name": "Billing", "score": 0.61}
    assert by_type["run.finished"]["status"] == "partial"
    assert by_type["run.finished"]["counts"] == {"succeeded": 2, "failed": 1, "facts": 40}
    assert by_type["run.finished"]["run"]["url"] == f"https://alpha.localhost/runs/{scan.pk}"
    assert by_type["retirement.held"]["hold"]["services"][0]["name"] == "checkout-api"

    assert fanout.fan_out(workspace.pk) == []  # nothing new: nothing made
    FanOutCursor.objects.filter(workspace=workspace).update(discovery_event_id=0, retirement_hold_id=0,
                                                            audit_event_id=0)
    assert fanout.fan_out(workspace.pk) == []  # even read again from the start: nothing twice
    assert Delivery.objects.count() == len(deliveries)


def test_the_mark_stops_below_a_gap_that_may_still_fill_and_passes_one_that_was_rolled_back(workspace):
    subscribe(workspace, events=["service.discovered"])
    svc = make_service("gap-svc")
    first, pending, third = (created(svc) for _ in range(3))
    gap = pending.pk
    pending.delete()  # as if its transaction had not committed yet: its id is missing below a visible row

    assert len(fanout.fan_out(workspace.pk)) == 2
    cursor = FanOutCursor.objects.get(workspace=workspace)
    assert cursor.discovery_event_id == first.pk  # not past the gap
    assert fanout.fan_out(workspace.pk) == []     # the row above the gap is read again, not sent again

    DiscoveryEvent.objects.create(id=gap, service=svc, service_name=svc.name,
                                  event_type="service_created")  # the transaction commits
    assert len(fanout.fan_out(workspace.pk)) == 1
    assert FanOutCursor.objects.get(workspace=workspace).discovery_event_id == third.pk
    assert Delivery.objects.filter(event_type="service.discovered").count() == 3

    rolled_back, after = created(svc), created(svc)
    rolled_back.delete()
    DiscoveryEvent.objects.filter(pk=after.pk).update(
        created_at=timezone.now() - fanout.settle_time() - timedelta(minutes=1))
    fanout.fan_out(workspace.pk)
    assert FanOutCursor.objects.get(workspace=workspace).discovery_event_id == after.pk


def test_events_go_to_their_workspace_subscriptions_that_ask_for_them_and_existed_then(workspace):
    other = Workspace.objects.create(name="Other", slug="other")
    everything, runs_only = subscribe(workspace), subscribe(workspace, "runs", events=["run.finished"])
    paused = subscribe(workspace, "paused", active=False)
    theirs = subscribe(other, "theirs")
    svc = make_service("ws-svc")
    created(svc, reconcile_run(workspace))
    created(svc, reconcile_run(other))
    created(svc, None, event_type="ownership_changed", field="owner", new_value="x")  # a correction: default ws
    run = reconcile_run(workspace)
    record("run.finished", obj=run, workspace_id=workspace.pk, status="succeeded", kind="reconcile")
    fanout.fan_out(workspace.pk)
    fanout.fan_out(other.pk)
    assert types(everything.deliveries.all()) == Counter({"service.discovered": 1, "ownership.changed": 1,
                                                          "run.finished": 1})
    assert types(runs_only.deliveries.all()) == Counter({"run.finished": 1})
    assert not paused.deliveries.exists()
    assert types(theirs.deliveries.all()) == Counter({"service.discovered": 1})

    created(svc, reconcile_run(workspace))
    late = subscribe(workspace, "late")  # subscribed after that event: it does not get it
    fanout.fan_out(workspace.pk)
    assert not late.deliveries.exists() and everything.deliveries.count() == 4


def test_a_first_subscription_starts_at_the_logs_heads(workspace):
    svc = make_service("old-news")
    for _ in range(5):
        created(svc, reconcile_run(workspace))
    sub = subscribe(workspace)
    cursor = FanOutCursor.objects.get(workspace=workspace)
    assert cursor.discovery_event_id == DiscoveryEvent.objects.order_by("-pk").first().pk
    assert fanout.fan_out(workspace.pk) == [] and not sub.deliveries.exists()


def test_a_run_queued_or_finished_asks_the_broker_for_a_fan_out_once_it_commits(
        workspace, tenant_alpha, django_capture_on_commit_callbacks):
    from celery_app import app

    run = reconcile_run(workspace)
    with django_capture_on_commit_callbacks(execute=True) as nobody:
        record("run.finished", obj=run, workspace_id=workspace.pk, status="succeeded")
    subscribe(workspace)
    with django_capture_on_commit_callbacks(execute=False) as ignored:
        record("run.started", obj=run, workspace_id=workspace.pk)
    with django_capture_on_commit_callbacks(execute=True) as told:
        record("run.finished", obj=run, workspace_id=workspace.pk, status="succeeded")
    assert len(nobody) == 1 and ignored == [] and len(told) == 1

    with app.connection_for_read() as conn, conn.SimpleQueue("catalog") as queue:
        names = []
        while True:  # this session's queue (its own key prefix): take every message, keep what is ours
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                break
            message.ack()
            names.append((message.headers.get("task"), message.headers.get("_schema_name"),
                          tuple(message.payload[0])))
    # One fan-out, for alpha's workspace: none while nobody had subscribed, none for run.started.
    schema = tenant_alpha.schema_name
    assert names.count(("notifications.fan_out", schema, (schema, str(workspace.pk)))) == 1, names
