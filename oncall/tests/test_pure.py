"""Pure parts of on-call: who is on call from shifts, rolling an answer past a handover, and the vendor client's
rules (retries honouring what the vendor asks, reason codes, origin pinning, no key in a message), against the
local peers served in threads. No database."""
from datetime import datetime, timedelta, timezone

import pytest

from oncall.models import OnCallSchedule
from oncall.routing import _shifts_at
from oncall.vendors import opsgenie, pagerduty
from oncall.vendors.http import JsonClient, OnCallFailure, asked_wait
from oncall.vendors.shifts import Shift, now_and_next, vendor_id
from peers import opsgenie_peer, pagerduty_peer
from peers.serving import serve_in_thread

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def shift(start, end, name):
    return Shift(start, end, name, f"{name.lower()}@x.test")


def test_now_and_next_across_layers():
    shifts = [shift(T0 - 2 * H, T0 + 3 * H, "Alice"), shift(T0 + 3 * H, T0 + 9 * H, "Bob"),
              shift(T0 - H, T0 + 5 * H, "Carol"), shift(T0 + 5 * H, T0 + 20 * H, "Dan")]
    now, until, upcoming, upcoming_until = now_and_next(shifts, T0)
    assert [p["name"] for p in now] == ["Alice", "Carol"]
    assert until == T0 + 3 * H  # the earliest handover of the two layers
    assert [p["name"] for p in upcoming] == ["Bob", "Carol"] and upcoming_until == T0 + 5 * H


def test_nobody_on_call_now_then_the_next_shift_is_the_handover():
    assert now_and_next([shift(T0 + 2 * H, T0 + 4 * H, "Bob")], T0) == (
        [], T0 + 2 * H, [{"name": "Bob", "email": "bob@x.test"}], T0 + 4 * H)
    assert now_and_next([], T0) == ([], None, [], None)


def test_an_answer_rolls_forward_past_the_handover_until_the_next_one():
    schedule = OnCallSchedule(current=[{"name": "Alice"}], current_until=T0, upcoming=[{"name": "Bob"}],
                              upcoming_until=T0 + 12 * H)
    assert _shifts_at(schedule, T0 - H)[0] == [{"name": "Alice"}]
    assert _shifts_at(schedule, T0 + H) == ([{"name": "Bob"}], T0 + 12 * H, [], None)
    assert _shifts_at(schedule, T0 + 13 * H) == ([], None, [], None)  # two handovers behind: says nothing


@pytest.mark.parametrize("value,expected", [("PABC123", "PABC123"), ("4f1c-9e_a.b", "4f1c-9e_a.b"), ("../x", ""),
                                            ("a/b", ""), ("..", ""), ("x" * 65, ""), (None, ""), (12, "12"),
                                            ("a b", ""), ("a%2Fb", "")])
def test_vendor_ids_that_go_in_a_path_are_plain(value, expected):
    assert vendor_id(value) == expected


def test_asked_wait_reads_every_vendors_header():
    assert asked_wait({"Retry-After": "3"}) == 3.0
    assert asked_wait({"ratelimit-reset": "7"}) == 7.0
    assert asked_wait({"X-RateLimit-Period-In-Sec": "60"}) == 60.0
    assert asked_wait({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, now=datetime(2026, 10, 21, 7, 27, 50,
                                                                                       tzinfo=timezone.utc)
                      .timestamp()) == 10.0
    assert asked_wait({}) is None


@pytest.fixture(scope="module")
def scenario():
    from pathlib import Path

    from peers.scenario import load_scenario

    return load_scenario(Path(__file__).with_name("oncall-co.yaml"))


@pytest.fixture
def pd_peer(scenario):
    app = pagerduty_peer.create_app(scenario, token="pd-key-0123456789", now=lambda: T0)
    url, stop = serve_in_thread(app)
    yield url, app
    stop()


@pytest.fixture
def og_peer(scenario):
    app = opsgenie_peer.create_app(scenario, token="og-key-0123456789", now=lambda: T0)
    url, stop = serve_in_thread(app)
    yield url, app
    stop()


def fault(app, **spec):
    app.test_client().post("/_peer/faults", json=spec)


def test_retries_wait_what_the_vendor_asked(pd_peer):
    url, app = pd_peer
    fault(app, status=429, times=2, retry_after="2", path="/oncalls")
    fault(app, status=502, times=1, path="/services")
    slept = []
    api = pagerduty.client(url, "pd-key-0123456789", sleep=slept.append)
    snapshot = pagerduty.read(api, T0)
    assert {s.name for s in snapshot.schedules} >= {"Payments Primary", "Search On-Call"}
    assert slept[:2] == [pytest.approx(2.0, abs=0.3)] * 2  # Retry-After, twice, plus a little jitter
    assert api.stats.as_dict()["retries"] == 3 and api.stats.as_dict()["throttled"] == 2


def test_a_wait_longer_than_allowed_fails_at_once_as_rate_limited(og_peer):
    url, app = og_peer
    fault(app, status=429, times=5, retry_after="3600")
    slept = []
    with pytest.raises(OnCallFailure) as failure:
        opsgenie.read(opsgenie.client(url, "og-key-0123456789", sleep=slept.append), T0)
    assert failure.value.reason_code == "rate_limited" and slept == []
    assert "rate limit" in failure.value.remediation


def test_server_errors_give_up_with_a_reason_code(og_peer):
    url, app = og_peer
    fault(app, status=503, times=10)
    with pytest.raises(OnCallFailure) as failure:
        opsgenie.read(opsgenie.client(url, "og-key-0123456789", sleep=lambda s: None, max_retries=2), T0)
    assert failure.value.reason_code == "unexpected_response" and "503" in failure.value.message


def test_a_vendor_echoing_the_key_never_puts_it_in_a_failure(pd_peer, og_peer):
    for (url, app), vendor, key in ((pd_peer, pagerduty, "pd-key-0123456789"), (og_peer, opsgenie,
                                                                                 "og-key-0123456789")):
        fault(app, status=401, echo_auth=True, body="Unauthorized")
        with pytest.raises(OnCallFailure) as failure:
            vendor.read(vendor.client(url, key), T0)
        assert failure.value.reason_code == "bad_credentials"
        assert key not in failure.value.message and key not in str(failure.value.as_dict())
        assert "Unauthorized" in failure.value.message


def test_the_key_goes_to_the_base_urls_origin_only(og_peer):
    url, _ = og_peer
    api = JsonClient(url, "GenieKey og-key-0123456789", vendor="Opsgenie")
    for elsewhere in ("http://169.254.169.254/latest/meta-data/", "https://evil.example/v2/users",
                      url.replace("127.0.0.1", "localhost") + "/v2/teams", url + ":80/v2/teams",
                      "http://user:pw@" + url.split("://")[1] + "/v2/teams"):
        with pytest.raises(OnCallFailure) as refused:
            api.get(elsewhere)
        assert refused.value.reason_code == "endpoint_refused"
    assert api.stats.api_calls == 0  # nothing was sent


def test_a_paging_link_to_another_host_is_not_followed(og_peer):
    url, app = og_peer
    peer = app.config["PEER"]
    peer.people.update({f"user{n}@x.test": f"User {n}" for n in range(150)})  # two pages of users

    class Hostile(JsonClient):
        def get(self, path, params=None, **kwargs):
            body = super().get(path, params, **kwargs)
            if isinstance(body, dict) and isinstance(body.get("paging"), dict) and body["paging"].get("next"):
                body["paging"]["next"] = "https://collector.example/v2/users?offset=100"
            return body

    api = Hostile(url, "GenieKey og-key-0123456789", vendor="Opsgenie")
    with pytest.raises(OnCallFailure) as refused:
        opsgenie.users(api)
    assert refused.value.reason_code == "endpoint_refused" and "collector.example" in refused.value.message


def test_redirects_are_never_followed():
    from flask import Flask, redirect

    app = Flask("redirector")
    app.add_url_rule("/v2/teams", "teams", lambda: redirect("https://collector.example/steal", 302))
    url, stop = serve_in_thread(app)
    try:
        with pytest.raises(OnCallFailure) as failure:
            JsonClient(url, "GenieKey k-0123456789", vendor="Opsgenie").get("/v2/teams")
    finally:
        stop()
    assert failure.value.reason_code == "unexpected_response" and "redirect" in failure.value.message


def test_malformed_answers_fail_with_a_reason_not_a_crash(og_peer):
    url, app = og_peer
    fault(app, status=200, body=None)  # a 200 whose body is an error envelope without data
    with pytest.raises(OnCallFailure) as failure:
        opsgenie.read(opsgenie.client(url, "og-key-0123456789"), T0)
    assert failure.value.reason_code == "unexpected_response"
