"""Signing, the retry schedule and payload building: plain functions, no database, no server."""
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from notifications import backoff, events, payloads, signing
from notifications.tests.receiver import SCHEMAS, assert_valid

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
BASE = "https://acme.roster.example"


# --- signing -------------------------------------------------------------------------------------------------
def test_the_signature_is_the_documented_hmac_of_timestamp_dot_body():
    secret, body, timestamp = "whsec_test", b'{"a":1}', 1767225600
    # Known answer, computed independently of signing.py: HMAC-SHA256(secret, "1767225600." + body).
    expected = hmac.new(b"whsec_test", b'1767225600.{"a":1}', hashlib.sha256).hexdigest()
    assert signing.signature(secret, timestamp, body) == "sha256=" + expected
    headers = signing.headers(event_type="run.finished", delivery_id="d-1", secret=secret, body=body,
                              timestamp=timestamp)
    assert headers["X-Roster-Signature"] == "sha256=" + expected
    assert headers["X-Roster-Timestamp"] == "1767225600" and headers["X-Roster-Event"] == "run.finished"
    assert headers["X-Roster-Delivery"] == "d-1" and headers["Content-Type"] == "application/json"
    assert secret not in json.dumps(headers)


def test_a_receiver_rejects_tampering_another_secret_and_replays():
    secret, body, now = "whsec_x", b'{"type":"ping"}', 1_800_000_000
    good = signing.signature(secret, now, body)
    assert signing.verify(secret, body, str(now), good, now=now + 299)
    assert not signing.verify(secret, body + b" ", str(now), good, now=now)           # body changed
    assert not signing.verify("whsec_y", body, str(now), good, now=now)                # someone else's secret
    assert not signing.verify(secret, body, str(now + 1), good, now=now)               # timestamp changed
    assert not signing.verify(secret, body, str(now), good, now=now + 301)             # replayed 5 min later
    assert not signing.verify(secret, body, "soon", good, now=now)
    assert not signing.verify(secret, body, None, None, now=now)


def test_secrets_are_new_each_time_and_long():
    made = {signing.new_secret() for _ in range(50)}
    assert len(made) == 50
    assert all(s.startswith("whsec_") and len(s) >= 40 for s in made)


def test_the_body_is_the_same_bytes_whatever_the_key_order():
    assert signing.encode({"b": 1, "a": "é"}) == signing.encode({"a": "é", "b": 1}) == '{"a":"é","b":1}'.encode()


# --- backoff -------------------------------------------------------------------------------------------------
POLICY = backoff.Policy(base=30, cap=3600, retry_for=86400, disable_after_failures=20, disable_after=86400)


def test_waits_double_from_thirty_seconds_and_stop_at_an_hour():
    waits = [backoff.delay(n, POLICY) for n in range(1, 12)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]
    assert backoff.delay(10_000, POLICY) == 3600  # no overflow however long it failed


def test_retries_stop_when_the_window_closes():
    until = T0 + timedelta(hours=24)
    assert backoff.next_attempt(1, T0, until, POLICY) == T0 + timedelta(seconds=30)
    late = until - timedelta(seconds=100)
    assert backoff.next_attempt(9, late, until, POLICY) == until  # the last try is at the window's end
    assert backoff.next_attempt(10, until, until, POLICY) is None
    # A day of failures at these waits is ~30 attempts: 8 to reach the cap, then one an hour.
    now, attempts = T0, 0
    while (nxt := backoff.next_attempt(attempts + 1, now, until, POLICY)) is not None:
        attempts += 1
        now = nxt
    assert 28 <= attempts + 1 <= 32


def test_a_subscription_is_turned_off_after_twenty_failures_or_a_day_of_them():
    assert backoff.disable_reason(19, T0, T0 + timedelta(hours=1), POLICY) == ""
    assert "20 deliveries in a row" in backoff.disable_reason(20, T0, T0 + timedelta(hours=1), POLICY)
    assert "24 h" in backoff.disable_reason(3, T0, T0 + timedelta(hours=24), POLICY)
    assert backoff.disable_reason(0, None, T0, POLICY) == ""


# --- payloads ------------------------------------------------------------------------------------------------
TENANT = {"schema": "acme", "host": "acme.roster.example"}
SERVICE = payloads.service(base=BASE, id=uuid.UUID(int=7), name="checkout-api",
                           owner=payloads.team("payments", "Payments"), confidence=0.87654,
                           ownership_status="owned", lifecycle="production")
RUN_ID = uuid.UUID(int=9)


def test_event_ids_are_stable_per_row_and_type_and_differ_across_tenants():
    one = payloads.event_id("acme", "discovery_event", 12, "service.discovered")
    assert one == payloads.event_id("acme", "discovery_event", 12, "service.discovered")
    assert len({one, payloads.event_id("other", "discovery_event", 12, "service.discovered"),
                payloads.event_id("acme", "discovery_event", 13, "service.discovered"),
                payloads.event_id("acme", "discovery_event", 12, "ownership.changed"),
                payloads.event_id("acme", "audit_event", 12, "service.discovered")}) == 5


def test_links_lead_to_the_console_pages():
    assert SERVICE["url"] == f"{BASE}/services/00000000-0000-0000-0000-000000000007"
    assert payloads.run(base=BASE + "/", id=RUN_ID)["url"] == f"{BASE}/runs/00000000-0000-0000-0000-000000000009"
    assert SERVICE["confidence"] == 0.877 and SERVICE["owner"] == {"slug": "payments", "name": "Payments"}
    gone = payloads.service(base=BASE, id=None, name="old-thing")
    assert gone["url"] is None and gone["owner"] is None


EXAMPLES = {
    "service.discovered": {"service": SERVICE, "reason": "stack_name", "run": payloads.run_ref(base=BASE, id=RUN_ID)},
    "service.retired": {"service": {**SERVICE, "lifecycle": "eol"}, "lifecycle": {"from": "deprecated", "to": "eol"},
                        "reason": "not seen", "run": None},
    "service.renamed": {"service": SERVICE, "field": "name", "old": "checkout", "new": "checkout-api", "run": None},
    "ownership.changed": {"service": SERVICE, "old_owner": None, "new_owner": "payments", "confidence": 0.8,
                          "source": "codeowners", "run": payloads.run_ref(base=BASE, id=RUN_ID)},
    "ownership.ambiguous": {"service": {**SERVICE, "ownership_status": "ambiguous"},
                            "runner_up": {"slug": "billing", "name": "Billing", "score": 0.61},
                            "candidates": [{"team": "payments", "score": 0.64}], "run": None},
    "run.queued": {"run": payloads.run(base=BASE, id=RUN_ID, kind="scan", status="queued", connection=uuid.uuid4(),
                                       trigger="api")},
    "run.finished": {"run": payloads.run(base=BASE, id=RUN_ID, kind="scan", status="partial", trigger="schedule",
                                         started_at=T0, finished_at=T0 + timedelta(minutes=3)),
                     "status": "partial", "counts": {"succeeded": 3, "failed": 1, "facts": 120}},
    "retirement.held": {"hold": {"id": 4, "status": "pending", "total_services": 40, "held": 1, "services": [
        {"id": str(uuid.UUID(int=7)), "name": "checkout-api", "to": "deprecated", "url": SERVICE["url"]}]},
        "run": payloads.run_ref(base=BASE, id=RUN_ID)},
    events.PING: payloads.ping(subscription_id=uuid.uuid4(), name="ops"),
}


def test_every_event_has_a_schema_file_and_an_example_here():
    assert {p.stem for p in SCHEMAS.glob("*.json")} == {*events.ALL, events.PING, "envelope"}
    assert set(EXAMPLES) == {*events.ALL, events.PING}


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_built_payloads_validate_against_their_schema(event_type):
    body = payloads.envelope(event_id=uuid.uuid4(), event_type=event_type, created_at=T0, tenant=TENANT,
                             workspace="default", data=EXAMPLES[event_type])
    assert_valid(json.loads(signing.encode(body)))


@pytest.mark.parametrize("broken", [
    lambda p: p.pop("tenant"),
    lambda p: p.update(type="service.exploded"),
    lambda p: p["data"].pop("service"),
    lambda p: p["data"]["service"].update(id="not-a-uuid"),
    lambda p: p["data"].update(extra=1),
    lambda p: p.update(created_at="yesterday"),
])
def test_the_schemas_refuse_what_roster_does_not_send(broken):
    payload = payloads.envelope(event_id=uuid.uuid4(), event_type="service.discovered", created_at=T0,
                                tenant=TENANT, workspace="default", data=json.loads(json.dumps(
                                    EXAMPLES["service.discovered"])))
    broken(payload)
    with pytest.raises(AssertionError):
        assert_valid(payload)
