"""Suggestions from names (oncall.suggest): pure, no database."""
from oncall.suggest import Candidate, TeamName, normalize, score, suggest

PAYMENTS = TeamName("t1", "payments", "Payments")
PLATFORM = TeamName("t2", "platform", "Platform Team")
PAYMENTS_PLATFORM = TeamName("t3", "payments-platform", "Payments Platform")
SEARCH = TeamName("t4", "search", "Search & Discovery")


def pd(external_id, name):
    return Candidate("pagerduty_schedule", external_id, name)


def og(external_id, name):
    return Candidate("opsgenie_team", external_id, name)


def by_team(found):
    return {(s.team_id, s.field): s for s in found}


def test_names_lose_the_words_every_on_call_name_carries():
    assert normalize("Payments Primary On-Call") == "payments"
    assert normalize("Search on call rotation") == "search"
    assert normalize("Payments Platform - Primary") == "payments platform"
    assert normalize("Primary") == "primary"  # nothing left: the name stays what it was


def test_payments_is_the_payments_primary_schedule_and_the_payments_opsgenie_team():
    found = by_team(suggest([PAYMENTS], [pd("PPAY1", "Payments Primary"), og("og-1", "Payments")]))
    schedule = found[("t1", "pagerduty_schedule_id")]
    assert (schedule.value, schedule.score) == ("PPAY1", 1.0)
    assert schedule.label == 'PagerDuty schedule "Payments Primary"'
    assert found[("t1", "opsgenie_team_id")].value == "og-1"


def test_primary_wins_over_secondary_and_backup():
    found = suggest([PAYMENTS], [pd("PSEC", "Payments Secondary"), pd("PPRI", "Payments Primary"),
                                 pd("PBAK", "Payments Backup")])
    assert [s.value for s in found] == ["PPRI"]


def test_a_longer_team_name_does_not_steal_the_shorter_ones_schedule():
    candidates = [pd("PPAY", "Payments Primary"), pd("PPLAT", "Payments Platform On-Call")]
    found = by_team(suggest([PAYMENTS, PAYMENTS_PLATFORM], candidates))
    assert found[("t1", "pagerduty_schedule_id")].value == "PPAY"
    assert found[("t3", "pagerduty_schedule_id")].value == "PPLAT"
    assert score(PAYMENTS, pd("PPLAT", "Payments Platform On-Call")) < 0.85


def test_team_names_match_as_well_as_slugs():
    found = by_team(suggest([PLATFORM, SEARCH], [og("og-p", "Platform"), og("og-s", "Search and Discovery")]))
    assert found[("t2", "opsgenie_team_id")].value == "og-p"
    assert found[("t4", "opsgenie_team_id")].value == "og-s"


def test_nothing_is_suggested_below_the_threshold():
    assert suggest([PAYMENTS], [pd("PDW", "Data Warehouse"), og("og-b", "Billing Ops")]) == []


def test_two_equally_good_candidates_are_left_to_a_person():
    assert suggest([PAYMENTS], [pd("PA", "Payments"), pd("PB", "Payments")]) == []


def test_one_candidate_goes_to_one_team_the_best_match():
    twins = [TeamName("a", "payments", "Payments"), TeamName("b", "payment", "Payment")]
    found = suggest(twins, [pd("PPAY", "Payments Primary")])
    assert [(s.team_id, s.value) for s in found] == [("a", "PPAY")]


def test_hostile_names_stay_linear_and_harmless():
    long_name = "payments " * 5000 + "(" * 5000
    found = suggest([PAYMENTS], [pd("PX", long_name), pd("PY", ""), og("og-z", "\x00\u202e")])
    assert all(s.value != "PY" and s.value != "og-z" for s in found)
