"""How far the shipped VideoPose3D model is from a real recording's motion, with perfect 2D.

Run from the repository root with the main venv:
    .venv/bin/python bench/bench_lifter_domain.py [--checkpoint CKPT]

Inputs: the committed BlazePose 2D of the four Pose2Sim cameras
(tests/data/pose2sim_blazepose33_2d.npz) and their calibration (data/pose2sim_demo).
Steps: triangulate the four views (robust settings of the gateway's reference, 6 Hz
low-pass) -> H36M-17 / COCO-17 joints in the world (m) -> project them exactly (no noise,
no detector) through virtual cameras looking at the subject from elevations 0-30 degrees and
three directions, and through the four real cameras -> lift with the model -> P-MPJPE (mm)
against the triangulated joints, and the mean thigh length the model outputs (m).

What it separates: if the error stays high with exact 2D from a level camera, the model has
not seen this kind of motion (training data), whatever the detector or camera.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from posearena.calibration import load_calibration
from posearena.skeletons import convert, get_skeleton
from posearena_gateway.analysis.metrics import p_mpjpe
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views
from posearena_videopose3d.inference import lift
from posearena_videopose3d.loader import load_service_model
from posearena_videopose3d.training.cameras import VirtualCamera, facing_yaw

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz"
CALIB = ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt"
PHONE = (1680.0, 1088, 1920)  # focal px, width, height of the Pose2Sim cameras


def reference_joints() -> tuple[np.ndarray, np.ndarray, float]:
    """Triangulated world joints: h36m17 (T, 17, 3) m, coco17 (T, 17, 3) m, fps."""
    d = np.load(FIXTURE, allow_pickle=False)
    cams = load_calibration(CALIB)
    names = [str(n) for n in d["camera_names"]]
    skel = get_skeleton(str(d["skeleton"]))
    opts = TriangulationOptions(
        max_reprojection_error_px=15.0, min_views=2, refine=True, try_swap_left_right=True,
        left_right=(list(skel.left), list(skel.right)), parents=list(skel.parents),
        max_gap_frames=10, fps=float(d["fps"]), min_confidence=0.3, filter_cutoff_hz=6.0)
    res = triangulate_views(d["keypoints"], [cams[n] for n in names], d["visibility"], opts)
    pts = res.points_3d
    return convert(pts, skel.name, "h36m17"), convert(pts, skel.name, "coco17"), float(d["fps"])


def look_at(centre: np.ndarray, yaw: float, elevation_deg: float, dist: float) -> VirtualCamera:
    """A phone-like portrait camera `dist` m from `centre`, at `yaw` rad about world Z (Z up),
    raised by `elevation_deg` and looking at the centre (no roll)."""
    el = np.deg2rad(elevation_deg)
    pos = centre + dist * np.array([np.cos(el) * np.cos(yaw), np.cos(el) * np.sin(yaw),
                                    np.sin(el)])
    z_ax = (centre - pos) / dist
    x_ax = np.cross(z_ax, [0.0, 0.0, 1.0])
    x_ax /= np.linalg.norm(x_ax)
    R = np.stack([x_ax, np.cross(z_ax, x_ax), z_ax])
    f, w, h = PHONE
    return VirtualCamera(R=R, t=-R @ pos, f=f, c=np.array([(w - 1) / 2, (h - 1) / 2]),
                         width=w, height=h)


def thigh_m(p: np.ndarray) -> float:
    """Mean right/left thigh length (m) of (T, 17, 3) h36m17 joints."""
    return float(np.nanmean(np.linalg.norm(p[:, [2, 5]] - p[:, [1, 4]], axis=-1)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None, help="lifter checkpoint (default: shipped)")
    args = ap.parse_args(argv)
    loaded = load_service_model(args.checkpoint)
    if loaded.lifter is None:
        print(loaded.status, file=sys.stderr)
        return 1
    h36, coco, _ = reference_joints()
    centre = np.nanmean(h36.reshape(-1, 3), axis=0)
    facing = facing_yaw(h36)
    print(f"model {loaded.path.name}; reference: 4-view triangulation, {len(h36)} frames, "
          f"thigh {thigh_m(h36):.3f} m")
    print(f"{'camera':<34}{'P-MPJPE mm':>11}{'thigh m':>9}")

    def row(label: str, cam) -> None:
        uv = cam.project(coco) if hasattr(cam, "project") else cam.project_camera(
            cam.to_camera(coco))
        out = lift(uv, cam.width, cam.height, loaded.lifter).poses_3d
        print(f"{label:<34}{p_mpjpe(out, h36).value:>11.1f}{thigh_m(out):>9.3f}")

    for el in (0, 10, 20, 30):
        for name, yaw_deg in (("front", 0), ("side", 90), ("back", 180)):
            cam = look_at(centre, facing + np.deg2rad(yaw_deg), el, 3.5)
            row(f"virtual {name}, elevation {el:>2} deg", cam)
    for name, cam in load_calibration(CALIB).items():
        row(f"real {name} (calibrated, distorted)", cam)
    return 0


if __name__ == "__main__":
    sys.exit(main())
