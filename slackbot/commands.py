"""``/roster ...``: what the user asked for, pure. ``parse(text)`` gives a ``Command`` or raises ``CommandError``
with a message to show them.

    /roster who owns <anything>       a service, repository, team, AWS ARN, resource name or console link
    /roster oncall <service or team>  who is on call for it, and the channel
    /roster search <words>            the catalog's search
    /roster help

Text that starts with no known verb is a ``who owns`` question (``/roster payments-api``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from slackbot.text import plain

WHO_OWNS, ONCALL, SEARCH, HELP = "who_owns", "oncall", "search", "help"
# Longest first: "who owns" before "who".
_VERBS = (
    (re.compile(r"^(?:who\s*-?\s*owns|whose|owner\s+of|owner|owns)(?:\s+|$)", re.I), WHO_OWNS),
    (re.compile(r"^(?:who\s+is\s+on\s*-?\s*call\s+for|on\s*-?\s*call(?:\s+for)?|pager)(?:\s+|$)", re.I), ONCALL),
    (re.compile(r"^(?:search|find)(?:\s+|$)", re.I), SEARCH),
    (re.compile(r"^(?:help|\?|-h|--help)$", re.I), HELP),
)
EXAMPLES = {WHO_OWNS: "/roster who owns payments-api", ONCALL: "/roster oncall payments",
            SEARCH: "/roster search checkout"}


class CommandError(ValueError):
    """The text is not a question we can answer; the message says how to ask."""


@dataclass(frozen=True)
class Command:
    verb: str
    query: str = ""
    implicit: bool = False  # no verb was typed: the text is taken as a "who owns" question


def parse(text: str | None) -> Command:
    cleaned = plain(text)
    if not cleaned:
        return Command(HELP)
    for pattern, verb in _VERBS:
        match = pattern.match(cleaned)
        if match is None:
            continue
        query = cleaned[match.end():].strip().rstrip("?").strip()
        if verb == HELP:
            return Command(HELP)
        if not query:
            raise CommandError(f"Tell me what to look up, e.g. `{EXAMPLES[verb]}`.")
        return Command(verb, query)
    return Command(WHO_OWNS, cleaned.rstrip("?").strip() or cleaned, implicit=True)
