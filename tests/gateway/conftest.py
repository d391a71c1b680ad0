"""Shared paths of the bundled real data."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
DEMO = DATA / "pose2sim_demo"


@pytest.fixture
def demo_videos() -> list[Path]:
    """The four real, synchronised Pose2Sim demo videos (100 frames, 60 fps)."""
    return sorted((DEMO / "videos").glob("cam*.mp4"))


@pytest.fixture
def demo_calib() -> Path:
    return DEMO / "Calib.qca.txt"


@pytest.fixture(scope="module")
def demo_videos_module() -> list[Path]:
    return sorted((DEMO / "videos").glob("cam*.mp4"))


@pytest.fixture(scope="module")
def demo_calib_module() -> Path:
    return DEMO / "Calib.qca.txt"
