"""`posearena mocap-joints` and `posearena train-lifter`: marker mocap -> joints -> a lifter."""

from __future__ import annotations

import argparse
import subprocess

import numpy as np

from posearena.mocap import mocap_joints, save
from posearena_gateway.runtime import get_spec
from posearena_gateway.runtime.catalog import REPO_ROOT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mocap-joints", help="Plug-in-Gait markers -> joint centres (.npz)",
                       description="Joint centres from a UI-PRMD Vicon positions file or a "
                       ".trc with the 39 Plug-in-Gait markers: OUT.npz holds h36m17 (T,17,3) "
                       "and coco17 (T,17,3) in metres in the file's frame (Z up), and fps.")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=run_mocap)

    # every option is the training module's own (its --help too): none is parsed here
    t = sub.add_parser("train-lifter", help="train a VideoPose3D lifter on mocap joints "
                       "(supervised, or --semi with unlabelled subjects' 2D)",
                       prefix_chars="+", add_help=False,
                       description="Runs `python -m posearena_videopose3d.training` in the "
                       "VideoPose3D service's own environment with every option passed on, "
                       "e.g. posearena train-lifter --data-dir DIR --train-subjects s01,s02 "
                       "--val-subjects s07 --minutes 20 --out M.pt [--semi "
                       "--unlabelled-subjects s03,s04 [--subset 0.1] [--resume]]")
    t.add_argument("args", nargs=argparse.REMAINDER)
    t.set_defaults(func=run_train)


def run_mocap(args: argparse.Namespace) -> int:
    joints = mocap_joints(args.input)
    save(args.output, joints)
    h = np.asarray(joints["h36m17"])
    valid = int(np.isfinite(h).all(axis=(1, 2)).sum())
    print(f"{args.output}: {len(h)} frames at {joints['fps']:g} Hz, {valid} with every joint")
    return 0


def run_train(args: argparse.Namespace) -> int:
    rest = [a for a in args.args if a != "--"]
    cmd = [get_spec("videopose3d").python(), "-m", "posearena_videopose3d.training", *rest]
    return subprocess.call(cmd, cwd=REPO_ROOT)
