"""Multi-person BlazePose service on the real two-person clip (gRPC + gateway tracker)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from posearena.skeletons import get_skeleton
from posearena_gateway.detect_client import detect_video

ROOT = Path(__file__).resolve().parents[2]
BP_PYTHON = ROOT / ".venvs" / "blazepose" / "bin" / "python"
VIDEOS = ROOT / "data" / "pose2sim_multi" / "videos"


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    if not BP_PYTHON.exists():
        pytest.skip(f"BlazePose venv missing: {BP_PYTHON}")
    proc = subprocess.Popen(
        [str(BP_PYTHON), "-m", "posearena_blazepose.server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "listening on" in line, line
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _hips(kp: np.ndarray) -> np.ndarray:
    j = get_skeleton("blazepose33").joints
    return kp[:, :, [j.index("left_hip"), j.index("right_hip")]].mean(axis=2)


@pytest.mark.parametrize("cam", ["cam01", "cam04"])
def test_two_people_tracked_without_switch(target: str, cam: str) -> None:
    det = detect_video(target, VIDEOS / f"{cam}.mp4", max_people=2, max_frames=60)
    assert det.keypoints.shape == (60, 2, 33, 2)
    assert sorted(det.track_ids.tolist()) == [0, 1]
    assert int(det.extra["tracks_found"]) == 2  # nobody split into two tracks
    hip = _hips(det.keypoints)
    present = np.isfinite(hip).all(axis=-1)
    assert (present.sum(axis=0) >= 0.95 * 60).all()
    # an identity switch jumps by the distance between the people (> 150 px here)
    assert np.nanmin(np.linalg.norm(hip[:, 0] - hip[:, 1], axis=-1)) > 150
    assert np.nanmax(np.linalg.norm(np.diff(hip, axis=0), axis=-1)) < 60
    assert "world" in det.extra and np.isfinite(det.extra["world"][present]).all()


def test_single_person_default_unchanged(target: str) -> None:
    det = detect_video(target, VIDEOS / "cam04.mp4", max_frames=10)
    assert det.keypoints.shape == (10, 1, 33, 2) and np.isfinite(det.keypoints).all()
