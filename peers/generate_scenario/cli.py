"""``python -m peers.generate_scenario --style S --name N --services K [--seed X] [-o FILE]``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import STYLES, generate
from .yaml_text import dump

DESCRIPTION = "Generate realistic ``roster-scenario/1`` companies (format: the shared FORMAT.md) with a correct truth."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peers.generate_scenario", description=DESCRIPTION)
    parser.add_argument("--style", required=True, choices=sorted(STYLES))
    parser.add_argument("--name", required=True)
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", help="file to write (stdout when omitted)")
    args = parser.parse_args(argv)
    text = dump(generate(args.style, name=args.name, n_services=args.services, seed=args.seed))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
