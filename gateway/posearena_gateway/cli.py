"""The `posearena` command line: one sub-command per module in `posearena_gateway.commands`.

Each command module exposes `register(subparsers)` (adds its parser and sets `func`) and a
`run(args) -> int` that the parser calls. Errors the user can fix (InvalidInputError and
friends) are printed as one line and exit with status 2; nothing else is swallowed.
"""

from __future__ import annotations

import argparse
import logging
import sys

from posearena.errors import PoseArenaError
from posearena_gateway.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="posearena",
        description="Compare human-pose estimators against a reference (Kinect, mocap, "
        "multi-camera triangulation).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `posearena` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except PoseArenaError as exc:
        print(f"posearena {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"posearena {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
