"""Fixtures of the Detectron tests; torch-free at import (the main venv collects this too)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DETECTRON_PYTHON = ROOT / ".venvs" / "detectron" / "bin" / "python"
HELPER = HERE / "make_random_weights.py"


@pytest.fixture(scope="session")
def rw() -> ModuleType:
    """The make_random_weights helper module (needs torch, torchvision, posearena_detectron)."""
    spec = importlib.util.spec_from_file_location("make_random_weights", HELPER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def test_image() -> object:
    """(240, 135, 3) uint8 RGB: the first Pose2Sim demo frame (portrait), downscaled."""
    import cv2

    cap = cv2.VideoCapture(str(ROOT / "data" / "pose2sim_demo" / "videos" / "cam01.mp4"))
    ok, bgr = cap.read()
    cap.release()
    assert ok, "cannot read data/pose2sim_demo/videos/cam01.mp4"
    return cv2.cvtColor(cv2.resize(bgr, (135, 240)), cv2.COLOR_BGR2RGB)
