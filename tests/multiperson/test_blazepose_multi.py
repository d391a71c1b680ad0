"""Multi-person BlazePose service on the real two-person clip (gRPC + gateway tracker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _helpers.services import service_target

from posearena.skeletons import get_skeleton
from posearena_gateway.detection import detect_video

ROOT = Path(__file__).resolve().parents[2]
VIDEOS = ROOT / "data" / "pose2sim_multi" / "videos"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from service_target("blazepose", tmp_path_factory)


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
