"""`posearena pipelines`: the named pipelines and the services each needs."""

from __future__ import annotations

import argparse

from posearena_gateway.pipelines.catalog import DEFAULT_PIPELINES, PIPELINES
from posearena_gateway.runtime import SERVICES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pipelines", help="list the pipelines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    width = max(len(n) for n in PIPELINES)
    for name, spec in PIPELINES.items():
        missing = [s for s in spec.services if s not in SERVICES]
        state = f"needs the {', '.join(missing)} service" if missing else "available"
        star = "*" if name in DEFAULT_PIPELINES else " "
        print(f"{star} {name:<{width}}  {spec.description}  [{state}]")
    print("* = default for `posearena compare`")
    return 0
