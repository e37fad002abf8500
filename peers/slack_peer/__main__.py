"""``python -m peers.slack_peer --port N [--signing-secret S] [--client-id ID --client-secret S] [--team T...=NAME]``

Serves until SIGTERM or SIGINT, then exits 0. Prints one line, the base URL, once it listens. The signing
secret defaults to $SLACK_SIGNING_SECRET (the one Roster verifies with).
"""
from __future__ import annotations

import argparse
import os
import sys

from peers.serving import serve_forever

from .app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.slack_peer", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--signing-secret", default=os.environ.get("SLACK_SIGNING_SECRET", ""))
    parser.add_argument("--client-id", default=os.environ.get("SLACK_CLIENT_ID", ""))
    parser.add_argument("--client-secret", default=os.environ.get("SLACK_CLIENT_SECRET", ""))
    parser.add_argument("--team", action="append", default=[], help="a workspace to create: T0123ABCD[=Name]")
    args = parser.parse_args(argv)
    if not args.signing_secret:
        print("slack peer: no signing secret (--signing-secret or $SLACK_SIGNING_SECRET)", file=sys.stderr)
        return 2
    teams = [dict(zip(("team_id", "name"), t.split("=", 1))) for t in args.team]
    app = create_app(args.signing_secret, client_id=args.client_id, client_secret=args.client_secret, workspaces=teams)
    return serve_forever(app, args.port)


if __name__ == "__main__":
    sys.exit(main())
