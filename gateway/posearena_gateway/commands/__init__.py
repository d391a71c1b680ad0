"""Sub-commands of the `posearena` CLI, in the order `posearena --help` lists them."""

from posearena_gateway.commands import (
    compare,
    demo,
    detect,
    lift,
    pipelines,
    record,
    services,
    triangulate,
)

COMMANDS = [demo, compare, detect, lift, triangulate, record, pipelines, services]
