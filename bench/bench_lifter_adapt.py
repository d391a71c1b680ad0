"""Benchmark: adapting the shipped lifter to one recording (`adapt.adapt_lifter`), time and gain.

Data: the committed BlazePose 2D of the four Pose2Sim demo cameras (100 frames, 60 fps) and
their calibration. Each view is prepared as the lift stage does (left/right label swaps
undone, levelled virtual camera). cam01 is lifted before and after adaptation and scored by
P-MPJPE (12 body joints, per-frame similarity alignment) against the 4-view triangulation of
the same 2D made as `posearena compare` makes its reference (the adaptation never reads it).
Variants: every view adapts (what the `-adapted` pipeline does: cam01's own 2D included),
cam02-04 only (cam01's 2D unseen), cam01 alone (single view: no multi-view term). Time:
process CPU and wall seconds, torch 1 thread; on a shared machine wall time varies with load.

Usage: .venv/bin/python bench/bench_lifter_adapt.py [--steps 150]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from posearena.calibration import load_calibration
from posearena.skeletons import convert
from posearena.triangulation_presets import PRESETS
from posearena_gateway.comparison.joints import body12_pairs
from posearena_gateway.pipelines.lift_input import prepare_lift_input
from posearena_stereo.options import preset_options
from posearena_stereo.triangulate import triangulate_views
from posearena_videopose3d.adapt import AdaptConfig, AdaptView, adapt_lifter
from posearena_videopose3d.inference import lift
from posearena_videopose3d.loader import load_service_model
from posearena_videopose3d.training.evaluate import p_mpjpe

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz"
CALIB = ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt"


def triangulate(cams: list, z) -> np.ndarray:
    """The 4-view reference as `posearena compare` makes it (stereo service code, preset
    "reference": robust DLT, left/right swaps tried, refined, gaps filled, 6 Hz low-pass):
    (T, 33, 3) m, blazepose33."""
    opts = preset_options(PRESETS["reference"], "blazepose33", float(z["fps"]))
    return triangulate_views(z["keypoints"], cams, z["visibility"], opts).points_3d


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=AdaptConfig().steps)
    a = ap.parse_args()
    torch.set_num_threads(1)
    z = np.load(FIXTURE)
    cams = load_calibration(CALIB)
    names = [str(n) for n in z["camera_names"]]
    views = []
    for c, name in enumerate(names):
        k = convert(z["keypoints"][c], "blazepose33", "coco17")
        w, h = int(z["width"][c]), int(z["height"][c])
        vv = prepare_lift_input(k, w, h, cams[name]).view  # labels fixed, levelled view
        views.append(AdaptView(vv.keypoints, w, h, cams[name].focal_px,
                               vv.rotation @ cams[name].R))
    ref = triangulate([cams[n] for n in names], z)
    ir, ic = body12_pairs("blazepose33", "h36m17")

    def score(model) -> float:
        v = views[0]
        out = lift(v.keypoints, v.width, v.height, model).poses_3d.astype(np.float64)
        return p_mpjpe(out[:, ic], ref[:, ir])

    model = load_service_model().lifter.model
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores); {a.steps} steps")
    print(f"shipped default.pt, cam01: P-MPJPE {score(model):.1f} mm vs the 4-view reference")
    print(f"{'adapted on':<28} {'cam01 P-MPJPE mm':>16} {'CPU s':>7} {'wall s':>7}")
    for label, which in (("cam01-04 (cam01 2D used)", [0, 1, 2, 3]),
                         ("cam02-04 (cam01 2D unseen)", [1, 2, 3]),
                         ("cam01 alone (single view)", [0])):
        c0, w0 = time.process_time(), time.perf_counter()
        adapted, _ = adapt_lifter(model, [views[i] for i in which], AdaptConfig(steps=a.steps))
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        print(f"{label:<28} {score(adapted):16.1f} {cpu:7.1f} {wall:7.1f}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
