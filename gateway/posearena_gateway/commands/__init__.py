"""Sub-commands of the `posearena` CLI, in the order `posearena --help` lists them."""

from posearena_gateway.commands import (
    calibrate,
    compare,
    demo,
    detect,
    lift,
    mocap,
    pipelines,
    record,
    services,
    study,
    triangulate,
)

COMMANDS = [
    demo, compare, study, detect, lift, triangulate, calibrate, record, mocap,
    pipelines, services,
]
