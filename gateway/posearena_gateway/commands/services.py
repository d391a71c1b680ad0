"""`posearena services up|down|status [NAME ...]`: estimator services as local processes."""

from __future__ import annotations

import argparse

from posearena_gateway.commands.exit_codes import EXIT_OK, EXIT_PARTIAL
from posearena_gateway.runtime import SERVICES, get_spec, probe, resolve_target
from posearena_gateway.runtime.processes import (
    not_installed_message,
    services_down,
    services_up,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "services",
        help="start, stop or inspect the estimator services",
        description="Start every estimator service as a local process on 127.0.0.1 "
        "(embedded mode), stop them, or show their health. A service configured with "
        "POSEARENA_<NAME>_ADDR=host:port (e.g. a container) is used as it is.",
    )
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("names", nargs="*", help=f"services (default: all of {sorted(SERVICES)})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = args.names or list(SERVICES)
    for name in names:
        get_spec(name)  # unknown names fail before anything starts
    if args.action == "up":
        results = services_up(names)
    elif args.action == "down":
        results = services_down(names)
    else:
        results = {}
        for name in names:
            target = resolve_target(name)
            missing = None if target else not_installed_message(get_spec(name))
            results[name] = (
                f"{target}  {probe(target).status_line}" if target else missing or "down"
            )
    width = max(len(n) for n in names)
    failed = False
    for name in names:
        line = results[name]
        failed |= line.startswith("failed")
        print(f"{name:<{width}}  {line}")
    # services that are not installed are reported with their install command, not failures
    return EXIT_PARTIAL if failed else EXIT_OK
