"""Sub-commands of the `posearena` CLI, in the order `posearena --help` lists them.

Each entry names the command, the module of this package that registers and runs it, and its
one-line help (the module passes the same text to `add_parser`; a test keeps them equal). The
CLI imports only the module of the command it runs: `posearena --help` and argparse's errors
need no command module, and a command does not pay for the others' imports (scipy.signal,
matplotlib, ...).
"""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    """One sub-command: its name, the module (of this package) defining it, its help line,
    and the services it always starts embedded (the CLI launches them before it imports the
    module, so that their start-up overlaps the imports; `runtime.processes.launch_ahead`)."""

    name: str
    module: str
    help: str
    services: tuple[str, ...] = ()


COMMANDS: tuple[Command, ...] = (
    Command("demo", "demo", "run the demo comparison on the bundled data"),
    Command("compare", "compare", "compare pipelines on video(s) against a reference"),
    Command("compare-skeletons", "compare", "compare two recorded 3D skeleton files"),
    Command("study", "study", "many sessions, one table with subject-clustered intervals"),
    Command("detect", "detect", "2D keypoints of a video (.npz)"),
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
