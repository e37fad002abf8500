"""Schemathesis over the API's OpenAPI schema: every operation, with a viewer's and an admin's token on tenant
alpha, in-process against the Django WSGI application. No response may be a server error (5xx), and every
documented response must match its schema.

How it runs:

* The schema is the one served (``/api/v1/schema/`` on alpha's host). Each operation gets positive and
  negative cases (data that fits the schema and data that does not), with random path ids and with the ids
  of real objects seeded below, so the views are reached and not only their 404s.
* Every case runs in a savepoint that is rolled back: cases do not see each other's writes and the test's
  own transaction (pytest-django) is rolled back at the end. Discovery dispatches its Celery canvas only
  once a transaction commits (``transaction.on_commit``), so ``/discovery/run/`` and
  ``/connections/{id}/discover/`` queue no message at all; ``workflow.dispatch`` is replaced all the same and
  the test checks it was never called.
* ``POST /api/v1/tenant/delete/`` is left out of the admin's run (the viewer's must be refused), and the
  deletion itself is replaced by a function that fails the test if anything reaches it.
* Hypothesis is derandomized (the same cases on every run), with no deadline and no example database.

The case count per token is printed (``schemathesis: N cases, 0 server errors``) and written to
``.run/schemathesis.txt`` with the status codes seen per operation. ``ROSTER_FUZZ_EXAMPLES`` sets the
examples per operation and token (default 12; more for operations with more parameters, see examples_for).
"""
from __future__ import annotations

import json
import logging
import os
import time
import traceback
import uuid
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.urls import resolve
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts import policy, tokens
from accounts.roles import at_least, set_role
from audit.events import record
from catalog.models import DiscoveryEvent, Service, ServiceResource, Team
from discovery.models import Fact, Run, RunStatus
from discovery.tests.factories import ConnectionFactory, GithubConnectionFactory
from freshness import receiving, schedules
from freshness.models import InboundDelivery, Schedule
from notifications import subscriptions
from notifications.models import Subscription

pytestmark = pytest.mark.django_db

HOST = "alpha.localhost"
EXAMPLES = int(os.environ.get("ROSTER_FUZZ_EXAMPLES", "12"))  # per operation and token, see examples_for
REPORT = Path(__file__).resolve().parents[1] / ".run" / "schemathesis.txt"
TENANT_DELETE = ("POST", "/api/v1/tenant/delete/")
ROLES = ("viewer", "admin")
# Bodies that pass validation, so that the fuzzed query (and the rest) reaches past the serializer.
VALID_BODIES = {
    ("POST", "/api/v1/connections/"): [
        {"provider": "aws", "name": "fuzz-aws", "config": {
            "account_id": "210987654321", "role_arn": "arn:aws:iam::210987654321:role/RosterDiscovery"}},
        {"provider": "github", "name": "fuzz-github", "config": {"org": "fuzz"}, "secret": {"token": "ghp_x"}},
    ],
    ("POST", "/api/v1/tokens/"): [{"username": "fuzz-viewer", "name": "fuzz", "read_only": True}],
    ("POST", "/api/v1/webhooks/subscriptions/"): [{"name": "fuzz-hook-2", "url": "http://127.0.0.1:9/h",
                                                   "events": ["run.finished"]}],
}


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, as a server runs it, minus closing the connection around each request: the
    test's transaction holds everything (Django's own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def quiet_requests():
    """Thousands of 4xx answers are expected: log only server errors (Django logs those at ERROR)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def no_side_effects(monkeypatch):
    """Nothing leaves the process: no Celery canvas, and alpha is never deleted."""
    dispatched = []
    monkeypatch.setattr("discovery.workflow.dispatch", lambda *args, **kwargs: dispatched.append(args))

    def refuse(*args, **kwargs):
        raise AssertionError("the fuzz run reached delete_tenant")

    monkeypatch.setattr("portal.tenant_deletion.delete_tenant", refuse)
    return dispatched


@pytest.fixture
def world(workspace):
    """A little of everything in alpha, so that real ids reach the views."""
    user_model = get_user_model()
    people = {}
    for role in ("viewer", "editor", "admin"):
        user = user_model.objects.create_user(f"fuzz-{role}", email=f"{role}@example.com")
        set_role(user, role)
        people[role] = (user, tokens.issue(user, name=f"fuzz {role}")[1])
    spare_token, _ = tokens.issue(people["editor"][0], name="spare")

    payments = Team.objects.create(slug="payments", name="Payments", members=["ana"])
    gateway = Service.objects.create(key="k:gateway", name="payment-gateway", owner=payments, tier="critical",
                                     tech_stack=["Python"], confidence=0.8, ownership_status="owned",
                                     repo="acme/payment-gateway")
    ledger = Service.objects.create(key="k:ledger", name="payment-ledger", owner=payments, lifecycle="eol",
                                    tech_stack=["Java"], confidence=0.3)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:payment-gateway"
    ServiceResource.objects.create(service=gateway, external_id=arn, kind="lambda_function",
                                   name="payment-gateway", account="123456789012", region="us-east-1")

    aws = ConnectionFactory(name="aws-prod", config={
        "account_id": "123456789012", "role_arn": "arn:aws:iam::123456789012:role/RosterDiscovery",
        "regions": ["us-east-1"]})
    github = GithubConnectionFactory(name="github-acme")
    github.set_secret({"token": "ghp_fuzz"})
    github.save()
    queued = Run.objects.create(workspace=workspace, connection=github, status=RunStatus.QUEUED, selection_hash="q")
    done = Run.objects.create(workspace=workspace, kind=Run.Kind.RECONCILE, status=RunStatus.SUCCEEDED,
                              selection_hash="d", started_at=timezone.now(), finished_at=timezone.now())
    now = timezone.now()
    fact = Fact.objects.create(workspace=workspace, connection=aws, kind="lambda_function", external_id=arn,
                               name="payment-gateway", account="123456789012", region="us-east-1", first_seen=now,
                               last_seen=now, provenance={"run": str(done.pk)})
    event = DiscoveryEvent.objects.create(run=done, service=gateway, service_name=gateway.name,
                                          event_type="service_created", new_value={"name": gateway.name})
    audit_event = record("fuzz.seeded", actor="fuzz-admin", obj=gateway)
    schedules.ensure_schedules()
    receiving.configure(github)
    inbound = InboundDelivery.objects.create(connection=github, delivery_id="fuzz", event="push", status="queued",
                                             plan={"repos": ["payment-gateway"], "forget": [], "teams": False})
    hook = Subscription(workspace=workspace, name="fuzz-hook", url="http://127.0.0.1:9/hook")
    subscriptions.create(hook)
    ping = subscriptions.ping(hook)

    ids = {
        "audit-events": [audit_event.pk],
        "connections": [aws.pk, github.pk],
        "discovery-events": [event.pk],
        "facts": [fact.pk],
        "resources": [arn],
        "runs": [queued.pk, done.pk],
        "services": [gateway.pk, ledger.pk],
        "teams": [payments.pk],
        "tokens": [spare_token.pk],
        "users": [people["editor"][0].pk, people["viewer"][0].pk],
        "schedules": list(Schedule.objects.values_list("pk", flat=True)),
        "github-webhooks": [github.github_webhook.pk],
        "github-webhooks/deliveries": [inbound.pk],
        "webhooks/subscriptions": [hook.pk],
        "webhooks/deliveries": [ping.pk],
    }
    return {"tokens": {role: key for role, (_, key) in people.items()}, "ids": ids}


@pytest.fixture
def api_schema(world):
    response = APIClient(HTTP_HOST=HOST).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


def real_path_parameters(path: str, ids: dict) -> list[dict]:
    """Path parameters naming seeded objects, for a path such as /api/v1/services/{id}/events/."""
    parts = path.strip("/").split("/")
    if len(parts) >= 5 and parts[4].startswith("{"):  # a two-segment resource: /api/v1/webhooks/deliveries/{id}/
        return [{parts[4].strip("{}"): str(value)} for value in ids.get(f"{parts[2]}/{parts[3]}", [])]
    if len(parts) < 4 or not parts[3].startswith("{"):
        return []
    name = parts[3].strip("{}")
    return [{name: str(value)} for value in ids.get(parts[2], [])]


def examples_for(operation, role: str) -> int:
    """More cases where there is more to combine (query parameters, a body); few where the role is refused
    (the permission check answers before the view reads anything)."""
    match = resolve(operation.path.replace("{id}", str(uuid.uuid4())).replace("{arn}", "x"), urlconf="portal.urls")
    required = policy.api_requirement(match.url_name, operation.method.upper())
    if required != policy.PUBLIC and (required is None or not at_least(role, required)):
        return 5
    definition = operation.definition.raw
    query = [p for p in definition.get("parameters", []) if p.get("in") == "query"]
    return min(EXAMPLES + 3 * len(query) + (EXAMPLES if "requestBody" in definition else 0), 60)


def fuzz(schema, role: str, key: str, ids: dict) -> tuple[Counter, list[str]]:
    """Run every operation's cases with ``key``: counts, and each distinct failure once (with the server's
    traceback for a 5xx)."""
    counts, failures, seen = Counter(), [], set()
    tracebacks = []

    def on_exception(sender, request=None, **kwargs):
        tracebacks.append(traceback.format_exc())

    got_request_exception.connect(on_exception)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            if role == "admin" and (operation.method.upper(), operation.path) == TENANT_DELETE:
                continue
            strategies = []
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategies.append(operation.as_strategy(generation_mode=mode))
                strategies += [operation.as_strategy(generation_mode=mode, path_parameters=params)
                               for params in real_path_parameters(operation.path, ids)]
            strategies += [operation.as_strategy(body=body, media_type="application/json")
                           for body in VALID_BODIES.get((operation.method.upper(), operation.path), [])]

            @settings(max_examples=examples_for(operation, role), deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=st.one_of(strategies))
            def run(case):
                tracebacks.clear()
                with transaction.atomic():
                    try:
                        # identity: the in-process WSGI transport does not decode Content-Encoding (the
                        # palette index is gzipped for clients that ask; search/tests covers that path)
                        response = case.call(base_url=f"http://{HOST}", headers={
                            "Authorization": f"Token {key}", "Accept-Encoding": "identity"})
                    finally:
                        transaction.set_rollback(True)  # every case starts from the seeded data
                counts["cases"] += 1
                counts[(label, response.status_code)] += 1
                if response.status_code >= 500:
                    counts["server_errors"] += 1
                try:
                    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - failed checks: reported below
                    counts["failed_checks"] += 1
                    for failure in getattr(exc, "exceptions", None) or [exc]:
                        text = str(failure).strip()
                        distinct = (label, type(failure).__name__, "\n".join(text.splitlines()[:8]))
                        if distinct in seen:
                            continue
                        seen.add(distinct)
                        curl = case.as_curl_command(headers={"Authorization": "Token ***"})
                        server = f"\n  server traceback:\n{tracebacks[-1][-3000:]}" if tracebacks else ""
                        failures.append(f"[{role}] {label} -> {response.status_code}\n  {curl}\n  "
                                        f"{text[:1500]}{server}")

            run()
    finally:
        got_request_exception.disconnect(on_exception)
    return counts, failures


def test_api_fuzz(api_schema, world, wsgi_app, no_side_effects, quiet_requests, capsys):
    schema = schemathesis.openapi.from_dict(api_schema)
    schema.app = wsgi_app
    operations = sum(1 for _ in schema.get_all_operations())
    assert operations >= 30

    lines, statuses, failures = [], [], []
    for role in ROLES:
        started = time.monotonic()
        counts, found = fuzz(schema, role, world["tokens"][role], world["ids"])
        failures += found
        lines.append(f"schemathesis: {counts['cases']} cases, {counts['server_errors']} server errors "
                     f"({role} token, {operations} operations, {counts['failed_checks']} cases failing a check, "
                     f"{time.monotonic() - started:.0f} s)")
        by_operation = {}
        for entry, count in counts.items():
            if isinstance(entry, tuple):
                by_operation.setdefault(entry[0], []).append(f"{entry[1]}x{count}")
        statuses += [f"  {role:6} {label}: {' '.join(sorted(codes))}" for label, codes in sorted(by_operation.items())]
    assert no_side_effects == [], "a discovery was dispatched to Celery"

    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\nstatus codes per operation:\n" + "\n".join(statuses) + "\n")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert not failures, f"{len(failures)} distinct failures:\n\n" + "\n\n".join(failures)


@pytest.mark.parametrize("method, path, body", [
    # Fixed here: query parameters the schema does not describe, bodies schemathesis rarely makes valid enough.
    ("GET", "/api/v1/runs/?workspace=a%00b", None),
    ("GET", "/api/v1/facts/?workspace=a%00b", None),
    ("GET", "/api/v1/connections/?workspace=a%00b", None),
    ("POST", "/api/v1/connections/", {"provider": "github", "name": "n", "config": {"org": "acme", "x": "\x00"}}),
    ("POST", "/api/v1/discovery/run/", "[" * 100_000),  # nested past Python's recursion limit
    ("DELETE", "/api/v1/tokens/{token}/?reason=a%00b", None),
])
def test_inputs_outside_the_schema_are_no_server_error(world, method, path, body):
    client = APIClient(HTTP_HOST=HOST, raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens']['admin']}")
    path = path.replace("{token}", str(world["ids"]["tokens"][0]))
    if isinstance(body, str):
        response = client.generic(method, path, body, content_type="application/json")
    else:
        response = client.generic(method, path, json.dumps(body) if body else "", content_type="application/json")
    assert response.status_code < 500, response.content[:300]
