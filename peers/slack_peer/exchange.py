"""Talk to Roster as Slack would, from the command line (the demo), through a running Slack peer.

    python -m peers.slack_peer.exchange --peer URL workspace --team T0DEMO --name "Sample Company"
        create the workspace in the peer (idempotent); prints its bot token
    python -m peers.slack_peer.exchange --peer URL ask --roster http://localhost:8000 --team T0DEMO who owns X
        send a signed ``/roster who owns X`` and print the exchange: the command, Roster's acknowledgement and
        the answer it posted to the response_url, as text
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request

_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_DATE = re.compile(r"<!date\^[^|<>]*\|([^<>]*)>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)>")


def control(peer: str, path: str, body: dict | None = None, timeout: float = 60) -> dict | list:
    request = urllib.request.Request(peer.rstrip("/") + path, data=json.dumps(body).encode() if body is not None
                                     else None, headers={"Content-Type": "application/json"},
                                     method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def as_text(mrkdwn: str) -> str:
    """Slack's mrkdwn as a terminal shows it: links as ``label (url)``, dates as their fallback."""
    text = _DATE.sub(r"\1", mrkdwn)
    text = _LINK.sub(lambda m: m.group(2) if m.group(2) == m.group(1) else f"{m.group(2)} ({m.group(1)})", text)
    text = _CHANNEL.sub(r"#\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render(message: dict) -> list[str]:
    """The lines a Slack client would show for a message's blocks (its fallback text without blocks)."""
    if not isinstance(message, dict):
        return [str(message)]
    lines = []
    for block in message.get("blocks") or []:
        if block.get("type") in ("section", "header"):
            if block.get("text"):
                lines.append(as_text(block["text"].get("text", "")))
            for field in block.get("fields") or []:
                lines.append("  " + as_text(field.get("text", "")).replace("\n", ": ", 1).replace("\n", "\n    "))
        elif block.get("type") == "context":
            lines.append("  " + " | ".join(as_text(e.get("text", "")) for e in block.get("elements") or []))
    return lines or [as_text(message.get("text", ""))]


def ask(peer: str, roster: str, team: str, text: str, wait: float = 30) -> dict:
    return control(peer, "/_peer/command", {"url": roster.rstrip("/") + "/slack/commands", "team_id": team,
                                            "text": text, "wait": wait}, timeout=wait + 30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.slack_peer.exchange", description=__doc__.splitlines()[0])
    parser.add_argument("--peer", required=True, help="the Slack peer's base URL")
    sub = parser.add_subparsers(dest="action", required=True)
    ws = sub.add_parser("workspace", help="create a workspace; print its bot token")
    ws.add_argument("--team", required=True)
    ws.add_argument("--name", default="")
    ws.add_argument("--user", action="append", default=[], help="NAME=EMAIL, a member (default: admin)")
    q = sub.add_parser("ask", help="send /roster TEXT and print the exchange")
    q.add_argument("--roster", required=True, help="Roster's public URL, e.g. http://localhost:8000")
    q.add_argument("--team", required=True)
    q.add_argument("text", nargs="+")
    args = parser.parse_args(argv)
    if args.action == "workspace":
        users = [{"name": n, "email": e} for n, _, e in (u.partition("=") for u in args.user)] or None
        created = control(args.peer, "/_peer/teams", {"team_id": args.team, "name": args.name, "users": users})
        print(created["bot_token"])
        return 0
    text = " ".join(args.text)
    result = ask(args.peer, args.roster, args.team, text)
    answer = result["answer"]
    print(f"> /roster {text}")
    print(f"  (Roster acknowledged: HTTP {answer['status']} in {answer['elapsed_ms']} ms)")
    if answer.get("json"):
        print("\n".join(render(answer["json"])))
    elif answer.get("body") and answer["status"] != 200:
        print(answer["body"])
    for posted in result.get("responses") or []:
        print("\n".join(render(posted)))
    if answer["status"] != 200 or not (answer.get("json") or result.get("responses")):
        print("(no answer)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
