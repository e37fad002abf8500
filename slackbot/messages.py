"""Roster's answers as Slack messages, pure: Block Kit blocks plus a plain-text fallback (``text``, shown in
notifications and by clients without blocks), from plain dicts (``slackbot.answers`` builds them).

The routing part of an answer is the on-call contract (``oncall.routing.for_service`` / ``for_team``):
``{"service": {id, name} | None, "team": {id, slug, name} | None, "ownership_status", "owner_confidence",
"slack_channel", "contact_email", "oncall": [{"name", "email", "provider", "schedule", "until"}],
"next_handover_at"}``, and when given ``next_oncall`` and ``escalation_policy``; keys it lacks render as
unknown. Every string from a user or the catalog is escaped
(``slackbot.text.escape``) and clipped to Block Kit's limits.
"""
from __future__ import annotations

from slackbot.commands import EXAMPLES, ONCALL, SEARCH, WHO_OWNS
from slackbot.text import channel, clip, escape, link, percent, plain_date, quoted, slack_date

SECTION_CHARS = 3000  # Block Kit: a section's text
FIELD_CHARS = 2000  # a section field
HEADER_CHARS = 150  # a header's plain_text
MAX_CHOICES = 5
MAX_HOME_SERVICES = 30  # per team; a Home tab holds at most 100 blocks
SIGNAL_LABELS = {"codeowners": "CODEOWNERS", "catalog_info": "catalog-info.yaml", "commits": "commits",
                 "tags": "owner tags", "permissions": "repository permissions"}
SOURCE_LABELS = {"user_correction": "set by a person (a correction)",
                 "correction_propagated": "from a correction of a related service",
                 "correction_learned": "learned from corrections of similar services"}
PROVIDERS = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}


# --- building blocks --------------------------------------------------------------------------------------


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_CHARS)}}


def _fields(pairs: list[tuple[str, str]]) -> dict:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", FIELD_CHARS)}
                                          for label, value in pairs[:10]]}


def _context(*texts: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, FIELD_CHARS)} for t in texts[:10]]}


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_CHARS), "emoji": True}}


def _sections(head: str, lines: list[str]) -> list[dict]:
    """``head`` then ``lines`` packed into as few sections as fit, never cutting a line (a cut link would break)."""
    out, current = [], head
    for line in lines:
        line = clip(line, SECTION_CHARS - 10)
        if current and len(current) + 1 + len(line) > SECTION_CHARS:
            out.append(_section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(_section(current))
    return out


def _message(text: str, blocks: list[dict]) -> dict:
    """An ephemeral answer (only the person who asked sees it). ``text`` is the plain fallback, escaped here:
    Slack formats it too (a name like ``<!channel>`` must not ping anyone)."""
    return {"response_type": "ephemeral", "text": escape(clip(text, 3000)), "blocks": blocks[:50]}


# --- pieces of an answer ----------------------------------------------------------------------------------


def evidence_line(owner_source: str, signals: dict | None) -> str:
    """One line of why: the owner's signals, strongest first ("CODEOWNERS 100% · commits 72%"), or where a
    corrected owner came from."""
    if owner_source in SOURCE_LABELS:
        return SOURCE_LABELS[owner_source]
    parts = []
    for name, value in sorted((signals or {}).items(), key=lambda kv: -_number(kv[1])):
        if _number(value) <= 0:
            continue
        parts.append(f"{SIGNAL_LABELS.get(name, name)} {percent(value)}")
    return " · ".join(parts)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _provider(name: str) -> str:
    return PROVIDERS.get((name or "").lower(), name or "")


def oncall_text(routing: dict, *, rich: bool = True) -> str:
    """Who is on call now, one person a line: name (provider · schedule) until when."""
    lines = []
    for person in (routing.get("oncall") or [])[:5]:
        name = escape(person.get("name") or person.get("email") or "someone")
        where = " · ".join(escape(p) for p in (_provider(person.get("provider")), person.get("schedule")) if p)
        until = (slack_date(person.get("until")) if rich else plain_date(person.get("until")))
        lines.append(f"{name}" + (f" ({where})" if where else "") + (f" until {until}" if until else ""))
    return "\n".join(lines)


def _routing_fields(routing: dict) -> list[tuple[str, str]]:
    pairs = [("Channel", channel(routing.get("slack_channel")) or "_not set_"),
             ("On call", oncall_text(routing) or "_nobody known_")]
    if routing.get("contact_email"):
        pairs.append(("Contact", escape(routing["contact_email"])))
    if routing.get("next_handover_at"):
        following = [escape(p.get("name") or p.get("email")) for p in (routing.get("next_oncall") or [])[:3]
                     if p.get("name") or p.get("email")]
        pairs.append(("Next handover", slack_date(routing["next_handover_at"])
                      + (f" to {', '.join(following)}" if following else "")))
    policy = routing.get("escalation_policy") or {}
    if policy.get("name"):
        url = policy.get("url") if str(policy.get("url") or "").startswith(("https://", "http://")) else ""
        pairs.append(("Escalation", link(url, policy["name"])))
    return pairs


def _routing_fallback(routing: dict) -> str:
    parts = []
    if routing.get("slack_channel"):
        parts.append(f"Channel: {routing['slack_channel']}")
    names = [p.get("name") or p.get("email") for p in (routing.get("oncall") or [])[:3]]
    parts.append("On call: " + (", ".join(n for n in names if n) or "nobody known"))
    return ". ".join(parts) + "."


def _owner_sentence(service_label: str, routing: dict, candidates: list[dict]) -> tuple[str, str]:
    """(mrkdwn, plain) of who owns the service, saying so when it is ambiguous or unowned."""
    team = routing.get("team") or {}
    status = routing.get("ownership_status") or ("owned" if team else "unowned")
    confidence = percent(routing.get("owner_confidence"))
    team_name = team.get("name") or team.get("slug") or ""
    others = [c for c in candidates if c.get("slug") != team.get("slug")][:3]
    also = ", ".join(f"*{escape(c.get('name') or c.get('slug'))}* ({percent(c.get('score'))})" for c in others)
    also_plain = ", ".join(f"{c.get('name') or c.get('slug')} ({percent(c.get('score'))})" for c in others)
    if status == "owned" and team:
        return (f"{service_label} is owned by *{escape(team_name)}* (`{escape(team.get('slug'))}`), "
                f"{confidence} confident.", f"owned by {team_name} ({confidence} confident)")
    if status == "ambiguous" and team:
        return (f":warning: Ownership of {service_label} is *ambiguous*: best guess *{escape(team_name)}* "
                f"({confidence})" + (f", also {also}" if also else "") + ".",
                f"ownership is ambiguous: best guess {team_name} ({confidence})"
                + (f", also {also_plain}" if also_plain else ""))
    text = f":grey_question: {service_label} has *no clear owner* yet."
    if also:
        text += f" Candidates: {also}."
    return text, "has no clear owner yet" + (f"; candidates: {also_plain}" if also_plain else "")


def _match_note(answer: dict) -> str:
    how, matched, query = answer.get("match"), answer.get("matched") or "", answer.get("query") or ""
    if how == "closest":
        return f"Closest match for {quoted(query)}."
    if how == "resource":
        return f"Matched the AWS resource `{escape(clip(matched, 300))}`."
    if how == "repository":
        return f"Matched the repository `{escape(clip(matched, 200))}`."
    return ""


# --- answers --------------------------------------------------------------------------------------------


def help_message() -> dict:
    lines = [
        "*Roster* answers who owns what, from what your cloud and GitHub say.",
        f"• `{EXAMPLES[WHO_OWNS]}`: a service, repository, team, AWS ARN, resource name or console link "
        "(typos welcome): the owner, how sure we are and why, the team's channel and who is on call",
        f"• `{EXAMPLES[ONCALL]}`: who is on call for a service or team, and until when",
        f"• `{EXAMPLES[SEARCH]}`: search the catalog",
        "Answers are only shown to you.",
    ]
    return _message("Roster: /roster who owns <anything>, /roster oncall <service or team>, /roster search "
                    "<words>, /roster help", [_section("\n".join(lines))])


def usage(message: str) -> dict:
    """A question we could not read: the reason (ours, already safe) and the help."""
    return _message(message + " Try /roster help.", [_section(message + " Try `/roster help`.")])


def not_connected() -> dict:
    text = ("This Slack workspace is not connected to Roster yet. Ask a Roster admin to install the Roster app "
            "from their Roster, or an operator to connect it (manage.py slack_connect).")
    return _message(text, [_section(":wave: " + text)])


def unavailable() -> dict:
    text = "Roster could not answer just now (the catalog's search is unavailable). Please try again in a minute."
    return _message(text, [_section(":hourglass: " + text)])


def service_answer(answer: dict) -> dict:
    """``who owns`` (and ``oncall``) for one service."""
    service, routing = answer["service"], answer.get("routing") or {}
    label = link(service.get("url"), service.get("name"))
    sentence, plain = _owner_sentence(label, routing, answer.get("candidates") or [])
    blocks = [_section(sentence), _fields(_routing_fields(routing))]
    notes = [n for n in (_match_note(answer),) if n]
    if answer.get("evidence"):
        notes.insert(0, f"Evidence: {escape(answer['evidence'])}")
    notes.append(link(service.get("url"), "Open in Roster"))
    blocks.append(_context(*notes))
    text = f"{service.get('name')} {plain}. {_routing_fallback(routing)} {service.get('url') or ''}".strip()
    return _message(text, blocks)


def team_answer(answer: dict) -> dict:
    """``who owns`` or ``oncall`` naming a team: the team itself, its channel and who is on call."""
    team, routing = answer["team"], answer.get("routing") or {}
    count = answer.get("services")
    owns = f", owner of {count} service{'s' if count != 1 else ''}" if count is not None else ""
    name = link(team.get("url"), team.get("name") or team.get("slug"))
    sentence = f"{name} is a team (`{escape(team.get('slug'))}`){owns}."
    blocks = [_section(sentence), _fields(_routing_fields(routing))]
    note = _match_note(answer)
    blocks.append(_context(*([note] if note else []), link(team.get("url"), "Open in Roster")))
    text = f"Team {team.get('name') or team.get('slug')}{owns}. {_routing_fallback(routing)} {team.get('url') or ''}"
    return _message(text.strip(), blocks)


def choices(answer: dict) -> dict:
    """Several things match: say so and offer the best few."""
    rows = []
    for choice in (answer.get("choices") or [])[:MAX_CHOICES]:
        owner = choice.get("owner")
        who = f"owned by {escape(owner)}" if owner else "no clear owner"
        rows.append(f"• {link(choice.get('url'), choice.get('name'))} ({escape(choice.get('kind'))}, {who})")
    ask = "oncall" if answer.get("verb") == ONCALL else "who owns"
    head = (f"Several things match {quoted(answer.get('query'))}; ask again with the exact name "
            f"(`/roster {ask} &lt;name&gt;`):")
    plain_rows = "; ".join(f"{c.get('name')} ({c.get('owner') or 'no clear owner'})"
                           for c in (answer.get("choices") or [])[:MAX_CHOICES])
    return _message(f"Several things match \"{clip(answer.get('query'), 80)}\": {plain_rows}",
                    _sections(head, rows))


def not_found(answer: dict) -> dict:
    query = answer.get("query") or ""
    text = (f"Nothing in the catalog matches {quoted(query)}. Try `/roster search {escape(clip(query, 80))}` "
            "with fewer words, or the exact ARN.")
    return _message(f"Nothing in the catalog matches \"{clip(query, 80)}\".", [_section(text)])


def search_results(answer: dict) -> dict:
    hits, teams, repos = answer.get("hits") or [], answer.get("teams") or [], answer.get("repositories") or []
    if not (hits or teams or repos):
        return not_found(answer)
    lines = []
    for hit in hits[:8]:
        owner = hit.get("owner")
        lines.append(f"• {link(hit.get('url'), hit.get('name'))}: "
                     + (f"{escape(owner)} ({percent(hit.get('confidence'))})" if owner else "no clear owner"))
    blocks = _sections(f"Search results for {quoted(answer.get('query'))}:", lines or ["_no services_"])
    extra = []
    if teams:
        extra.append("Teams: " + ", ".join(link(t.get("url"), t.get("name")) for t in teams[:5]))
    if repos:
        extra.append("Repositories: " + ", ".join(escape(r.get("name")) for r in repos[:5]))
    if extra:
        blocks.append(_context(*extra))
    text = f"{len(hits)} service(s) match \"{clip(answer.get('query'), 80)}\": " + ", ".join(
        f"{h.get('name')} ({h.get('owner') or 'no clear owner'})" for h in hits[:8])
    return _message(text, blocks)


def service_card(answer: dict) -> dict:
    """An unfurl's attachment for a console link: the service and who owns it."""
    message = service_answer(answer)
    return {"blocks": message["blocks"]}


def home_view(answer: dict) -> dict:
    """The App Home tab: the user's teams' services, or how to ask when we do not know who they are."""
    blocks = [_header("Roster")]
    teams = answer.get("teams") or []
    if not teams:
        reason = answer.get("reason") or "Roster could not match your Slack account to a Roster user."
        blocks.append(_section(escape(reason) + " Ask away in any channel instead:"))
        blocks += help_message()["blocks"]
        return {"type": "home", "blocks": blocks}
    for team in teams[:10]:
        services = team.get("services") or []
        blocks.append(_section(f"*{link(team.get('url'), team.get('name') or team.get('slug'))}*: "
                               f"{len(services)} service{'s' if len(services) != 1 else ''}"
                               + (f" · {channel(team.get('slack_channel'))}" if team.get("slack_channel") else "")))
        rows = [f"• {link(s.get('url'), s.get('name'))} ({escape(s.get('ownership_status'))}, "
                f"{percent(s.get('owner_confidence'))})" for s in services[:MAX_HOME_SERVICES]]
        if len(services) > MAX_HOME_SERVICES:
            rows.append(f"… and {len(services) - MAX_HOME_SERVICES} more in Roster")
        if rows:
            blocks += _sections("", rows)
        blocks.append({"type": "divider"})
    blocks.append(_context("Ask anything with `/roster who owns &lt;anything&gt;` · `/roster help`"))
    return {"type": "home", "blocks": blocks[:100]}
