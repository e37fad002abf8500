"""Text in and out of Slack, pure: what a user typed made plain, and anything we show made safe for mrkdwn.

Slack sends command text with ``&``, ``<`` and ``>`` escaped and with links, channels and mentions wrapped as
``<url|label>``, ``<#C123|name>``, ``<@U123|name>``; we unwrap them to what the user saw. Everything we put
in a message (user text and catalog data alike: names come from tags and repositories anyone may create) is
escaped again, so nothing renders as a link, a mention or ``<!channel>``.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

MAX_QUERY_CHARS = 200  # as the search API (search.backends.base.MAX_QUERY_CHARS)
_WRAPPED = re.compile(r"<([^<>|]{1,1000})(?:\|([^<>]{0,1000}))?>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")


def escape(text) -> str:
    """``text`` safe inside Slack mrkdwn or plain_text: the three characters Slack asks apps to escape."""
    return str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unwrapped(match: re.Match) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith(("#C", "#G")):
        return f"#{label}" if label else target
    if target.startswith(("@U", "@W", "@B")):
        return f"@{label}" if label else target
    if target.startswith("!"):  # <!here>, <!subteam^S123|@handle>, <!date^...|fallback>
        return label or ""
    return target  # a link: the URL itself (the label is Slack's shortened display)


def plain(text: str | None, limit: int = MAX_QUERY_CHARS) -> str:
    """What the user typed, as they saw it: wrappers unwrapped, entities decoded, control characters and runs
    of spaces collapsed, at most ``limit`` characters."""
    text = _WRAPPED.sub(_unwrapped, str(text or "")[: limit * 8])
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    return text[:limit].strip()


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, an ellipsis marking a cut (Block Kit refuses longer texts)."""
    text = str(text or "")
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def link(url: str, label: str) -> str:
    """A mrkdwn link with an escaped label; the URL is ours (the console), never the user's."""
    label = escape(label).replace("|", "¦")
    return f"<{escape(url)}|{label}>" if url else label


def quoted(text: str, limit: int = 80) -> str:
    """User text echoed back: escaped, clipped, in curly quotes."""
    return f"“{escape(clip(text, limit))}”"


def parse_time(value) -> datetime | None:
    """A datetime from a datetime or an ISO 8601 string (``Z`` accepted); None for anything else."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def slack_date(value, fmt: str = "{date_short_pretty} {time}") -> str:
    """A time every reader sees in their own time zone (Slack's date token), with a UTC fallback."""
    moment = parse_time(value)
    if moment is None:
        return ""
    fallback = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"


def plain_date(value) -> str:
    moment = parse_time(value)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def channel(value: str | None) -> str:
    """A team's Slack channel as mrkdwn: a channel id becomes a channel link, a name is shown as ``#name``."""
    value = (value or "").strip()
    if not value:
        return ""
    if re.fullmatch(r"[CG][A-Z0-9]{6,20}", value):
        return f"<#{value}>"
    return escape(value if value.startswith("#") else f"#{value}")


def percent(value) -> str:
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return "?"
