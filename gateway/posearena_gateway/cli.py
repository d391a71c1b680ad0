"""The `posearena` command line: one sub-command per module in `posearena_gateway.commands`.

Each command module exposes `register(subparsers)` (adds its parser and sets `func`) and a
`run(args) -> int` that the parser calls. Only the module of the command named on the command
line is imported (at parse time, on the main thread, before the command starts any thread):
the other commands get a bare entry from `commands.COMMANDS` (name and help line), which is
all `posearena --help` and argparse's errors show. The services a command always starts
(`Command.services`) are launched before its module is imported, so that their start-up
overlaps its imports (`runtime.processes.launch_ahead`). Every error a user can cause (our own
input checks, a service's gRPC status, a service that cannot be reached) is printed as one
line with the exit code of `posearena_gateway.commands.exit_codes`; only our own bugs show a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Collection, Sequence

from posearena_gateway.commands import COMMANDS
from posearena_gateway.commands.exit_codes import EXIT_INTERRUPTED, describe
from posearena_gateway.runtime.processes import launch_ahead, stop_ahead


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of `posearena`.

    Args:
        commands: the sub-commands whose modules are imported and registered in full
            (default: all); every other one gets a bare entry (its name and help line), enough
            for `posearena --help` and for argparse to refuse an unknown command.
    """
    parser = argparse.ArgumentParser(
        prog="posearena",
        description="Compare human-pose estimators against a reference (Kinect, mocap, "
        "multi-camera triangulation).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    full = {c.module for c in COMMANDS if commands is None or c.name in commands}
    registered: set[str] = set()
    for command in COMMANDS:  # a module's commands are listed together: the order is kept
        if command.module not in full:
            sub.add_parser(command.name, help=command.help)
        elif command.module not in registered:
            registered.add(command.module)
            importlib.import_module(f"posearena_gateway.commands.{command.module}").register(sub)
    return parser


def named_command(argv: Sequence[str]) -> str | None:
    """The sub-command `argv` names: its first word that is not an option (the top-level
    options, -h and -v, take no value), or None when there is none or no such command."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if any(c.name == word for c in COMMANDS) else None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `posearena` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    command = named_command(argv)
    try:
        if command and not {"-h", "--help"} & set(argv):
            launch_ahead(next(c for c in COMMANDS if c.name == command).services_for(argv))
        return _run(build_parser([command] if command else []), argv)
    finally:
        stop_ahead()  # the command did not take them (it failed before, or did not need them)


def _run(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    """Parse `argv` and run the command; an error a user can cause becomes its exit status."""
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
