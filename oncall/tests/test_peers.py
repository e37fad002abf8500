"""The local PagerDuty and Opsgenie peers and the scenario format's ``oncall`` section.

No published OpenAPI description of either API is on the registries Roster can reach (npm, PyPI, Debian), so the
peers' answers are checked here against the shapes the vendors document, written down as JSON Schemas (the parts
Roster reads, with the vendors' required fields)."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from peers import opsgenie_peer, pagerduty_peer
from peers.scenario import ScenarioError, load_scenario, parse_scenario, rotation_shifts

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).with_name("oncall-co.yaml")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
PD = {"Authorization": "Token token=pd-key", "Accept": "application/vnd.pagerduty+json;version=2"}
OG = {"Authorization": "GenieKey og-key"}

REF = {"type": "object", "required": ["id", "type", "summary", "self", "html_url"],
       "properties": {"id": {"type": "string"}, "type": {"type": "string", "pattern": "_reference$"}}}
PD_LIST = {"type": "object", "required": ["limit", "offset", "more", "total"],
           "properties": {"limit": {"type": "integer"}, "offset": {"type": "integer"}, "more": {"type": "boolean"},
                          "total": {"type": ["integer", "null"]}}}
PD_SCHEDULE = {"type": "object", "required": ["id", "type", "summary", "self", "html_url", "name", "time_zone",
                                              "escalation_policies", "users"],
               "properties": {"type": {"const": "schedule"}, "escalation_policies": {"type": "array", "items": REF},
                              "users": {"type": "array", "items": REF}, "teams": {"type": "array", "items": REF}}}
PD_USER = {"type": "object", "required": ["id", "type", "summary", "name", "email"],
           "properties": {"type": {"const": "user"}, "email": {"type": "string", "format": "email"}}}
PD_ONCALL = {"type": "object",
             "required": ["escalation_policy", "escalation_level", "schedule", "user", "start", "end"],
             "properties": {"escalation_policy": REF, "escalation_level": {"type": "integer", "minimum": 1},
                            "schedule": {"oneOf": [REF, {"type": "null"}]}, "user": {"oneOf": [REF, PD_USER]},
                            "start": {"type": ["string", "null"]}, "end": {"type": ["string", "null"]}}}
PD_POLICY = {"type": "object", "required": ["id", "type", "name", "escalation_rules", "num_loops"],
             "properties": {"type": {"const": "escalation_policy"}, "escalation_rules": {"type": "array", "items": {
                 "type": "object", "required": ["id", "escalation_delay_in_minutes", "targets"],
                 "properties": {"targets": {"type": "array", "items": REF}}}}}}
PD_SERVICE = {"type": "object", "required": ["id", "type", "name", "status", "escalation_policy"],
              "properties": {"type": {"const": "service"}, "escalation_policy": REF}}
PD_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["message", "code"], "properties": {"code": {"type": "integer"}}}}}

OG_BASE = {"type": "object", "required": ["requestId", "took"],
           "properties": {"requestId": {"type": "string"}, "took": {"type": "number"}}}
OG_META = {"type": "object", "required": ["id", "name", "enabled"]}
OG_PARTICIPANT = {"type": "object", "required": ["id", "name", "type"]}
OG_SCHEDULE = {"type": "object", "required": ["id", "name", "timezone", "enabled"],
               "properties": {"ownerTeam": {"type": "object", "required": ["id", "name"]}}}
OG_PERIOD = {"type": "object", "required": ["startDate", "endDate", "type", "recipient"],
             "properties": {"recipient": {"type": "object", "required": ["id", "type", "name"]}}}


def check(body, *schemas):
    for schema in schemas:
        jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


@pytest.fixture
def pd(scenario):
    return pagerduty_peer.create_app(scenario, token="pd-key", now=lambda: T0).test_client()


@pytest.fixture
def og(scenario):
    return opsgenie_peer.create_app(scenario, token="og-key", now=lambda: T0).test_client()


# --- the scenario format ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_scenario_still_loads_with_an_empty_oncall_section(path):
    doc = load_scenario(path)
    assert doc["oncall"]["pagerduty"] == {"schedules": [], "escalation_policies": [], "services": []}
    assert doc["oncall"]["opsgenie"] == {"teams": [], "schedules": []}
    assert doc["github"]["orgs"] or doc["aws"]["accounts"]


def test_the_oncall_section_takes_its_defaults(scenario):
    section = scenario["oncall"]
    search = next(s for s in section["pagerduty"]["schedules"] if s["name"] == "Search On-Call")
    assert search["id"].startswith("P") and len(search["id"]) == 7 and search["shift_hours"] == 12
    warehouse = next(s for s in section["pagerduty"]["schedules"] if s["name"] == "Data Warehouse")
    assert warehouse["start"] == "2026-01-05T00:00:00Z" and warehouse["shift_hours"] == 168
    policy = next(p for p in section["pagerduty"]["escalation_policies"] if p["name"] == "Payments Escalation")
    assert [level["schedules"] for level in policy["levels"]] == [["PPAYPRI"], ["PPAYSEC"]]
    assert section["pagerduty"]["services"][0]["escalation_policy"] == policy["id"]
    platform = section["opsgenie"]["schedules"][0]
    assert platform["team"]["name"] == "Platform" and platform["team"]["id"] == section["opsgenie"]["teams"][0]["id"]
    assert section["people"]["frank@oncall.test"] == "Frank Moss"
    assert section["people"]["alice@oncall.test"] == "Alice Ng"  # from the GitHub members


def test_a_parsed_scenario_is_json_and_parses_again_to_itself(scenario):
    import json

    again = parse_scenario(json.dumps(scenario))  # what peers.demo sends the emulator
    assert again["oncall"] == scenario["oncall"]


def test_the_documented_example_loads_as_documented():
    import re

    example = re.search(r"```yaml\n(.*?)```", (ROOT / "scenarios" / "FORMAT.md").read_text(), re.S).group(1)
    section = parse_scenario(example)["oncall"]
    assert section["pagerduty"]["services"] == [{"id": "PPAYSVC", "name": "payment-gateway",
                                                 "escalation_policy": "PPAYEP1"}]
    assert section["pagerduty"]["escalation_policies"][0]["levels"][0]["schedules"] == ["PPAYPRI"]
    schedule = section["opsgenie"]["schedules"][0]
    assert schedule["team"]["id"] == section["opsgenie"]["teams"][0]["id"] and schedule["shift_hours"] == 168


@pytest.mark.parametrize("oncall,message", [
    ("oncall: [1]", "oncall must be a mapping"),
    ("oncall: {pagerduty: {schedules: [{users: [a@x.test]}]}}", "with a name"),
    ("oncall: {pagerduty: {schedules: [{name: A, start: yesterday}]}}", "ISO 8601"),
    ("oncall: {opsgenie: {schedules: [{name: A, shift_hours: 0}]}}", "shift_hours"),
])
def test_a_bad_oncall_section_is_a_clear_error(oncall, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(f"format: roster-scenario/1\nname: bad\n{oncall}\n")


def test_rotations_take_turns_and_stay_bounded(scenario):
    payments = scenario["oncall"]["pagerduty"]["schedules"][0]
    shifts = rotation_shifts(payments, T0, T0 + timedelta(days=2))
    assert [(s.isoformat(), who) for s, _, who in shifts] == [
        ("2026-03-02T09:00:00+00:00", "alice@oncall.test"), ("2026-03-03T09:00:00+00:00", "bob@oncall.test"),
        ("2026-03-04T09:00:00+00:00", "alice@oncall.test")]
    quarter_hour = {**payments, "shift_hours": 0.25}
    assert len(rotation_shifts(quarter_hour, T0, T0 + timedelta(days=3650))) == 2000
    assert rotation_shifts(payments, datetime(2025, 1, 1, tzinfo=timezone.utc),
                           datetime(2025, 2, 1, tzinfo=timezone.utc)) == []  # before the rotation started


# --- PagerDuty ----------------------------------------------------------------------------------------------

def test_pagerduty_lists_schedules_with_its_pagination(pd):
    first = pd.get("/schedules?limit=2", headers=PD).get_json()
    check(first, PD_LIST)
    assert first["more"] is True and first["total"] is None and len(first["schedules"]) == 2
    for schedule in first["schedules"]:
        check(schedule, PD_SCHEDULE)
    rest = pd.get("/schedules?limit=2&offset=2&total=true", headers=PD).get_json()
    assert rest["more"] is False and rest["total"] == 4
    assert pd.get("/schedules?query=search", headers=PD).get_json()["schedules"][0]["name"] == "Search On-Call"


def test_pagerduty_oncalls_per_shift_and_level_with_users_included(pd):
    since, until = "2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z"
    body = pd.get(f"/oncalls?schedule_ids[]=PPAYPRI&since={since}&until={until}&include[]=users", headers=PD)
    body = body.get_json()
    check(body, PD_LIST)
    assert [(o["user"]["email"], o["start"], o["end"]) for o in body["oncalls"]] == [
        ("alice@oncall.test", "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z"),
        ("bob@oncall.test", "2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z")]
    for oncall in body["oncalls"]:
        check(oncall, PD_ONCALL)
        check(oncall["user"], PD_USER)
    refs = pd.get(f"/oncalls?schedule_ids[]=PPAYPRI&since={since}&until={until}&earliest=true", headers=PD).get_json()
    assert len(refs["oncalls"]) == 2 and refs["oncalls"][0]["user"]["type"] == "user_reference"


def test_pagerduty_schedule_renders_its_final_schedule(pd):
    body = pd.get("/schedules/PPAYPRI?since=2026-03-02T10:00:00Z&until=2026-03-03T10:00:00Z", headers=PD).get_json()
    check(body["schedule"], PD_SCHEDULE)
    entries = body["schedule"]["final_schedule"]["rendered_schedule_entries"]
    assert [(e["start"], e["end"]) for e in entries] == [("2026-03-02T10:00:00Z", "2026-03-03T09:00:00Z"),
                                                        ("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z")]


def test_pagerduty_policies_and_services(pd):
    policies = pd.get("/escalation_policies", headers=PD).get_json()["escalation_policies"]
    for policy in policies:
        check(policy, PD_POLICY)
    payments = next(p for p in policies if p["name"] == "Payments Escalation")
    assert [[t["id"] for t in r["targets"]] for r in payments["escalation_rules"]] == [["PPAYPRI"], ["PPAYSEC"]]
    services = pd.get("/services", headers=PD).get_json()["services"]
    for service in services:
        check(service, PD_SERVICE)
    assert {s["name"]: s["escalation_policy"]["summary"] for s in services}["payment-gateway"] == "Payments Escalation"


def test_pagerduty_refuses_a_wrong_key_and_bad_input_as_documented(pd):
    for headers in ({}, {"Authorization": "Token token=wrong"}, {"Authorization": "Bearer pd-key"}):
        response = pd.get("/schedules", headers=headers)
        assert response.status_code == 401
        check(response.get_json(), PD_ERROR)
        assert response.get_json()["error"]["code"] == 2006
    assert pd.get("/schedules/PNOPE", headers=PD).status_code == 404
    bad = pd.get("/oncalls?since=2026-03-02T10:00:00Z&until=2025-01-01T00:00:00Z", headers=PD)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == 2004
    assert pd.get("/schedules?limit=x", headers=PD).status_code == 400


def test_requests_are_recorded_without_the_key(pd):
    pd.get("/schedules", headers=PD)
    seen = pd.get("/_peer/requests").get_json()
    assert seen[-1]["path"] == "/schedules" and seen[-1]["authorized"] is True
    assert "pd-key" not in str(seen)


# --- Opsgenie -----------------------------------------------------------------------------------------------

def test_opsgenie_teams_and_schedules(og):
    teams = og.get("/v2/teams", headers=OG).get_json()
    check(teams, OG_BASE)
    assert [t["name"] for t in teams["data"]] == ["Platform", "Billing Ops"]
    schedules = og.get("/v2/schedules?expand=rotation", headers=OG).get_json()
    check(schedules, OG_BASE)
    assert schedules["expandable"] == ["rotation"]
    check(schedules["data"][0], OG_SCHEDULE)
    assert schedules["data"][0]["rotations"][0]["participants"][0]["username"] == "dave@oncall.test"


def test_opsgenie_who_is_on_call_now_and_next(og, scenario):
    schedule = scenario["oncall"]["opsgenie"]["schedules"][0]
    now = og.get(f"/v2/schedules/{schedule['id']}/on-calls?scheduleIdentifierType=id", headers=OG).get_json()
    check(now, OG_BASE)
    check(now["data"]["_parent"], OG_META)
    assert [p["name"] for p in now["data"]["onCallParticipants"]] == ["dave@oncall.test"]
    check(now["data"]["onCallParticipants"][0], OG_PARTICIPANT)
    flat = og.get("/v2/schedules/Platform_schedule/on-calls?scheduleIdentifierType=name&flat=true", headers=OG)
    assert flat.get_json()["data"]["onCallRecipients"] == ["dave@oncall.test"]
    following = og.get("/v2/schedules/Platform_schedule/next-on-calls?scheduleIdentifierType=name&flat=true",
                       headers=OG).get_json()
    assert following["data"]["nextOnCallRecipients"] == ["erin@oncall.test"]


def test_opsgenie_timeline_periods(og):
    body = og.get("/v2/schedules/Platform_schedule/timeline?identifierType=name&interval=2&intervalUnit=weeks",
                  headers=OG).get_json()
    check(body, OG_BASE)
    periods = body["data"]["finalTimeline"]["rotations"][0]["periods"]
    for period in periods:
        check(period, OG_PERIOD)
    assert [(p["recipient"]["name"], p["endDate"]) for p in periods] == [
        ("dave@oncall.test", "2026-03-09T09:00:00Z"), ("erin@oncall.test", "2026-03-16T09:00:00Z"),
        ("dave@oncall.test", "2026-03-16T10:00:00Z")]  # cut at the end of the two weeks asked for


def test_opsgenie_users_page_with_absolute_links(og):
    first = og.get("/v2/users?limit=2", headers=OG).get_json()
    check(first, OG_BASE)
    assert first["totalCount"] == 6 and first["paging"]["next"].startswith("http://localhost/v2/users?limit=2&offset=2")
    last = og.get("/v2/users?limit=2&offset=4", headers=OG).get_json()
    assert "next" not in last["paging"] and len(last["data"]) == 2


def test_opsgenie_refusals_as_documented(og):
    refused = og.get("/v2/teams", headers={"Authorization": "GenieKey wrong"})
    assert refused.status_code == 401 and refused.get_json()["message"] == "Could not authenticate"
    check(refused.get_json(), OG_BASE)
    assert og.get("/v2/schedules/nope/on-calls", headers=OG).status_code == 404
    assert og.get("/v2/schedules/x/timeline?identifierType=email", headers=OG).status_code == 422
    og.post("/_peer/faults", json={"status": 429, "times": 1})
    limited = og.get("/v2/teams", headers=OG)
    assert limited.status_code == 429 and limited.headers["X-RateLimit-State"] == "THROTTLED"
