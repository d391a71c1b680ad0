"""Sub-commands of the `posearena` CLI, in the order `posearena --help` lists them.

Each entry names the command, the module of this package that registers and runs it, and its
one-line help (the module passes the same text to `add_parser`; a test keeps them equal). The
CLI imports only the module of the command it runs: `posearena --help` and argparse's errors
need no command module, and a command does not pay for the others' imports (scipy.signal,
matplotlib, ...).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import NamedTuple

from posearena_gateway.pipelines.names import (
    DEFAULT_PIPELINES,
    DEFAULT_REFERENCE,
    DEMO_PIPELINES,
    DETECTORS,
    REFERENCE_DETECTORS,
    needed_services,
)


class Command(NamedTuple):
    """One sub-command: its name, the module (of this package) defining it, its help line,
    and the services it starts embedded, as names or as a function of its arguments (the CLI
    launches them before it imports the module, so that their start-up overlaps the imports;
    `runtime.processes.launch_ahead`)."""

    name: str
    module: str
    help: str
    services: tuple[str, ...] | Callable[[Sequence[str]], list[str]] = ()

    def services_for(self, argv: Sequence[str]) -> list[str]:
        """The services this command will start when run with `argv` (a guess at most: a
        service launched ahead that the command does not take is stopped at its end)."""
        return list(self.services(argv) if callable(self.services) else self.services)


class _Quiet(argparse.ArgumentParser):
    """A parser that raises instead of printing usage and exiting (the command's own parser
    reports the error)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)


def _options(argv: Sequence[str], **defaults: str | None) -> argparse.Namespace | None:
    """The options named in `defaults` (name: default; `reference_2d` is --reference-2d) as
    `argv` gives them, the rest of `argv` ignored; None when they do not parse (e.g. an
    ambiguous abbreviation: the command's own parser reports it)."""
    p = _Quiet(add_help=False)
    for name, default in defaults.items():
        p.add_argument("--" + name.replace("_", "-"), default=default)
    try:
        return p.parse_known_args(list(argv))[0]
    except ValueError:
        return None


def _compare_services(argv: Sequence[str]) -> list[str]:
    """The services of `posearena compare argv` (its pipelines', its reference's), or none
    when it runs on a gateway or its arguments do not parse."""
    args = _options(argv, pipelines=None, reference=DEFAULT_REFERENCE,
                    reference_2d=REFERENCE_DETECTORS[0], gateway=None)
    if args is None or args.gateway:
        return []
    names = [n.strip() for n in args.pipelines.split(",")] if args.pipelines \
        else list(DEFAULT_PIPELINES)
    return needed_services(names, args.reference, args.reference_2d)


def _detect_services(argv: Sequence[str]) -> list[str]:
    """The detector service of `posearena detect argv` (none for openpose-json files, an
    unknown name or arguments that do not parse)."""
    args = _options(argv, estimator=DETECTORS[0])
    return [args.estimator] if args is not None and args.estimator in DETECTORS else []


def _demo_services(argv: Sequence[str]) -> list[str]:
    """The services of the demo's Pose2Sim part (the UI-PRMD part needs none)."""
    return needed_services(DEMO_PIPELINES, "multiview", REFERENCE_DETECTORS[0])


COMMANDS: tuple[Command, ...] = (
    Command("demo", "demo", "run the demo comparison on the bundled data", _demo_services),
    Command("compare", "compare", "compare pipelines on video(s) against a reference",
            _compare_services),
    Command("compare-skeletons", "compare", "compare two recorded 3D skeleton files"),
    Command("study", "study", "many sessions, one table with subject-clustered intervals"),
    Command("detect", "detect", "2D keypoints of a video (.npz)", _detect_services),
    Command("lift", "lift", "lift 2D keypoints to 3D (VideoPose3D)"),
    Command("triangulate", "triangulate", "triangulate 2D views to 3D", ("stereo",)),
    Command("calibrate", "calibrate", "calibrate a stereo pair from checkerboard images"),
    Command("record", "record", "record two or more cameras in sync"),
    Command("mocap-joints", "mocap", "Plug-in-Gait markers -> joint centres (.npz)"),
    Command("train-lifter", "mocap", "train a VideoPose3D lifter on mocap joints (supervised, "
            "or --semi with unlabelled subjects' 2D)"),
    Command("pipelines", "pipelines", "list the pipelines"),
    Command("services", "services", "start, stop or inspect the estimator services"),
)
