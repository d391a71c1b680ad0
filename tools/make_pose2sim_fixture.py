"""Regenerate ``tests/data/pose2sim_blazepose33_2d.npz`` from the bundled Pose2Sim demo videos.

Runs BlazePose (legacy ``mediapipe.solutions.pose``, model_complexity=1, static_image_mode=False,
i.e. with tracking) on ``data/pose2sim_demo/videos/cam01..cam04.mp4`` and stores the 2D landmarks.

Usage (from the repository root)::

    .venvs/blazepose/bin/python tools/make_pose2sim_fixture.py [--out PATH]

Run with another interpreter, the script re-executes itself with ``.venvs/blazepose/bin/python``.

Output arrays:
- ``keypoints`` (4, 100, 33, 2) float32 px, origin at the top-left pixel centre
  (MediaPipe's normalised x*width - 0.5, y*height - 0.5); NaN where no person was found.
- ``visibility`` (4, 100, 33) float32 in [0, 1], MediaPipe's landmark visibility (0 if no person).
- ``camera_names`` (4,) str: ``cam01`` .. ``cam04`` (the ``serial`` names in Calib.qca.txt).
- ``width``, ``height`` (4,) int32 px of each video; ``fps`` float.
- ``skeleton`` "blazepose33"; ``source`` a one-line description of how it was made.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT / "data" / "pose2sim_demo" / "videos"
CAMERAS = ("cam01", "cam02", "cam03", "cam04")
N_FRAMES = 100
N_JOINTS = 33
BLAZEPOSE_PYTHON = ROOT / ".venvs" / "blazepose" / "bin" / "python"


def detect_video(path: Path, n_frames: int):
    """Run BlazePose on the first ``n_frames`` frames of one video.

    Args:
        path: the video file.
        n_frames: number of frames to process (the video must have at least that many).

    Returns:
        (keypoints (n_frames, 33, 2) float32 px, visibility (n_frames, 33) float32,
        width px, height px, fps).
    """
    import cv2
    import mediapipe as mp
    import numpy as np

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    kps = np.full((n_frames, N_JOINTS, 2), np.nan, np.float32)
    vis = np.zeros((n_frames, N_JOINTS), np.float32)
    width = height = 0
    with mp.solutions.pose.Pose(
        static_image_mode=False, model_complexity=1, enable_segmentation=False
    ) as pose:
        for i in range(n_frames):
            ok, frame = cap.read()
            if not ok:
                raise SystemExit(f"{path}: only {i} frames, expected {n_frames}")
            height, width = frame.shape[:2]
            result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if result.pose_landmarks is None:
                continue
            for j, lm in enumerate(result.pose_landmarks.landmark):
                kps[i, j] = (lm.x * width - 0.5, lm.y * height - 0.5)
                vis[i, j] = lm.visibility
    cap.release()
    return kps, vis, width, height, fps


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz"
    parser.add_argument("--out", default=str(default_out))
    args = parser.parse_args(argv)
    try:
        import mediapipe  # noqa: F401
    except ImportError as exc:
        if BLAZEPOSE_PYTHON.exists() and Path(sys.executable) != BLAZEPOSE_PYTHON:
            os.execv(str(BLAZEPOSE_PYTHON), [str(BLAZEPOSE_PYTHON), __file__, *sys.argv[1:]])
        msg = "mediapipe is not importable; run with .venvs/blazepose/bin/python"
        raise SystemExit(msg) from exc
    import mediapipe as mp
    import numpy as np

    kps, vis, widths, heights, fps_all = [], [], [], [], []
    for cam in CAMERAS:
        k, v, w, h, fps = detect_video(VIDEOS / f"{cam}.mp4", N_FRAMES)
        found = int(np.isfinite(k[:, 0, 0]).sum())
        print(f"{cam}: {w}x{h} @ {fps:.1f} fps, person found in {found}/{N_FRAMES} frames")
        kps.append(k)
        vis.append(v)
        widths.append(w)
        heights.append(h)
        fps_all.append(fps)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        keypoints=np.stack(kps).astype(np.float32),
        visibility=np.stack(vis).astype(np.float32),
        camera_names=np.array(CAMERAS),
        width=np.array(widths, np.int32),
        height=np.array(heights, np.int32),
        fps=np.float64(fps_all[0]),
        skeleton=np.array("blazepose33"),
        source=np.array(
            f"mediapipe {mp.__version__} solutions.pose model_complexity=1 "
            "static_image_mode=False on data/pose2sim_demo/videos (pose2sim 0.10.49 demo, BSD-3)"
        ),
    )
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
