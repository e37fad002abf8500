"""Answers as Slack messages (pure): what they say for owned, ambiguous and unowned services, teams, choices and
nothing; escaping of everything that comes from people or the catalog; Block Kit's limits; and the blocks
checked against Slack's published types (npm @slack/types via peers.slack_peer.typecheck)."""
import copy
import json

from peers.slack_peer.blocks import validate
from slackbot import messages

URL = "https://acme.roster.example/services/5b1a4a3e-0000-4000-8000-000000000001"
ROUTING = {  # the on-call contract (oncall.routing.for_service)
    "service": {"id": "5b1a4a3e-0000-4000-8000-000000000001", "name": "payments-api"},
    "team": {"id": "t1", "slug": "payments", "name": "Payments"},
    "ownership_status": "owned", "owner_confidence": 0.92, "slack_channel": "#payments",
    "contact_email": "payments@example.com",
    "oncall": [{"name": "Jane Doe", "email": "jane@example.com", "provider": "pagerduty",
                "schedule": "Payments Primary", "until": "2026-01-02T03:04:05Z"}],
    "next_handover_at": "2026-01-02T03:04:05Z",
}


def answer(**changes) -> dict:
    base = {"verb": "who_owns", "query": "payments-api", "match": "exact", "matched": "",
            "service": {"id": ROUTING["service"]["id"], "name": "payments-api", "url": URL},
            "routing": copy.deepcopy(ROUTING), "evidence": "CODEOWNERS 100% · commits 72%",
            "candidates": [{"slug": "payments", "name": "Payments", "score": 0.92},
                           {"slug": "checkout", "name": "Checkout", "score": 0.41}]}
    base.update(changes)
    return base


def everything(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_an_owned_service_names_owner_confidence_evidence_channel_oncall_and_link():
    message = messages.service_answer(answer())
    text = everything(message)
    assert "is owned by *Payments* (`payments`), 92% confident" in message["blocks"][0]["text"]["text"]
    assert "Evidence: CODEOWNERS 100% · commits 72%" in text
    assert "#payments" in text and "Jane Doe (PagerDuty · Payments Primary) until <!date^1767323045^" in text
    assert f"<{URL}|payments-api>" in text and f"<{URL}|Open in Roster>" in text
    # the fallback stands alone: owner, on call and the link, no markup
    assert message["text"].startswith("payments-api owned by Payments (92% confident). Channel: #payments. On call: Jane Doe.")
    assert message["text"].endswith(URL) and message["response_type"] == "ephemeral"


def test_an_ambiguous_service_says_so_and_offers_the_other_candidates():
    routing = {**ROUTING, "ownership_status": "ambiguous", "owner_confidence": 0.55}
    message = messages.service_answer(answer(routing=routing))
    first = message["blocks"][0]["text"]["text"]
    assert ":warning:" in first and "*ambiguous*" in first and "best guess *Payments* (55%)" in first
    assert "also *Checkout* (41%)" in first
    assert "ownership is ambiguous" in message["text"] and "Checkout (41%)" in message["text"]


def test_an_unowned_service_says_so_and_lists_candidates_without_an_owner():
    routing = {**ROUTING, "team": None, "ownership_status": "unowned", "owner_confidence": 0.0, "slack_channel": "",
               "oncall": [], "contact_email": "", "next_handover_at": None}
    message = messages.service_answer(answer(routing=routing, evidence=""))
    first = message["blocks"][0]["text"]["text"]
    assert "has *no clear owner* yet" in first and "Candidates: *Payments* (92%), *Checkout* (41%)" in first
    assert "_nobody known_" in everything(message) and "_not set_" in everything(message)
    assert "has no clear owner yet" in message["text"]


def test_the_next_handover_and_escalation_are_shown_when_known():
    routing = {**ROUTING, "next_oncall": [{"name": "Bob Roe", "from": "2026-01-02T03:04:05Z"}],
               "escalation_policy": {"name": "Payments EP", "url": "https://acme.pagerduty.com/escalation_policies/P1"}}
    text = everything(messages.service_answer(answer(routing=routing)))
    assert "*Next handover*\\n<!date^1767323045^{date_short_pretty} {time}|2026-01-02 03:04 UTC> to Bob Roe" in text
    assert "<https://acme.pagerduty.com/escalation_policies/P1|Payments EP>" in text
    hostile = {**routing, "escalation_policy": {"name": "EP", "url": "javascript:alert(1)"}}
    assert "javascript:" not in everything(messages.service_answer(answer(routing=hostile)))


def test_routing_keys_missing_render_as_unknown_not_an_error():
    message = messages.service_answer(answer(routing={"team": None}))
    assert "no clear owner" in message["text"] and "nobody known" in message["text"]


def test_matches_by_resource_and_typo_are_explained():
    arn = "arn:aws:lambda:us-east-1:111111111111:function:pay"
    assert f"Matched the AWS resource `{arn}`" in everything(messages.service_answer(answer(match="resource", matched=arn)))
    assert "Closest match for “paymnts”" in everything(messages.service_answer(answer(match="closest", query="paymnts")))


def test_catalog_and_user_text_are_escaped_everywhere():
    evil = "<!channel> <https://evil.example|x> & *y*"
    routing = {**ROUTING, "team": {"id": "t", "slug": "t", "name": evil}, "slack_channel": evil,
               "oncall": [{"name": evil, "provider": evil, "schedule": evil, "until": None}], "contact_email": evil}
    message = messages.service_answer(answer(service={"id": "x", "name": evil, "url": URL}, routing=routing,
                                             query=evil, evidence=evil))
    for part in (message["text"], *[json.dumps(b) for b in message["blocks"]]):
        assert "<!channel>" not in part and "<https://evil" not in part
    assert "&lt;!channel&gt;" in message["text"]
    for other in (messages.not_found({"query": evil}), messages.choices({"query": evil, "choices": [
            {"kind": "service", "name": evil, "owner": evil, "url": URL}]}),
            messages.search_results({"query": evil, "hits": [{"name": evil, "owner": evil, "url": URL}],
                                     "teams": [{"name": evil, "url": URL}], "repositories": [{"name": evil}]})):
        assert "<!channel>" not in everything(other) and "<https://evil" not in everything(other)


def test_choices_and_nothing_found():
    choice = messages.choices({"verb": "who_owns", "query": "pay", "choices": [
        {"kind": "service", "name": "payments-api", "owner": "Payments", "url": URL},
        {"kind": "team", "name": "Payroll", "owner": "Payroll", "url": "https://x/teams/payroll"},
        {"kind": "service", "name": "pay-legacy", "owner": "", "url": URL}]})
    text = everything(choice)
    assert "Several things match “pay”" in text and "owned by Payments" in text and "no clear owner" in text
    assert "/roster who owns <name>" in text.replace("&lt;", "<").replace("&gt;", ">")
    none = messages.not_found({"query": "zzz"})
    assert "Nothing in the catalog matches “zzz”" in everything(none) and "/roster search zzz" in everything(none)


def test_long_lists_stay_within_block_kit_limits():
    hits = [{"name": f"service-{i}-" + "x" * 200, "owner": "Team " + "y" * 100, "url": URL, "confidence": 0.5}
            for i in range(8)]
    team = {"slug": "big", "name": "Big", "url": URL, "services": [
        {"name": f"svc-{i}-" + "z" * 150, "url": URL, "ownership_status": "owned", "owner_confidence": 0.9}
        for i in range(200)]}
    for surface, built in (("message", messages.search_results({"query": "q" * 500, "hits": hits})["blocks"]),
                           ("home", messages.home_view({"teams": [team] * 10})["blocks"]),
                           ("message", messages.service_answer(answer(evidence="e" * 5000))["blocks"])):
        assert validate(built, surface) == []


def test_home_without_teams_explains_and_shows_how_to_ask():
    view = messages.home_view({"reason": "Roster knows no team of yours."})
    assert view["type"] == "home" and "Roster knows no team of yours." in everything(view)
    assert "/roster who owns payments-api" in everything(view)


def test_messages_match_slacks_published_types():
    from peers.slack_peer.typecheck import check

    routing = {**ROUTING, "ownership_status": "ambiguous", "next_oncall": [{"name": "Bob"}],
               "escalation_policy": {"name": "EP", "url": "https://x.pagerduty.com/escalation_policies/P1"}}
    items = [("respond", messages.service_answer(answer(routing=routing))),
             ("respond", messages.team_answer({"verb": "oncall", "query": "payments", "services": 3, "routing": ROUTING,
                                              "team": {"id": "t1", "slug": "payments", "name": "Payments", "url": URL}})),
             ("respond", messages.help_message()), ("respond", messages.not_connected()),
             ("respond", messages.usage("Tell me what to look up.")), ("respond", messages.unavailable()),
             ("respond", messages.not_found({"query": "x"})),
             ("respond", messages.search_results({"query": "q", "hits": [{"name": "a", "owner": "", "url": URL}],
                                                  "teams": [{"name": "T", "url": URL}], "repositories": [{"name": "r"}]})),
             ("request:views.publish", {"user_id": "U1", "view": messages.home_view({"reason": "none"})}),
             ("request:chat.unfurl", {"channel": "C1", "ts": "1.2", "unfurls": {URL: messages.service_card(answer())}})]
    assert check(items) == []


def test_every_angle_bracket_is_a_link_a_date_or_a_channel_we_made():
    import re

    built = [messages.service_answer(answer()), messages.help_message(), messages.not_connected(),
             messages.usage("Tell me."), messages.unavailable(), messages.not_found({"query": "<x>"}),
             messages.choices({"query": "<q>", "choices": [{"kind": "service", "name": "<n>", "url": URL}]}),
             messages.home_view({"reason": "<r>"}),
             messages.home_view({"teams": [{"slug": "s", "name": "<t>", "url": URL, "slack_channel": "C0123ABCD",
                                            "services": [{"name": "<s>", "url": URL}]}]})]
    for message in built:
        for text in re.findall(r'"text": "((?:[^"\\]|\\.)*)"', json.dumps(message)):
            for bracket in re.findall(r"<[^>]*>?", text):
                assert re.match(r"<(https?://[^|<>]+\|[^<>]*|#C[A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+)>$", bracket), \
                    (bracket, text)
