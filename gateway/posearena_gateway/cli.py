"""The `posearena` command line: one sub-command per module in `posearena_gateway.commands`.

Each command module exposes `register(subparsers)` (adds its parser and sets `func`) and a
`run(args) -> int` that the parser calls. Every error a user can cause (our own input checks,
a service's gRPC status, a service that cannot be reached) is printed as one line with the
exit code of `posearena_gateway.commands.exit_codes`; only our own bugs show a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from posearena_gateway.commands import COMMANDS
from posearena_gateway.commands.exit_codes import EXIT_INTERRUPTED, describe


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
    except KeyboardInterrupt:
        print(f"posearena {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        reported = describe(exc)
        if reported is None:
            raise
        if args.verbose:
            logging.getLogger("posearena").exception("posearena %s failed", args.command)
        code, message = reported
        print(f"posearena {args.command}: error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
