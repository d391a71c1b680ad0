"""Sub-commands of the `posearena` CLI, in the order `posearena --help` lists them."""

from posearena_gateway.commands import services

COMMANDS = [services]
