"""The multi-person estimator on BGR frames (channels reversed in its crops only) gives the
landmarks of the same frames converted to RGB first; run in the BlazePose venv."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BP_PYTHON = ROOT / ".venvs" / "blazepose" / "bin" / "python"
VIDEO = ROOT / "data" / "pose2sim_multi" / "videos" / "cam01.mp4"

SCRIPT = r"""
import json, sys
import cv2, numpy as np
from posearena_blazepose.multipose import MultiPoseEstimator
cap = cv2.VideoCapture(sys.argv[1]); frames = []
while len(frames) < 12:
    ok, f = cap.read()
    if not ok:
        break
    frames.append(f)
rgb, bgr, wrong = (MultiPoseEstimator(2) for _ in range(3))
out = {"same": 0.0, "wrong": 0.0, "people": []}
for f in frames:
    a = rgb.process_rgb(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    b = bgr.process_bgr(f)
    c = wrong.process_rgb(f)  # BGR taken for RGB: what a missing conversion would give
    out["people"].append([len(a), len(b)])
    for x, y in zip(a, b):
        out["same"] = max(out["same"], float(np.abs(x.keypoints - y.keypoints).max()))
    for x, y in zip(a, c):
        out["wrong"] = max(out["wrong"], float(np.abs(x.keypoints - y.keypoints).max()))
print(json.dumps(out))
"""


@pytest.mark.skipif(not BP_PYTHON.exists(), reason="BlazePose venv missing (make setup)")
def test_bgr_frames_give_the_landmarks_of_rgb_frames() -> None:
    res = subprocess.run([str(BP_PYTHON), "-c", SCRIPT, str(VIDEO)], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert all(a == b == 2 for a, b in out["people"])  # both people in every frame
    assert out["same"] == 0.0
    assert out["wrong"] > 0.5  # the channel order matters to the model: the test can tell
