"""`posearena detect --estimator openpose --max-people 3` on a real two-person clip: the real
network through the embedded service, the gateway's common tracker, stable tracks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.npzio import load_detections
from posearena_gateway.cli import main

REPO = Path(__file__).resolve().parents[2]
VIDEO = REPO / "data" / "pose2sim_multi" / "videos" / "cam01.mp4"


def test_detect_gives_stable_tracks_of_three_real_people(tmp_path: Path) -> None:
    """cam01 of pose2sim_multi shows the man on the treadmill, the woman beside him and a
    person at the back: three tracks, each present in nearly every frame, none jumping."""
    out = tmp_path / "op.npz"
    assert main(["detect", "--estimator", "openpose", "--video", str(VIDEO), "--max-people",
                 "3", "--max-frames", "40", "--output", str(out)]) == 0
    det = load_detections(out)
    assert det.skeleton == "coco18" and det.keypoints.shape == (40, 3, 18, 2)
    present = np.isfinite(det.keypoints[..., 0]).any(axis=2).mean(axis=0)
    assert (present >= 0.9).all(), present
    neck = det.keypoints[:, :, 1]  # (T, P, 2) px; measured: <= 15 px per frame
    jumps = np.nanmax(np.linalg.norm(np.diff(neck, axis=0), axis=-1), axis=0)
    assert (jumps < 60).all(), jumps  # an identity switch moves a track by 300+ px
    spread = np.nanmedian(neck[:, :, 0], axis=0)  # the three stand apart along x
    assert np.min(np.diff(np.sort(spread))) > 150, spread
