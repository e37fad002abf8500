"""Reading what people type after /roster, and making anything shown safe for Slack (pure)."""
import pytest

from slackbot.commands import HELP, ONCALL, SEARCH, WHO_OWNS, Command, CommandError, parse
from slackbot.text import MAX_QUERY_CHARS, channel, escape, plain, slack_date


@pytest.mark.parametrize("text, expected", [
    ("who owns payments-api", Command(WHO_OWNS, "payments-api")),
    ("Who Owns  payments-api?", Command(WHO_OWNS, "payments-api")),
    ("whoowns payments-api", Command(WHO_OWNS, "payments-api")),
    ("owner of arn:aws:lambda:us-east-1:111111111111:function:pay", Command(WHO_OWNS, "arn:aws:lambda:us-east-1:111111111111:function:pay")),
    ("oncall payments", Command(ONCALL, "payments")),
    ("on-call for payments", Command(ONCALL, "payments")),
    ("who is on call for checkout-web", Command(ONCALL, "checkout-web")),
    ("search checkout", Command(SEARCH, "checkout")),
    ("help", Command(HELP)),
    ("", Command(HELP)),
    ("   ", Command(HELP)),
    ("payments-api", Command(WHO_OWNS, "payments-api", implicit=True)),
    ("ownership-service", Command(WHO_OWNS, "ownership-service", implicit=True)),  # "owns" is a word, not a prefix
    ("searchlight", Command(WHO_OWNS, "searchlight", implicit=True)),
])
def test_commands_are_read(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["who owns", "oncall", "search   ", "who owns ?"])
def test_a_verb_without_a_question_says_how_to_ask(text):
    with pytest.raises(CommandError, match=r"Tell me what to look up, e\.g\. `/roster "):
        parse(text)


def test_slack_wrapping_is_undone():
    # What Slack sends for a pasted link, a channel, a mention and escaped characters.
    assert plain("who owns <https://acme.example/services/1|acme.example/services/1>") == \
        "who owns https://acme.example/services/1"
    assert plain("<#C0123ABCD|payments> &lt;b&gt; &amp; <@U0123|alice>") == "#payments <b> & @alice"
    assert plain("ping <!channel> now") == "ping now"
    assert plain("a\x00b\tc\n\nd") == "a b c d"


def test_long_text_is_capped():
    assert len(plain("x" * 100_000)) == MAX_QUERY_CHARS
    assert len(parse("who owns " + "y" * 10_000).query) <= MAX_QUERY_CHARS


def test_escape_leaves_nothing_slack_would_act_on():
    hostile = "<!channel> <https://evil.example|click> & <@U123>"
    escaped = escape(hostile)
    assert "<" not in escaped and ">" not in escaped
    assert escaped.startswith("&lt;!channel&gt;") and "&amp;" in escaped


def test_channels_and_dates():
    assert channel("C0123ABCD") == "<#C0123ABCD>"
    assert channel("payments") == "#payments"
    assert channel("#pay<ments>") == "#pay&lt;ments&gt;"
    assert channel("") == ""
    assert slack_date("2026-01-02T03:04:05Z") == "<!date^1767323045^{date_short_pretty} {time}|2026-01-02 03:04 UTC>"
    assert slack_date("not a date") == "" and slack_date(None) == ""
