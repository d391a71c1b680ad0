"""Fixtures: the real BlazePose service as a subprocess (its own venv), synthetic videos."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from _helpers.services import service_target

ROOT = Path(__file__).resolve().parents[2]
BP_PYTHON = ROOT / ".venvs" / "blazepose" / "bin" / "python"
VIDEOS = ROOT / "data" / "pose2sim_demo" / "videos"


@pytest.fixture(scope="session")
def blazepose_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `python -m posearena_blazepose.server --port 0`; yield "host:port"."""
    yield from service_target("blazepose", tmp_path_factory)


@pytest.fixture(scope="session")
def cam_frames() -> list[np.ndarray]:
    """The first 4 BGR frames (1920, 1080, 3) of cam01."""
    cap = cv2.VideoCapture(str(VIDEOS / "cam01.mp4"))
    frames = []
    while len(frames) < 4:
        ok, f = cap.read()
        assert ok
        frames.append(f)
    cap.release()
    return frames


@pytest.fixture(scope="session")
def noise_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-frame 320x240 video of smoothed gray noise (nobody in it), 25 fps, mp4v."""
    path = tmp_path_factory.mktemp("video") / "noise.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (320, 240))
    assert writer.isOpened()
    rng = np.random.default_rng(3)
    for _ in range(12):
        noise = rng.integers(90, 166, size=(240, 320), dtype=np.uint8)
        gray = cv2.GaussianBlur(noise, (9, 9), 0)
        writer.write(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path
