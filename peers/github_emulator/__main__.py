"""``python -m peers.github_emulator --port N [--scenario FILE] [--latency-ms N] [--token T[=LOGIN] ...] [--viewer LOGIN]``

Serves until SIGTERM or SIGINT, then exits 0. Prints one line, the base URL, once it listens.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


from peers.scenario import ScenarioError, load_scenario
from peers.serving import serve_forever

from .app import Faults, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.github_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--scenario", type=Path, help="roster-scenario/1 file to serve")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every API request")
    parser.add_argument("--token", action="append", help=(
        "a valid token, or TOKEN=LOGIN for a token owned by LOGIN (repeatable); without any, every token is accepted"))
    parser.add_argument("--viewer", help="the login tokens belong to unless TOKEN=LOGIN says otherwise "
                                         "(default: the scenario's first org admin)")
    parser.add_argument("--rate-limit", type=int, default=5000, help="REST requests per hour and identity")
    parser.add_argument("--graphql-rate-limit", type=int, default=5000, help="GraphQL points per hour and identity")
    parser.add_argument("--app-id", type=int, help="GitHub App id whose JWTs are accepted")
    parser.add_argument("--app-public-key", type=Path, help="PEM file with the app's RSA public key")
    parser.add_argument("--app-installed-on", action="append", help="org the app is installed on (default: all)")
    parser.add_argument("--seed", type=int, help="seed for injected errors")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario) if args.scenario else None
    except ScenarioError as exc:
        print(f"github emulator: {exc}", file=sys.stderr)
        return 2
    tokens = None if args.token is None else dict(t.partition("=")[::2] for t in args.token)
    tokens = None if tokens is None else {t: (login or None) for t, login in tokens.items()}
    app = create_app(
        scenario, tokens=tokens, viewer=args.viewer, rate_limit=args.rate_limit, graphql_rate_limit=args.graphql_rate_limit,
        faults=Faults(latency_ms=args.latency_ms, seed=args.seed), app_id=args.app_id,
        app_public_key=args.app_public_key.read_text() if args.app_public_key else None,
        app_installed_on=args.app_installed_on,
    )
    return serve_forever(app, args.port)


if __name__ == "__main__":
    sys.exit(main())
